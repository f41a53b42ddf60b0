"""Pickling that carries the notebook's code: classes and functions defined in cells (``__main__``)
and in local modules travel by value, so the model loads where neither exists.

cloudpickle already pickles ``__main__`` by value; local modules (files of the project, not of an
installed distribution nor of the standard library) are registered with
``cloudpickle.register_pickle_by_value`` for the duration of one dump.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import pickletools
import site
import sys
import sysconfig
from collections.abc import Iterator
from typing import Any

import cloudpickle

from mlops_jupyter.tracking.distributions import module_distributions

#: Top-level packages never pickled by value: our own, which the loader imports anyway.
_NEVER_BY_VALUE = ("mlops_jupyter",)


@functools.lru_cache(maxsize=1)
def _installed_roots() -> tuple[str, ...]:
    """Folders whose modules are installed (stdlib, site-packages, the interpreter's prefixes)."""
    paths = sysconfig.get_paths()
    roots = {paths.get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots |= {sys.prefix, sys.base_prefix, sys.exec_prefix}
    with contextlib.suppress(Exception):
        roots |= set(site.getsitepackages()) | {site.getusersitepackages()}
    return tuple(os.path.realpath(r) + os.sep for r in roots if r)


def distribution_roots() -> dict[str, list[str]]:
    """Top-level module name -> the distributions providing it (cached: it reads every RECORD)."""
    return module_distributions()


def local_modules() -> list[str]:
    """Names of imported modules that are project files: not stdlib, not an installed package.

    The installed distributions (editable installs live outside site-packages) are asked only
    when some module's file lies outside every installed root: reading them costs ~0.5 s, and
    most kernels have no such module.
    """
    roots = _installed_roots()
    candidates = []
    for name, module in list(sys.modules.items()):
        top = name.partition(".")[0]
        if name == "__main__" or top in _NEVER_BY_VALUE or module is None:
            continue
        if top in sys.stdlib_module_names or top in sys.builtin_module_names:
            continue
        path = getattr(module, "__file__", None)
        if path and isinstance(path, str) and _is_project_file(path, roots):
            candidates.append((name, top))
    if not candidates:
        return []
    dists = distribution_roots()
    return [name for name, top in candidates if top not in dists]


@functools.lru_cache(maxsize=8192)
def _is_project_file(path: str, roots: tuple[str, ...]) -> bool:
    """Whether a module file lies outside every installed root (cached, and the real path of
    each folder apart: realpath costs a system call per path component, and a kernel has
    thousands of modules in a few hundred folders)."""
    folder, name = os.path.split(os.path.realpath(path) if os.path.islink(path) else path)
    real = os.path.join(_real_folder(folder), name)
    return real.endswith(".py") and not real.startswith(roots)


@functools.lru_cache(maxsize=2048)
def _real_folder(folder: str) -> str:
    return os.path.realpath(folder)


@contextlib.contextmanager
def _by_value(names: list[str]) -> Iterator[None]:
    registered = []
    try:
        for name in names:
            module = sys.modules.get(name)
            if module is None:
                continue
            try:
                cloudpickle.register_pickle_by_value(module)
            except ValueError:  # already registered by the user, or not importable by name
                continue
            registered.append(module)
        yield
    finally:
        for module in registered:
            with contextlib.suppress(ValueError):
                cloudpickle.unregister_pickle_by_value(module)


def dumps(obj: Any) -> bytes:
    """`obj` pickled with the notebook's and the project's own code inside."""
    with _by_value(local_modules()):
        return cloudpickle.dumps(obj, protocol=pickle_protocol())


def dump_with(save: Any) -> Any:
    """Call `save()` (a flavour's own writer that pickles, e.g. torch.save with cloudpickle)
    while local modules are pickled by value."""
    with _by_value(local_modules()):
        return save()


def pickle_protocol() -> int:
    """Protocol 4: readable by every Python the requirements allow (3.8+)."""
    return 4


def loads(data: bytes) -> Any:
    """Unpickle a model (cloudpickle's loader is pickle's; by-value code rebuilds itself)."""
    import pickle

    return pickle.loads(data)


def referenced_modules(payload: bytes) -> set[str]:
    """Top-level modules a pickle imports when loaded (its globals and cloudpickle's
    sub-imports), for the requirements: only names of modules imported here count."""
    found: set[str] = set()
    with contextlib.suppress(Exception):
        for opcode, arg, _ in pickletools.genops(io.BytesIO(payload)):
            if isinstance(arg, str) and opcode.name in (
                "SHORT_BINUNICODE",
                "BINUNICODE",
                "UNICODE",
                "GLOBAL",
                "BINUNICODE8",
            ):
                candidate = arg.split(" ")[0] if opcode.name == "GLOBAL" else arg
                top = candidate.partition(".")[0]
                if top and candidate in sys.modules and top in sys.modules:
                    found.add(top)
    return found
