"""Read hooks: which files a tracked cell reads, seen without a call.

``open()``, ``Path.read_text``/``read_bytes``/``open``, ``pandas.read_*``, ``numpy.load`` /
``loadtxt`` / ``genfromtxt`` / ``fromfile`` and the pyarrow and polars readers (when installed)
are wrapped once; a wrapper only notes the path (and fingerprints a DataFrame it returns) while a
`Reads` collection is active, and is a plain call otherwise. A reader module imported later (in
the tracked cell itself) is wrapped as its import finishes. A wrapper never raises anything of its
own: what it cannot note is counted in `Reads.problems`, for one warning after the cell.
``open()`` is noted only when called from user code (not from the standard library or an
installed package), so a library's config and font files are not inputs.
"""

from __future__ import annotations

import builtins
import functools
import importlib.abc
import importlib.machinery
import inspect
import os
import pathlib
import sys
import sysconfig
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from mlops_jupyter.tracking.fingerprint import fingerprint_if_frame

_PANDAS = [
    "read_csv",
    "read_table",
    "read_fwf",
    "read_json",
    "read_parquet",
    "read_feather",
    "read_orc",
    "read_excel",
    "read_pickle",
    "read_hdf",
    "read_stata",
    "read_sas",
    "read_spss",
    "read_xml",
]
#: module -> the reader functions wrapped in it
READERS: dict[str, Sequence[str]] = {
    "pandas": _PANDAS,
    "numpy": ("load", "loadtxt", "genfromtxt", "fromfile"),
    "pyarrow.parquet": ("read_table", "read_pandas"),
    "pyarrow.csv": ("read_csv",),
    "pyarrow.feather": ("read_table", "read_feather"),
    "pyarrow.json": ("read_json",),
    "polars": [
        "read_csv",
        "read_parquet",
        "read_ipc",
        "read_json",
        "read_ndjson",
        "read_excel",
        "scan_csv",
        "scan_parquet",
        "scan_ipc",
        "scan_ndjson",
    ],
}
#: At most this many files are noted per cell (a cell walking an image folder would otherwise
#: make a provenance document of a million entries); the rest are counted in one warning.
MAX_FILES = 1000
_PATH_KEYWORDS = ("filepath_or_buffer", "path", "path_or_buf", "io", "file", "fname", "source")
_MARK = "__mlops_read_hook__"


@dataclass
class Read:
    """One file read: the reader that read it first and the fingerprints of frames it gave."""

    path: str
    reader: str
    frames: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Reads:
    """The files read while this collection is active, in first-read order."""

    files: dict[str, Read] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    skipped: int = 0

    def note(self, target: Any, reader: str, result: Any = None) -> None:
        """Note one read; never raises (a failure is kept in `problems`)."""
        try:
            path = _path_of(target)
            if path is None or _ignored(path):
                return
            read = self.files.get(path)
            if read is None and len(self.files) >= MAX_FILES:
                self.skipped += 1
                if self.skipped == 1:
                    self.problems.append(f"more than {MAX_FILES} files read: the first are kept")
                return
            if read is None:
                read = self.files[path] = Read(path, reader)
            elif read.reader == "open" and reader != "open":
                read.reader = reader  # the specific reader names the format better
            fingerprint = None if read.frames else fingerprint_if_frame(result)
            if fingerprint is not None:  # once per file: a loop re-reading it pays once
                read.frames.append(fingerprint)
        except Exception as err:
            self.problems.append(f"{reader}: {type(err).__name__}: {err}")


_lock = threading.Lock()
_current: Reads | None = None
_skip_prefixes: tuple[str, ...] = ()


@contextmanager
def recording(namespace: dict[str, Any] | None = None) -> Iterator[Reads]:
    """Install the hooks (idempotent; also on `namespace`'s own ``open``) and note every read
    until the block ends."""
    global _current
    install()
    if namespace is not None:
        install_namespace(namespace)
    reads = Reads()
    previous, _current = _current, reads
    try:
        yield reads
    finally:
        _current = previous


