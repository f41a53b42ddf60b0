"""How a converted package's step outputs become files and back: pickles (cloudpickle when
installed), and outputs that share objects written with references to each other so that
loading them together gives one object again.

Copied verbatim into each package with ``runtime.py``: standard library only, never
``mlops_jupyter``.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any


class PipelineError(Exception):
    """The pipeline cannot run as asked; the message names the step, the value and the fix."""


def sha(data: bytes) -> str:
    """The hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _pickler_class() -> type[pickle.Pickler]:
    try:
        import cloudpickle  # functions and classes defined inside a step

        return cloudpickle.Pickler
    except ImportError:
        return pickle.Pickler


def dumps(step: str, name: str, value: Any, refs: Mapping[int, str] | None = None) -> bytes:
    """Materialise one output; a value that cannot be written to a file is the user's error.
    ``refs`` (object id -> output name) writes those objects, when reached inside ``value``, as
    references to the step's other output files, so loading keeps them one object."""
    base = _pickler_class()

    class _Linked(base):  # type: ignore[valid-type,misc]
        def persistent_id(self, obj: Any) -> str | None:
            return refs.get(id(obj)) if refs and obj is not value else None

    pickler = _Linked if refs else base  # persistent_id costs a call per object: only if needed

    try:
        buffer = io.BytesIO()
        pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
        return buffer.getvalue()
    except Exception as err:
        kind = f"{type(value).__module__}.{type(value).__qualname__}".removeprefix("builtins.")
        raise PipelineError(
            f"step {step!r}: output {name!r} (a {kind}) cannot be materialised to a file "
            f"({type(err).__name__}: {err}); return data (numbers, lists, frames, models) or a "
            "path instead of an open file, a generator or a connection, or use it only inside "
            "the step that creates it"
        ) from err


def _loads(blob: bytes, resolve: Callable[[str], Any]) -> Any:
    unpickler = pickle.Unpickler(io.BytesIO(blob))
    unpickler.persistent_load = resolve  # type: ignore[method-assign]
    return unpickler.load()


def load_blobs(blobs: Mapping[str, bytes], names: Iterable[str]) -> dict[str, Any]:
    """Unpickle ``names`` from one step's output bytes, references between them resolved (the
    values that were one object in the step are one object again)."""
    memo: dict[str, Any] = {}

    def get(name: str) -> Any:
        if name not in memo:
            memo[name] = _loads(blobs[name], get)
        return memo[name]

    return {name: get(name) for name in names}


def load_file(path: str | os.PathLike[str], memo: dict[Path, Any] | None = None) -> Any:
    """Unpickle one output file (``DATA/STEP/NAME.pkl``), references to the step's other
    outputs read from their files beside it. Pass one ``memo`` to load several outputs of a
    step as the step left them (one object where they shared one)."""
    memo = {} if memo is None else memo
    file = Path(path).absolute()
    if file not in memo:
        sibling = file.with_name  # a reference names an output of the same step
        memo[file] = _loads(file.read_bytes(), lambda ref: load_file(sibling(f"{ref}.pkl"), memo))
    return memo[file]
