"""The MLOPS_JUPYTER_* environment variables, their meaning, and project-root discovery.

Library code and magics read configuration only through this module, so that every knob a user
can turn is listed here once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import overload

#: Store URL or path: a SQLite file path, ``sqlite:///...`` or ``postgresql://...``.
STORE = "MLOPS_JUPYTER_STORE"
#: Artifact blob root: a folder or an fsspec URL (``s3://bucket/prefix``, ``memory://x``).
BLOBS = "MLOPS_JUPYTER_BLOBS"
#: JSON object of fsspec storage options for a remote blob root, e.g.
#: ``{"endpoint_url": "http://127.0.0.1:9000"}`` for an S3-compatible server (MinIO, moto).
BLOBS_OPTIONS = "MLOPS_JUPYTER_BLOBS_OPTIONS"
#: Default experiment name for new runs (else "Default").
EXPERIMENT = "MLOPS_JUPYTER_EXPERIMENT"
#: Seconds without heartbeat after which a running run of another host is marked killed.
HEARTBEAT_TIMEOUT = "MLOPS_JUPYTER_HEARTBEAT_TIMEOUT"
#: Parent run id for runs started in this process (set by `run`/`sweep` for kernels they start).
PARENT_RUN = "MLOPS_JUPYTER_PARENT_RUN"
#: The notebook file a kernel runs (set by `run`/`sweep`; JupyterLab's JPY_SESSION_NAME also works).
NOTEBOOK = "MLOPS_JUPYTER_NOTEBOOK"
#: Seconds between background metric flushes (default 0.5).
FLUSH_INTERVAL = "MLOPS_JUPYTER_FLUSH_INTERVAL"
#: Folder for the local metric spool used while the store is away (default: ``spool/`` beside a
#: SQLite store file, else ``<project root>/.mlops/spool``); one sub-folder per store.
SPOOL = "MLOPS_JUPYTER_SPOOL"
#: "1" to start notebook kernels (run/sweep/reproduce) with ipykernel's debugger (debugpy);
#: by default they start without it, which saves 0.1-0.3 s per kernel.
KERNEL_DEBUGGER = "MLOPS_JUPYTER_KERNEL_DEBUGGER"

#: Seconds a PostgreSQL store may take to connect or to answer one statement (default 20); a
#: frozen or unreachable server then gives StoreUnavailableError instead of a hang.
STORE_TIMEOUT = "MLOPS_JUPYTER_STORE_TIMEOUT"
#: Bytes above which an input file a tracked cell reads is recorded by stat only, not hashed
#: (default 8 GiB).
INPUT_HASH_MAX = "MLOPS_JUPYTER_INPUT_HASH_MAX"
#: Bytes up to which an input file a tracked cell reads is also kept as a snapshot blob, so
#: `runs inputs RUN --restore DIR` can bring it back (default 0: only `log_input(snapshot=True)`).
SNAPSHOT_MAX = "MLOPS_JUPYTER_SNAPSHOT_MAX"

#: The token `models serve` requires (``Authorization: Bearer TOKEN``) on every route but GET
#: /ping and /health; without one it serves only a loopback address (``--token`` overrides it).
SERVE_TOKEN = "MLOPS_JUPYTER_SERVE_TOKEN"

DEFAULT_EXPERIMENT = "Default"
STORE_DIRNAME = ".mlops"


@overload
def get(name: str) -> str | None: ...
@overload
def get(name: str, default: str) -> str: ...
@overload
def get(name: str, default: str | None) -> str | None: ...


def get(name: str, default: str | None = None) -> str | None:
    """Return a non-empty environment value, or `default`."""
    value = os.environ.get(name, "").strip()
    return value or default


def get_float(name: str, default: float) -> float:
    """Return a float environment value, falling back to `default` when unset or unparsable."""
    try:
        return float(get(name) or default)
    except ValueError:
        return default


def project_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The git work-tree root above `start` (default: the current directory), else `start` itself.

    Walks up looking for ``.git`` rather than calling git, so it costs microseconds.
    """
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here
