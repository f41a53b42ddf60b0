"""Small code-generation helpers shared by the script and package writers."""

from __future__ import annotations

import io
import keyword
import os
import tempfile
import tokenize

# Runtime helpers that translated magics call; each is emitted once, only when used.
RUNTIME_HELPERS: dict[str, str] = {
    "_expand": '''\
def _expand(command, namespace):
    """Expand {expr} and $name in a shell command the way IPython's `!` does."""
    import re

    def _brace(match):
        try:
            return str(eval(match.group(1), {}, namespace))
        except Exception:
            return match.group(0)

    command = re.sub(r"\\{([^{}]+)\\}", _brace, command)
    command = re.sub(r"(?<!\\$)\\$([A-Za-z_]\\w*)",
                     lambda m: str(namespace[m.group(1)]) if m.group(1) in namespace '''
    """else m.group(0),
                     command)
    return command.replace("$$", "$")
""",
    "_sh": '''\
def _sh(command, namespace=None, shell=None):
    """Run a shell command like IPython's `!cmd` / `%%bash`; its output goes to stdout."""
    import subprocess
    import sys

    if namespace is not None:
        command = _expand(command, namespace)
    sys.stdout.flush()
    sys.stderr.flush()
    if shell:
        subprocess.run([shell, "-c", command], check=False)
    else:
        subprocess.run(command, shell=True, check=False)
''',
    "_sh_lines": '''\
def _sh_lines(command, namespace=None):
    """Run a shell command like IPython's `x = !cmd`: return its output as a list of lines."""
    import subprocess

    if namespace is not None:
        command = _expand(command, namespace)
    done = subprocess.run(command, shell=True, check=False, capture_output=True, text=True)
    return (done.stdout + done.stderr).splitlines()
''',
    "_write_file": '''\
def _write_file(path, text, append=False):
    """Write a cell's text to a file the way IPython's `%%writefile` does."""
    import os

    exists = os.path.exists(path)
    print(("Appending to " if append else "Overwriting " if exists else "Writing ") + path)
    with open(path, "a" if append else "w", encoding="utf-8") as handle:
        handle.write(text)
''',
    "_now": '''\
def _now():
    """Wall clock and CPU times, for translated `%time` / `%%time`."""
    import os
    import time

    return time.perf_counter(), os.times()
''',
    "_print_time": '''\
def _print_time(start):
    """Print the CPU and wall times since `start` the way `%%time` does."""
    import os
    import time

    def fmt(seconds):
        for unit, scale in (("s", 1.0), ("ms", 1e-3), ("\u00b5s", 1e-6)):
            if seconds >= scale:
                return f"{seconds / scale:.3g} {unit}"
        return f"{seconds * 1e9:.3g} ns"

    wall, cpu = time.perf_counter() - start[0], os.times()
    user, system = cpu.user - start[1].user, cpu.system - start[1].system
    print(f"CPU times: user {fmt(user)}, sys: {fmt(system)}, total: {fmt(user + system)}")
    print(f"Wall time: {fmt(wall)}")
''',
    "_cd": '''\
def _cd(path):
    """Change directory like IPython's `%cd`: print the folder, or the error and go on."""
    import os

    try:
        os.chdir(os.path.expanduser(path))
    except OSError as err:
        print(err)
    else:
        print(os.getcwd())
''',
    "_timeit": '''\
def _timeit(code, namespace, reads=(), number=0, repeat=7):
    """Time a statement the way IPython's `%timeit` does (``reads``: the names it uses)."""
    import statistics
    import timeit

    timer = timeit.Timer(code, globals=namespace)
    if not number:
        number = timer.autorange()[0]
    per_loop = [t / number for t in timer.repeat(repeat=repeat, number=number)]

    def fmt(seconds):
        for unit, scale in (("s", 1.0), ("ms", 1e-3), ("\u00b5s", 1e-6)):
            if seconds >= scale:
                return f"{seconds / scale:.3g} {unit}"
        return f"{seconds * 1e9:.3g} ns"

    spread = statistics.stdev(per_loop) if len(per_loop) > 1 else 0.0
    runs = "run" if repeat == 1 else "runs"
    loops = "loop" if number == 1 else "loops"
    print(f"{fmt(statistics.mean(per_loop))} \u00b1 {fmt(spread)} per loop (mean \u00b1 std. dev. "
          f"of {repeat} {runs}, {number:,} {loops} each)")
''',
    "_capture": '''\
class _capture:
    """Capture a block's output the way IPython's `%%capture` does (``.stdout``, ``.show()``)."""

    def __init__(self, stdout=True, stderr=True):
        import io

        self._out = io.StringIO() if stdout else None
        self._err = io.StringIO() if stderr else None
        self.outputs = []

    def __enter__(self):
        import contextlib

        self._stack = contextlib.ExitStack()
        if self._out is not None:
            self._stack.enter_context(contextlib.redirect_stdout(self._out))
        if self._err is not None:
            self._stack.enter_context(contextlib.redirect_stderr(self._err))
        return self

    def __exit__(self, *exc):
        self._stack.close()
        return False

    @property
    def stdout(self):
        return "" if self._out is None else self._out.getvalue()

    @property
    def stderr(self):
        return "" if self._err is None else self._err.getvalue()

    def show(self):
        import sys

        sys.stdout.write(self.stdout)
        sys.stderr.write(self.stderr)

    __call__ = show
''',
}
HELPER_DEPENDENCIES = {"_sh": ("_expand",), "_sh_lines": ("_expand",), "_print_time": ("_now",)}


def helper_source(names: set[str]) -> str:
    """Return the source of the runtime helpers ``names`` and what they depend on."""
    wanted = set(names)
    for name in list(wanted):
        wanted.update(HELPER_DEPENDENCIES.get(name, ()))
    return "\n\n".join(RUNTIME_HELPERS[n] for n in RUNTIME_HELPERS if n in wanted)


def string_continuation_lines(code: str) -> set[int]:
    """Return the 1-based lines that lie inside a multi-line string (must not be re-indented)."""
    if '"""' not in code and "'''" not in code and "\\\n" not in code:
        return set()
    inside: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return inside


def indent_code(code: str, prefix: str = "    ") -> str:
    """Indent ``code`` by ``prefix`` without changing the content of multi-line strings."""
    keep = string_continuation_lines(code)
    out = []
    for number, line in enumerate(code.split("\n"), start=1):
        out.append(line if number in keep or not line.strip() else prefix + line)
    return "\n".join(out)


def is_identifier(name: str) -> bool:
    """True when ``name`` can be used as a Python variable or module name."""
    return name.isidentifier() and not keyword.iskeyword(name)


def write_atomic(path: os.PathLike[str] | str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place; a missing parent
    folder is created (callers check where ``path`` may be first)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".mlops-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
