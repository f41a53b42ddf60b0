"""What a run was made from: git state, Python and packages, host, seeds and input hashes.

Python, packages and host are captured once per process; git once per state of the
repository (HEAD, branch ref and index); seeds at every run; the store keeps each distinct
document once (by hash), so a thousand runs from one environment share one package list.
Nothing here may fail a run: git has a timeout and every probe degrades to "unknown".
"""

from __future__ import annotations

import functools
import os
import platform
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlops_jupyter import env
from mlops_jupyter.tracking.distributions import installed_versions

DIFF_CAP_BYTES = 256 * 1024
_GIT_TIMEOUT = 3.0


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def git_state(root: str | None = None) -> dict[str, Any]:
    """Commit, branch, remote, dirty flag and (size-capped) diff of the project's repository.

    Asking git costs five processes (tens of milliseconds), so the answer is kept while the
    repository's HEAD, current branch ref and index are unchanged (their modification times,
    a few stats per run): a commit, a checkout or a `git add` between two runs is recorded. An
    edit of a tracked file that is not staged is seen at the next such change.
    """
    cwd = Path(root) if root else env.project_root()
    key = _git_key(cwd)
    known = _GIT_STATES.get(str(cwd))
    if known is not None and known[0] == key:
        return known[1]
    state = _ask_git(cwd)
    # keyed as git left it: `git status` may rewrite the index (refreshing its stat data)
    _GIT_STATES[str(cwd)] = (_git_key(cwd), state)
    return state


_GIT_STATES: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}


def _git_dirs(cwd: Path) -> list[Path]:
    """The repository's git folder and, for a worktree, the common one (refs live there)."""
    dot = cwd / ".git"
    if dot.is_file():  # a worktree or submodule: "gitdir: <path>"
        text = dot.read_text(errors="replace").strip()
        dot = (cwd / text.partition("gitdir:")[2].strip()).resolve()
    found = [dot]
    common = dot / "commondir"
    if common.is_file():
        found.append((dot / common.read_text(errors="replace").strip()).resolve())
    return found


def _git_key(cwd: Path) -> tuple[Any, ...]:
    """What changes when the commit, the branch or the index does: HEAD's text and the
    modification times of HEAD, the branch's ref, packed-refs and the index."""
    try:
        dirs = _git_dirs(cwd)
        head = (dirs[0] / "HEAD").read_text(errors="replace").strip()
    except OSError:
        return (None,)
    files = [dirs[0] / "HEAD", dirs[0] / "index"]
    if head.startswith("ref:"):
        ref = head[4:].strip()
        files += [d / ref for d in dirs] + [d / "packed-refs" for d in dirs]
    key: list[Any] = [head]
    for file in files:
        try:
            key.append(file.stat().st_mtime_ns)
        except OSError:
            key.append(None)
    return tuple(key)


def _ask_git(cwd: Path) -> dict[str, Any]:
    """`git_state`, asked of git."""
    if not (cwd / ".git").exists() or shutil.which("git") is None:
        return {"available": False}
    commit = (_git(["rev-parse", "HEAD"], cwd) or "").strip() or None
    status = _git(["status", "--porcelain", "--untracked-files=no"], cwd)
    diff = _git(["diff", "HEAD", "--no-color"], cwd) if commit else None
    remote = (_git(["config", "--get", "remote.origin.url"], cwd) or "").strip() or None
    truncated = diff is not None and len(diff) > DIFF_CAP_BYTES
    return {
        "available": True,
        "commit": commit,
        "branch": (_git(["rev-parse", "--abbrev-ref", "HEAD"], cwd) or "").strip() or None,
        "remote": remote,
        "dirty": bool(status and status.strip()),
        "diff": diff[:DIFF_CAP_BYTES] if diff else "",
        "diff_truncated": truncated,
    }


@functools.lru_cache(maxsize=1)
def python_info() -> dict[str, Any]:
    """Interpreter version, implementation and executable."""
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
    }


def packages() -> dict[str, str]:
    """Installed distributions, name -> version (sorted, so identical sets hash alike)."""
    return installed_versions()


@functools.lru_cache(maxsize=1)
def host_info() -> dict[str, Any]:
    """Host name, OS, CPU count and any visible GPUs."""
    return {
        "hostname": socket.gethostname(),
        "os": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "gpus": _gpus(),
    }


def _gpus() -> list[str]:
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=3)
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


git_state.cache_clear = _GIT_STATES.clear  # type: ignore[attr-defined]


# -- seeds ------------------------------------------------------------------------------------

_seeds: dict[str, Any] = {}


def _recording(label: str, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def seed(*args: Any, **kwargs: Any) -> Any:
        value = args[0] if args else kwargs.get("seed", kwargs.get("a"))
        _seeds[label] = value if isinstance(value, (int, float, str, type(None))) else repr(value)
        return original(*args, **kwargs)

    seed.__mlops_recording__ = True  # type: ignore[attr-defined]
    return seed


def install_seed_recorders() -> None:
    """Wrap random.seed, numpy.random.seed and torch.manual_seed (those already imported) so
    that the seeds a user sets are recorded with each run. Safe to call repeatedly."""
    import random

    targets = [("random", random, "seed")]
    if "numpy" in sys.modules:
        targets.append(("numpy", sys.modules["numpy"].random, "seed"))
    if "torch" in sys.modules:
        targets.append(("torch", sys.modules["torch"], "manual_seed"))
    for label, module, attr in targets:
        original = getattr(module, attr, None)
        if original is not None and not getattr(original, "__mlops_recording__", False):
            setattr(module, attr, _recording(label, original))


def seeds() -> dict[str, Any]:
    """Seeds set so far in this process, plus PYTHONHASHSEED when fixed."""
    found = dict(_seeds)
    if os.environ.get("PYTHONHASHSEED"):
        found["PYTHONHASHSEED"] = os.environ["PYTHONHASHSEED"]
    return found


def capture() -> dict[str, Any]:
    """The provenance documents recorded with every run, keyed by kind."""
    install_seed_recorders()
    return {
        "git": git_state(),
        "python": python_info(),
        "packages": packages(),
        "host": host_info(),
        "seeds": seeds(),
    }
