"""Data profiles of the DataFrames a ``%%track`` cell reads (its input frames), taken before the
cell runs, stored on its run as ``input.NAME.profile.json`` (+ sample) for drift.

A frame already profiled and unchanged in shape is not profiled again: the last profile of each
object is kept (by identity and shape) so re-running a cell on the same data costs a lookup.
An in-place edit that keeps the shape is therefore not seen until the frame is rebuilt.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

from mlops_jupyter.monitoring.artifacts import store_profile
from mlops_jupyter.monitoring.profile import profile_frame

INPUT_PREFIX = "input."
_MAX_FRAMES = 20  # inputs profiled per cell at most
_cache: dict[int, tuple[Any, tuple[int, ...], tuple[dict[str, Any], bytes]]] = {}


def log_input_profiles(run: Any, namespace: dict[str, Any], names: Iterable[str]) -> list[str]:
    """Profile each DataFrame among `names` in `namespace` onto `run`; returns the names done."""
    done = []
    for name in names:
        value = namespace.get(name)
        if type(value).__name__ != "DataFrame" or not hasattr(value, "dtypes"):
            continue
        doc, sample = _profile(value, f"{INPUT_PREFIX}{name}")
        store_profile(run.store, run.run_id, {**doc, "name": f"{INPUT_PREFIX}{name}"}, sample)
        done.append(name)
        if len(done) >= _MAX_FRAMES:
            break
    return done


def _profile(frame: Any, name: str) -> tuple[dict[str, Any], bytes]:
    key, shape = id(frame), tuple(frame.shape)
    cached = _cache.get(key)
    if cached is not None and cached[0]() is frame and cached[1] == shape:
        return cached[2]
    result = profile_frame(frame, name)

    def forget(_ref: Any) -> None:
        _cache.pop(key, None)

    try:
        ref = weakref.ref(frame, forget)
    except TypeError:
        return result
    _cache[key] = (ref, shape, result)
    return result
