"""Content-addressed artifact blobs: sha256 names, atomic writes, verified reads, fsspec URLs."""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from pathlib import Path
from typing import IO, Iterator

from mlops_jupyter.errors import ArtifactCorruptError, ArtifactNotFoundError, StoreUnavailableError

_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> tuple[str, int]:
    """Hash a file in chunks; returns (hex digest, size)."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class BlobStore:
    """Blobs under `root` at ``ab/cdef...``; `root` is a folder or any fsspec URL.

    Local folders use plain file calls (the fast path); other URLs go through fsspec, so a team
    can share artifacts on s3:// or gcs:// while the run rows live in PostgreSQL.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self._local = "://" not in root or root.startswith("file://")
        if self._local:
            self._dir = Path(root[len("file://"):] if root.startswith("file://") else root)
            self._fs = None
        else:
            import fsspec  # lazy: only remote blob stores need it

            self._fs, self._base = fsspec.core.url_to_fs(root)

    def _rel(self, sha256: str) -> str:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ArtifactNotFoundError(sha256)
        return f"{sha256[:2]}/{sha256[2:]}"

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        """Store `data`; returns (sha256, size). Writing the same content twice is free."""
        sha = hashlib.sha256(data).hexdigest()
        if not self.exists(sha):
            self._write(sha, lambda fh: fh.write(data))
        return sha, len(data)

    def put_file(self, path: str | os.PathLike[str]) -> tuple[str, int]:
        """Store a file's content; returns (sha256, size)."""
        sha, size = sha256_file(path)
        if not self.exists(sha):
            def copy(fh: IO[bytes]) -> None:
                with open(path, "rb") as src:
                    while chunk := src.read(_CHUNK):
                        fh.write(chunk)
            self._write(sha, copy)
        return sha, size

    def _write(self, sha: str, write) -> None:
        rel = self._rel(sha)
        try:
            if self._fs is None:
                target = self._dir / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
                try:
                    with os.fdopen(fd, "wb") as fh:
                        write(fh)
                    os.replace(tmp, target)
                except BaseException:
                    Path(tmp).unlink(missing_ok=True)
                    raise
            else:
                target = f"{self._base}/{rel}"
                tmp = f"{self._base}/.tmp-{uuid.uuid4().hex}"
                with self._fs.open(tmp, "wb") as fh:
                    write(fh)
                self._fs.mv(tmp, target)
        except OSError as err:
            raise StoreUnavailableError(
                self.root, f"cannot write artifact blob ({err.strerror or err})",
                "make the folder writable or set MLOPS_JUPYTER_BLOBS to a writable location",
            ) from err

    def exists(self, sha256: str) -> bool:
        """Whether a blob with this hash is stored."""
        rel = self._rel(sha256)
        if self._fs is None:
            return (self._dir / rel).is_file()
        return self._fs.exists(f"{self._base}/{rel}")

    def read(self, sha256: str) -> bytes:
        """The blob's bytes, verified against its hash."""
        rel = self._rel(sha256)
        try:
            if self._fs is None:
                data = (self._dir / rel).read_bytes()
            else:
                with self._fs.open(f"{self._base}/{rel}", "rb") as fh:
                    data = fh.read()
        except FileNotFoundError as err:
            raise ArtifactNotFoundError(sha256) from err
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise ArtifactCorruptError(sha256, actual)
        return data

    def size(self, sha256: str) -> int:
        """Bytes a stored blob takes (0 when it is missing)."""
        rel = self._rel(sha256)
        try:
            if self._fs is None:
                return (self._dir / rel).stat().st_size
            return int(self._fs.size(f"{self._base}/{rel}"))
        except (FileNotFoundError, OSError):
            return 0

    def delete(self, sha256: str) -> None:
        """Remove one blob (missing is fine)."""
        rel = self._rel(sha256)
        if self._fs is None:
            (self._dir / rel).unlink(missing_ok=True)
        elif self._fs.exists(f"{self._base}/{rel}"):
            self._fs.rm(f"{self._base}/{rel}")

    def iter_hashes(self) -> Iterator[str]:
        """Every blob hash present under the root."""
        if self._fs is None:
            if not self._dir.is_dir():
                return
            for sub in self._dir.iterdir():
                if sub.is_dir() and len(sub.name) == 2:
                    for blob in sub.iterdir():
                        if not blob.name.startswith(".tmp-"):
                            yield sub.name + blob.name
        else:
            for path in self._fs.find(self._base):
                parts = path.rstrip("/").split("/")
                if len(parts) >= 2 and len(parts[-2]) == 2 and not parts[-1].startswith(".tmp-"):
                    yield parts[-2] + parts[-1]
