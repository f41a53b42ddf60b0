"""Where a logged model lives: run artifacts ``models/NAME/<file>`` and its ``models/NAME/MLmodel``
document (flavour, signature, requirements, run and cell), written last so a model is listed
only once it is whole."""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mlops_jupyter.errors import ModelFlavorError, ModelNotFoundError
from mlops_jupyter.store import RunStore
from mlops_jupyter.store.records import RunRecord

PREFIX = "models/"
DOCUMENT = "MLmodel"
MEDIA_TYPE = "application/vnd.mlops-jupyter.model+json"
CODE_ARCHIVE = "code.zip"


def artifact_name(model: str, file: str) -> str:
    """The artifact name of one file of run model `model`."""
    return f"{PREFIX}{model}/{file}"


def models_of(record: RunRecord) -> list[str]:
    """The names of the models a run logged (those whose document is written)."""
    suffix = "/" + DOCUMENT
    return sorted(
        a.name[len(PREFIX) : -len(suffix)]
        for a in record.artifacts
        if a.name.startswith(PREFIX) and a.name.endswith(suffix)
    )


def write(
    store: RunStore, run_id: str, name: str, files: dict[str, bytes], doc: dict[str, Any]
) -> None:
    """Store the model's files, then its document (naming each file's hash)."""
    hashes = {}
    for file, data in files.items():
        hashes[file] = store.log_artifact(run_id, artifact_name(name, file), data).sha256
    body = json.dumps({**doc, "files": hashes}, indent=1, sort_keys=True, default=str)
    store.log_artifact(run_id, artifact_name(name, DOCUMENT), body.encode(), MEDIA_TYPE)


def read_document(store: RunStore, record: RunRecord, name: str) -> dict[str, Any]:
    """A run model's document, or ModelNotFoundError naming the models the run has."""
    artifact = record.artifact(artifact_name(name, DOCUMENT))
    if artifact is None:
        have = models_of(record)
        raise ModelNotFoundError(
            f"run {record.run_id[:8]} ({record.name}) logged no model {name!r}; "
            + (f"it logged: {', '.join(have)}" if have else "it logged no model (log_model)")
        )
    doc: dict[str, Any] = json.loads(store.read_artifact(artifact.sha256))
    return doc


def read_files(store: RunStore, doc: dict[str, Any]) -> dict[str, bytes]:
    """The model's files by name, each verified against its hash."""
    return {file: store.read_artifact(sha) for file, sha in doc["files"].items()}


def zip_code(paths: Iterable[str | os.PathLike[str]]) -> bytes:
    """Files and folders given as `code_paths`, zipped under their base names."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for given in paths:
            path = Path(given)
            if not path.exists():
                raise ModelFlavorError(f"code_paths: {os.fspath(given)!r} does not exist")
            members = (
                [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
            )
            for member in members:
                if "__pycache__" not in member.parts:
                    archive.write(member, member.relative_to(path.parent).as_posix())
    return buffer.getvalue()


def mount_code(data: bytes, sha256: str) -> str:
    """Unpack a model's code archive once per content and put it first on ``sys.path``."""
    target = Path(tempfile.gettempdir()) / "mlops-jupyter-model-code" / sha256[:16]
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="code-", dir=target.parent))
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(staging)
        try:
            staging.rename(target)
        except OSError:  # another process unpacked it first: same content
            pass
    if str(target) not in sys.path:
        sys.path.insert(0, str(target))
    return str(target)