def install() -> None:
    """Wrap the readers of every reader module imported so far, and those imported later."""
    global _skip_prefixes
    with _lock:
        if not _skip_prefixes:
            paths = sysconfig.get_paths()
            found = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
            found |= {sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(__file__))}
            _skip_prefixes = tuple(os.path.realpath(p) + os.sep for p in found)
        if not getattr(builtins.open, _MARK, False):
            builtins.open = _where(hook_open(builtins.open), "builtins", "open")
        for name in ("read_text", "read_bytes", "open"):
            method = getattr(pathlib.Path, name)
            if not getattr(method, _MARK, False):
                wrapper = _where(_wrap(f"Path.{name}", method), "pathlib", f"Path.{name}")
                setattr(pathlib.Path, name, wrapper)
        for module_name in READERS:
            if module_name in sys.modules:
                wrap_module(sys.modules[module_name])
        if not any(isinstance(f, _ReaderImportHook) for f in sys.meta_path):
            sys.meta_path.insert(0, _ReaderImportHook())


def wrap_module(module: ModuleType) -> None:
    """Wrap the known readers of one module in place (those it has; idempotent)."""
    for attr in READERS.get(module.__name__, ()):
        original = getattr(module, attr, None)
        if callable(original) and not getattr(original, _MARK, False):
            wrapper = _wrap(f"{module.__name__}.{attr}", original)
            setattr(module, attr, _where(wrapper, module.__name__, attr))


def _where(wrapper: Callable[..., Any], module: str, qualname: str) -> Callable[..., Any]:
    """Name a wrapper by where it is installed, so pickle (which finds a function by its module
    and qualified name) finds the wrapper itself: ``pickle.dumps(pandas.read_csv)`` keeps
    working, and loads as the plain function in a process without the hooks."""
    wrapper.__module__, wrapper.__qualname__ = module, qualname
    return wrapper


def _wrap(label: str, original: Callable[..., Any]) -> Callable[..., Any]:
    is_path_method = label.startswith("Path.")

    @functools.wraps(original)
    def reader(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        reads = _current
        if reads is None:
            return result
        if not is_path_method:
            reads.note(_target(args, kwargs), label, result)
        else:
            mode = args[1] if len(args) > 1 else kwargs.get("mode", "r")
            if (label != "Path.open" or _reading(mode)) and _called_from_user_code():
                reads.note(args[0], label)
        return result

    setattr(reader, _MARK, True)
    return reader


def _target(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if args:
        return args[0]
    return next((kwargs[k] for k in _PATH_KEYWORDS if k in kwargs), None)


def hook_open(original: Callable[..., Any]) -> Callable[..., Any]:
    """`original` (an ``open`` function) noting the files user code opens for reading."""

    @functools.wraps(original)
    def hooked_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = original(file, mode, *args, **kwargs)
        reads = _current
        if reads is not None and _reading(mode) and _called_from_user_code():
            reads.note(file, "open")
        return handle

    setattr(hooked_open, _MARK, True)
    return hooked_open


def install_namespace(namespace: dict[str, Any]) -> None:
    """Hook an ``open`` of a namespace's own (IPython puts one in the user's namespace)."""
    current = namespace.get("open")
    if callable(current) and not getattr(current, _MARK, False):
        namespace["open"] = hook_open(current)


def _reading(mode: Any) -> bool:
    return isinstance(mode, str) and not any(c in mode for c in "wax+")


def _called_from_user_code() -> bool:
    frame = inspect.currentframe()
    caller = frame.f_back.f_back if frame and frame.f_back else None
    if caller is None:
        return False
    filename = caller.f_code.co_filename
    return not os.path.realpath(filename).startswith(_skip_prefixes)


def _path_of(target: Any) -> str | None:
    if isinstance(target, os.PathLike):
        target = os.fspath(target)
    if isinstance(target, bytes):
        target = os.fsdecode(target)
    if not isinstance(target, str) or "://" in target or not target:
        return None
    return os.path.realpath(target)


def _ignored(path: str) -> bool:
    """Paths that are never data: the interpreter's own files, devices, the store folder."""
    return (
        path.startswith(_skip_prefixes)
        or path.startswith(("/proc/", "/sys/", "/dev/"))
        or f"{os.sep}.mlops{os.sep}" in path
        or not os.path.isfile(path)
    )


class _ReaderImportHook(importlib.abc.MetaPathFinder):
    """Wraps a reader module's functions right after it is imported (e.g. in the cell)."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in READERS:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _WrappingLoader(spec.loader)
                return spec
        return None


class _WrappingLoader(importlib.abc.Loader):
    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        try:
            wrap_module(module)
        except Exception:  # a reader we cannot wrap is only not seen
            pass
