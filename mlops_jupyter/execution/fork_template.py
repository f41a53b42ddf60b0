"""Kernel templates: a process that imported a notebook's modules once, forking one kernel a point.

A fresh kernel of a realistic notebook spends seconds importing pandas, scikit-learn and
matplotlib before sub-second work. A template process runs those imports once, decides by
testing whether forking after them is safe (no thread started, no GPU context opened: see
fork_template_main.py), and then forks a fresh ipykernel per request: each point still runs in
a process no other point touched, but starts with its modules already in memory.

Templates are registered per (python, working directory, imports, environment): a `run` or
`reproduce` while a sweep of the same notebook runs, or after a sweep that kept its template
warm (``keep_warm=True``), forks from it (`warm_template`). A template closes when the last pool
using it closes, unless kept warm; kept ones close at exit.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from mlops_jupyter import env as mlops_env
from mlops_jupyter.execution.preimports import LATER, leading_imports

_PROGRAM = Path(__file__).with_name("fork_template_main.py")

#: Seconds a template may take to run its imports before it is given up (fresh kernels then).
IMPORT_TIMEOUT = 120.0


class ForkTemplate:
    """One template process (see the module docstring); `usable` says whether it forks kernels.

    Args:
        python: The interpreter of the kernelspec.
        imports: Import statements to run once (from notebook/... via preimports.py).
        cwd: Working directory (modules next to the notebook are importable).
        env: The template's environment (the kernels get their own at each fork).
    """

    def __init__(
        self, python: str, imports: Sequence[str], cwd: str, env: Mapping[str, str]
    ) -> None:
        self.imports = tuple(imports)
        self.key = template_key(python, imports, cwd, env)
        self.reason = ""  # why the template forks no kernels (empty while usable)
        self.skipped = ""  # a later cell's import left to the kernels: unsafe to fork after
        self.seconds = 0.0  # time its imports took
        self.forked = 0
        self._lock = threading.Lock()
        verdict = self._start(python, self.imports, cwd, env)
        at = verdict.get("unsafe_at")
        at = at if isinstance(at, int) and 0 <= at < len(self.imports) else -1
        if verdict.get("unsafe") and at >= 0 and self.imports[at].startswith(LATER):
            self.close()  # a later cell's import: drop it and what follows, and retry
            self.skipped = str(verdict["unsafe"])
            self.imports = self.imports[:at]
            first = float(verdict.get("seconds", 0.0))
            verdict = self._start(python, self.imports, cwd, env)
            verdict["seconds"] = first + float(verdict.get("seconds", 0.0))
        self.seconds = float(verdict.get("seconds", 0.0))
        self.failed: list[str] = list(verdict.get("failed", []))
        if verdict.get("unsafe"):
            self.reason = str(verdict["unsafe"])
            self.close()

    def _start(
        self, python: str, imports: Sequence[str], cwd: str, env: Mapping[str, str]
    ) -> dict[str, Any]:
        """Start the template process and run `imports` in it; returns its verdict."""
        to_template, self._to_template = os.pipe()
        self._from_template, from_template = os.pipe()
        self._process = subprocess.Popen(
            [
                python,
                "-c",
                _PROGRAM.read_text(encoding="utf-8"),
                str(to_template),
                str(from_template),
            ],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            pass_fds=(to_template, from_template),
            start_new_session=True,  # Ctrl-C in the terminal is for the controller
        )
        os.close(to_template)
        os.close(from_template)
        self._buffer = b""
        try:
            self._send({"imports": list(imports), "cwd": cwd})
            return self._receive(IMPORT_TIMEOUT)
        except (OSError, ValueError, TimeoutError) as err:
            return {"unsafe": f"the template process did not start: {err}"}

    @property
    def usable(self) -> bool:
        """True while the template forks kernels (safe imports, process alive)."""
        return not self.reason and self._process.poll() is None

    def fork(
        self, connection_file: str, cwd: str, env: Mapping[str, str], args: Sequence[str]
    ) -> int:
        """Fork one kernel on `connection_file`; returns its pid (a grandchild of ours).

        Raises:
            RuntimeError: the template is gone (the caller starts a fresh kernel instead).
        """
        request = {
            "connection_file": connection_file,
            "cwd": cwd,
            "env": dict(env),
            "args": list(args),
        }
        with self._lock:
            if not self.usable:
                raise RuntimeError(f"the kernel template is not usable: {self.reason or 'exited'}")
            try:
                self._send(request)
                pid = int(self._receive(10.0)["pid"])
            except (OSError, ValueError, TimeoutError, KeyError) as err:
                self.reason = f"the template process failed: {err}"
                raise RuntimeError(self.reason) from err
            self.forked += 1
            return pid

    def _send(self, message: Mapping[str, Any]) -> None:
        os.write(self._to_template, (json.dumps(message) + "\n").encode())

    def _receive(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer within {timeout:g}s")
            ready, _, _ = select.select([self._from_template], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(self._from_template, 65536)
                if not chunk:
                    raise ValueError("the template process exited")
                self._buffer += chunk
            elif self._process.poll() is not None:
                raise ValueError(f"the template process exited (code {self._process.returncode})")
        line, self._buffer = self._buffer.split(b"\n", 1)
        return dict(json.loads(line))

    def close(self) -> None:
        """End the template without waiting: it exits once the kernels it forked are gone
        (their pools kill them), or at once kills them when this process has died."""
        with self._lock:
            for fd in (self._to_template, self._from_template):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._to_template = self._from_template = -1
        # reap it when it exits, so a long-lived process keeps no zombie
        threading.Thread(
            target=self._process.wait, name="mlops-template-reaper", daemon=True
        ).start()


_WARM: dict[str, ForkTemplate] = {}
_USERS: dict[str, int] = {}  # pools using each registered template
_KEEP: list[str] = []  # templates kept warm after their last pool closed (oldest first)
_WARM_LOCK = threading.Lock()
#: Most templates kept warm once unused (each holds a notebook's imported modules, ~100-300 MB).
MAX_WARM = 2


#: Variables that only say where and how often kernels record runs: every fork gets them in
#: its own environment, and no import reads them, so they do not tell templates apart.
_NOT_KEYED = (mlops_env.STORE, mlops_env.BLOBS, mlops_env.FLUSH_INTERVAL)


def template_key(python: str, imports: Sequence[str], cwd: str, env: Mapping[str, str]) -> str:
    """What makes two templates interchangeable: the interpreter, imports, folder, environment."""
    keyed = sorted((k, v) for k, v in env.items() if k not in _NOT_KEYED)
    text = json.dumps([python, list(imports), cwd, keyed])
    return hashlib.sha256(text.encode()).hexdigest()


def warm_template(
    python: str, imports: Sequence[str], cwd: str, env: Mapping[str, str], *, start: bool
) -> ForkTemplate | None:
    """A template for these imports, used until `release_template`: with `start`, a new one
    of the caller's own (a sweep); else one a sweep kept warm, or None.

    `run` and `reproduce` pass ``start=False``: they use a template only when one is warm,
    since starting one costs what a fresh kernel costs.
    """
    key = template_key(python, imports, cwd, env)
    if start:
        with _WARM_LOCK:
            early = _STARTING.pop(key, None)
            guessed = [] if early else [_STARTING.pop(k) for k in _GUESSED if k in _STARTING]
            _GUESSED.clear()
        for wrong in guessed:  # a guess of the command line that this kernelspec belied
            wrong.add_done_callback(_close_started)
        if early is not None:  # begun by `prestart_template` while the sweep was recorded
            return early.result()
        return ForkTemplate(python, imports, cwd, env)  # seconds: no lock held
    with _WARM_LOCK:
        found = _WARM.get(key)
        if found is not None and found.usable:
            _USERS[key] = _USERS.get(key, 0) + 1
            return found
        if found is not None:
            _forget(key)
    return None


_STARTING: dict[str, Future[ForkTemplate]] = {}  # begun early, not yet claimed by a pool
_GUESSED: list[str] = []  # keys of `prestart_guessed` templates (closed if a pool starts another)


def prestart_guessed(notebook: str, cwd: str | None) -> None:
    """Begin the template a sweep of `notebook` will likely ask for, before the command line
    imports the store, nbformat and jupyter_client (~0.5 s): the notebook's imports in this
    interpreter, which a standard ``python3`` kernelspec of this environment runs. The pool
    claims it when its kernelspec, folder and environment give the same key; otherwise it is
    closed when the pool starts its own. Any problem (a missing or unreadable notebook) is left
    for the command to report."""
    try:
        with open(notebook, encoding="utf-8") as file:
            imports = leading_imports(json.load(file))
        folder = str(Path(cwd or os.getcwd()).expanduser().resolve())
    except (OSError, ValueError, AttributeError, TypeError):
        return
    if imports and os.path.isdir(folder):
        key = prestart_template(sys.executable, imports, folder, dict(os.environ))
        with _WARM_LOCK:
            if key in _STARTING:
                _GUESSED.append(key)


def prestart_template(python: str, imports: Sequence[str], cwd: str, env: Mapping[str, str]) -> str:
    """Begin a template in a thread now, for the next `warm_template(..., start=True)` with the
    same key (returned): a sweep starts its template's imports while it records its run
    (provenance, the store) instead of after. One not claimed is closed at exit."""
    key = template_key(python, imports, cwd, env)
    with _WARM_LOCK:
        if key in _STARTING:
            return key
        future: Future[ForkTemplate] = Future()
        _STARTING[key] = future

    def start() -> None:
        try:
            future.set_result(ForkTemplate(python, imports, cwd, env))
        except BaseException as err:  # the pool then meets it, as without the early start
            future.set_exception(err)

    threading.Thread(target=start, name="mlops-template-start", daemon=True).start()
    return key


def _close_started(future: Future[ForkTemplate]) -> None:
    if future.exception() is None:
        future.result().close()


def _forget(key: str) -> None:
    _WARM.pop(key, None)
    _USERS.pop(key, None)
    if key in _KEEP:
        _KEEP.remove(key)


def release_template(template: ForkTemplate, *, keep: bool = False) -> None:
    """A pool is done with `template`: a sweep's own closes now unless `keep` (then it stays
    warm for later runs in this process, at most MAX_WARM); a warm one a run borrowed stays."""
    closing = []
    with _WARM_LOCK:
        key = next((k for k, t in _WARM.items() if t is template), None)
        if key is not None:
            _USERS[key] = max(0, _USERS.get(key, 0) - 1)
        elif keep and template.usable:
            key = template.key
            if key in _WARM:
                closing.append(_WARM[key])
                _forget(key)
            _WARM[key], _USERS[key] = template, 0
            _KEEP.append(key)
            for old in _KEEP[: max(0, len(_KEEP) - MAX_WARM)]:
                if _USERS.get(old, 0) <= 0:
                    closing.append(_WARM[old])
                    _forget(old)
        else:
            closing.append(template)
    for item in closing:
        item.close()


def discard_template(template: ForkTemplate) -> None:
    """Close a template and forget it (a cancelled job leaves no process behind); the kernels
    it forked run on until their pools end them."""
    with _WARM_LOCK:
        for key, found in list(_WARM.items()):
            if found is template:
                _forget(key)
    template.close()


def close_templates() -> None:
    """Close every warm template (at exit, and in tests)."""
    with _WARM_LOCK:
        templates = list(_WARM.values())
        early = list(_STARTING.values())
        _WARM.clear()
        _USERS.clear()
        _KEEP.clear()
        _STARTING.clear()
        _GUESSED.clear()
    for future in early:
        future.add_done_callback(_close_started)
    for template in templates:
        template.close()


atexit.register(close_templates)
