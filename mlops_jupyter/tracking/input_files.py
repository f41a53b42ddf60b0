"""What an input file is: its stat, sha256 and (for tabular files) schema, with a stat cache.

The cache is keyed by (path, size, mtime_ns, inode), as DVC's state database and git's index
are, so a file that has not changed since it was last hashed is not read again: a re-run costs
one ``stat`` per input. It lives in memory and in ``<project>/.mlops/input-hashes.json``
(written atomically), so a new kernel does not re-hash a 1 GB file either. Files outside the
project or over the size cap are recorded by stat only, with a note saying why.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from mlops_jupyter import env

#: Files larger than this are recorded by stat only (default 8 GiB; MLOPS_JUPYTER_INPUT_HASH_MAX).
DEFAULT_HASH_MAX = 8 << 30
_CHUNK = 4 << 20
_CACHE_NAME = "input-hashes.json"
_SCHEMA_ROWS = 1000
_TABULAR = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_KINDS = {
    **_TABULAR,
    ".npy": "npy",
    ".npz": "npz",
    ".json": "json",
    ".jsonl": "json",
    ".txt": "text",
    ".feather": "feather",
    ".arrow": "feather",
    ".pkl": "pickle",
    ".pickle": "pickle",
    ".xlsx": "excel",
    ".h5": "hdf5",
}

_lock = threading.Lock()
_cache: dict[str, dict[str, Any]] = {}
_loaded_from: set[str] = set()


def sha256_of(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file, read unbuffered into one reused 4 MiB buffer (as fast as the
    machine's OpenSSL allows; see bench/LINEAGE.md against ``sha256sum``)."""
    digest = hashlib.sha256()
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as fh:
        while count := fh.readinto(buffer):
            digest.update(view[:count])
    return digest.hexdigest()


def file_kind(path: str | os.PathLike[str]) -> str:
    """The format of a file by its suffix ("csv", "parquet", "npy", ...; "file" otherwise)."""
    return _KINDS.get(Path(path).suffix.lower(), "file")


def hash_cap() -> int:
    """The size above which files are recorded by stat only."""
    return int(env.get_float(env.INPUT_HASH_MAX, DEFAULT_HASH_MAX))


def describe_file(path: str | os.PathLike[str], root: Path | None = None) -> dict[str, Any]:
    """The input record of one file: path (relative to the project when inside it), size,
    mtime_ns, sha256 (None when recorded by stat only, with a ``note``), kind and schema.

    Raises:
        OSError: the file cannot be stat-ed (the caller decides whether that is worth a warning).
    """
    root = root or env.project_root()
    real = Path(os.path.realpath(path))
    st = real.stat()
    entry: dict[str, Any] = {
        "name": real.name,
        "path": _display_path(real, root),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "kind": file_kind(real),
        "sha256": None,
        "schema": None,
    }
    if not _inside(real, root):
        entry["note"] = "outside the project: recorded by stat only"
        return entry
    if st.st_size > hash_cap():
        entry["note"] = f"over the {hash_cap()} byte hash cap: recorded by stat only"
        return entry
    cached = _cached(real, st, root)
    if cached is None:
        cached = {"sha256": sha256_of(real), "schema": table_schema(real)}
        _remember(real, st, root, cached)
    entry["sha256"], entry["schema"] = cached["sha256"], cached.get("schema")
    return entry


def table_schema(path: Path) -> dict[str, Any] | None:
    """Column names and dtypes of a tabular file (CSV: from its first rows; Parquet: its
    footer, with the row count); None for other files or when it cannot be read."""
    kind = _TABULAR.get(path.suffix.lower())
    try:
        if kind == "csv":
            import pandas as pd

            sep = "\t" if path.suffix.lower() == ".tsv" else ","
            head = pd.read_csv(path, nrows=_SCHEMA_ROWS, sep=sep)
            return {"columns": {str(c): str(t) for c, t in head.dtypes.items()}}
        if kind == "parquet":
            import pyarrow.parquet as pq  # type: ignore[import-untyped]

            meta = pq.read_metadata(path)
            schema = meta.schema.to_arrow_schema()
            return {
                "columns": {f.name: str(f.type) for f in schema},
                "rows": meta.num_rows,
            }
    except Exception:  # a broken or exotic file still gets its hash
        return None
    return None


def _display_path(real: Path, root: Path) -> str:
    return str(real.relative_to(root)) if _inside(real, root) else str(real)


def _inside(real: Path, root: Path) -> bool:
    return real == root or root in real.parents


# -- the stat cache ---------------------------------------------------------------------------


def _cache_file(root: Path) -> Path:
    return root / env.STORE_DIRNAME / _CACHE_NAME


def _key(real: Path, st: os.stat_result) -> str:
    return f"{real}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}"


def _cached(real: Path, st: os.stat_result, root: Path) -> dict[str, Any] | None:
    with _lock:
        if str(root) not in _loaded_from:
            _loaded_from.add(str(root))
            with contextlib.suppress(OSError, ValueError):
                _cache.update(json.loads(_cache_file(root).read_text()))
        return _cache.get(_key(real, st))


def _remember(real: Path, st: os.stat_result, root: Path, value: dict[str, Any]) -> None:
    """Keep the hash in memory and on disk; the file drops entries of paths hashed again."""
    key = _key(real, st)
    prefix = f"{real}\0"
    with _lock:
        for old in [k for k in _cache if k.startswith(prefix)]:
            del _cache[old]
        _cache[key] = value
        snapshot = dict(_cache)
    with contextlib.suppress(OSError):  # a read-only project only loses the cross-kernel cache
        target = _cache_file(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".input-hashes.")
        with os.fdopen(fd, "w") as fh:
            json.dump(snapshot, fh)
        os.replace(tmp, target)


def clear_cache() -> None:
    """Forget the in-memory cache (tests and benches measure a cold start with it)."""
    with _lock:
        _cache.clear()
        _loaded_from.clear()
