"""The installed distributions, read once per process: names, versions, top-level modules.

A run's provenance lists every installed distribution, and model pickling asks which
distribution provides each top-level module. ``importlib.metadata`` answers both, but parses
each METADATA file as an e-mail message and each RECORD into pathlib paths: about 0.35 s for
330 distributions, paid by each kernel's first ``%%track`` and by each sweep's kernel template
before its first point can start. This module reads the same files through the same public
API (``distributions()``, ``read_text``), taking only the two headers and the path parts it
needs, which is about ten times cheaper.
"""

from __future__ import annotations

import csv
import functools
import inspect
from collections import defaultdict
from importlib import metadata


def _name_and_version(dist: metadata.Distribution) -> tuple[str, str]:
    """The Name and Version headers (the header block ends at the first empty line)."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    name = version = ""
    for line in text.replace("\r\n", "\n").partition("\n\n")[0].splitlines():
        key, _, value = line.partition(":")
        if key == "Name" and not name:
            name = value.strip()
        elif key == "Version" and not version:
            version = value.strip()
        if name and version:
            break
    return name, version


@functools.lru_cache(maxsize=1)
def installed_versions() -> dict[str, str]:
    """Distribution name (lower case) -> version, sorted by name (identical sets hash alike);
    a distribution without a Name (a broken install) is left out."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name, version = _name_and_version(dist)
        if name:
            found[name.lower()] = version
    return dict(sorted(found.items()))


def _record_paths(dist: metadata.Distribution) -> list[str]:
    """The files a distribution installed, as written in its RECORD (else its file list)."""
    record = dist.read_text("RECORD")
    if record is not None:
        return [row[0] for row in csv.reader(record.splitlines()) if row]
    return [str(path) for path in dist.files or ()]


def _top_level(path: str) -> str:
    """The top-level module a file belongs to (as Python 3.12's packages_distributions)."""
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts:
        return ""
    if len(parts) > 1:
        return parts[0]
    return inspect.getmodulename(parts[0]) or parts[0]


@functools.lru_cache(maxsize=1)
def module_distributions() -> dict[str, list[str]]:
    """Top-level module name -> the distributions providing it: from ``top_level.txt`` when a
    distribution declares it, else from the files it installed (``.dist-info`` and the like,
    whose names hold a dot, are not modules)."""
    found: defaultdict[str, list[str]] = defaultdict(list)
    for dist in metadata.distributions():
        name, _ = _name_and_version(dist)
        declared = (dist.read_text("top_level.txt") or "").split()
        tops = declared or {_top_level(path) for path in _record_paths(dist)}
        for top in tops:
            if top and "." not in top:
                found[top].append(name)
    return dict(found)
