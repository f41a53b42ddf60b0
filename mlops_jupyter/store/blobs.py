"""Content-addressed artifact blobs: sha256 names, atomic writes, verified reads, fsspec URLs."""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Iterator
from typing import IO, Any

from mlops_jupyter.errors import ArtifactCorruptError, ArtifactNotFoundError, StoreUnavailableError
from mlops_jupyter.store.blob_entries import HOST, INFLIGHT, BlobEntry
from mlops_jupyter.store.blob_files import LocalFiles, RemoteFiles, Writer

_CHUNK = 1 << 20

#: Remote blobs up to this size are re-hashed when their content is logged again; larger ones are
#: checked by size only, as downloading them would cost about as much as uploading them again.
#: Local blobs are always re-hashed (one read), since a corrupt model is worse than a slow re-log.
VERIFY_REMOTE_MAX = 64 << 20


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
    can share artifacts on s3:// or gcs:// while the run rows live in PostgreSQL. Options for
    the fsspec filesystem (e.g. ``{"endpoint_url": ...}`` for an S3-compatible server) come from
    `storage_options`, else from the JSON in MLOPS_JUPYTER_BLOBS_OPTIONS. `files` holds the
    file calls of either kind (blob_files.py).
    """

    def __init__(self, root: str, storage_options: dict[str, Any] | None = None) -> None:
        self.root = root
        self.is_local = "://" not in root or root.startswith("file://")
        self.files: LocalFiles | RemoteFiles = (
            LocalFiles(root) if self.is_local else RemoteFiles(root, storage_options)
        )

    # -- paths and the few filesystem calls gc needs ----------------------------------------

    def _rel(self, sha256: str) -> str:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ArtifactNotFoundError(sha256)
        return f"{sha256[:2]}/{sha256[2:]}"

    def path_of(self, sha256: str) -> str:
        """Where the blob of this hash lives (a local path, or a path on the fsspec filesystem)."""
        return self.files.path(self._rel(sha256))

    def stat(self, path: str) -> tuple[int, float | None] | None:
        """(size, mtime) of a file, None when it is missing; remote calls bypass fsspec's cache."""
        return self.files.stat(path)

    def remove(self, path: str) -> None:
        """Delete a file under the root; a missing one is fine."""
        self.files.remove(path)

    def move(self, src: str, dst: str) -> bool:
        """Move a file (atomic locally); False when `src` has gone (another gc, a restore)."""
        return self.files.move(src, dst)

    def _hash(self, path: str) -> str:
        digest = hashlib.sha256()
        with self.files.open_read(path) as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    # -- writing --------------------------------------------------------------------------

    @contextlib.contextmanager
    def holding(self, source: bytes | str | os.PathLike[str]) -> Iterator[tuple[str, int]]:
        """Store bytes or a file's content and shield the blob from `gc` until the block ends.

        The caller commits the row that references the blob inside the block. An in-flight
        marker (``.inflight/<sha>-<pid>-...``) exists from before the blob is checked or
        written until after the block, and `gc` re-reads markers and rows after moving a
        blob aside and puts it back if either names it.
        """
        write: Writer
        if isinstance(source, bytes):
            sha, size = hashlib.sha256(source).hexdigest(), len(source)

            def write(fh: IO[bytes]) -> None:
                fh.write(source)
        else:
            sha, size = sha256_file(source)

            def write(fh: IO[bytes]) -> None:
                with open(source, "rb") as src:
                    while chunk := src.read(_CHUNK):
                        fh.write(chunk)

        rel = self._rel(sha)
        marker = self.files.path(f"{INFLIGHT}/{sha}-{os.getpid()}-{uuid.uuid4().hex[:8]}-{HOST}")
        try:
            with self._writing():
                self.files.create(marker, lambda fh: None)
                if not self._sound(self.files.path(rel), sha, size):
                    self.files.write_atomic(rel, write)
            yield sha, size
        finally:
            with contextlib.suppress(OSError):
                self.remove(marker)

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        """Store `data`; returns (sha256, size). Writing the same content twice is cheap."""
        with self.holding(bytes(data)) as result:
            return result

    def put_file(self, path: str | os.PathLike[str]) -> tuple[str, int]:
        """Store a file's content; returns (sha256, size)."""
        with self.holding(path) as result:
            return result

    def _sound(self, path: str, sha: str, size: int) -> bool:
        """Whether the stored blob is whole and right, so re-logging it needs no write.

        A blob of the wrong size, or whose content no longer hashes to its name, is reported
        unsound so that re-logging the content repairs it. A sound local blob is touched,
        which keeps a `gc` running now off it; if it vanished meanwhile, it is written anew.
        """
        found = self.stat(path)
        if found is None or found[0] != size:
            return False
        try:
            if (self.is_local or size <= VERIFY_REMOTE_MAX) and self._hash(path) != sha:
                return False
            self.files.touch(path)
        except FileNotFoundError:
            return False
        return True

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            yield
        except OSError as err:
            raise StoreUnavailableError(
                self.root,
                f"cannot write artifact blob ({err.strerror or err})",
                "make the folder writable or set MLOPS_JUPYTER_BLOBS to a writable location",
            ) from err

    # -- reading --------------------------------------------------------------------------

    def exists(self, sha256: str) -> bool:
        """Whether a blob with this hash is stored."""
        return self.stat(self.path_of(sha256)) is not None

    def read(self, sha256: str) -> bytes:
        """The blob's bytes, verified against its hash."""
        try:
            data = self.files.read_bytes(self.path_of(sha256))
        except FileNotFoundError as err:
            raise ArtifactNotFoundError(sha256) from err
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise ArtifactCorruptError(sha256, actual)
        return data

    def size(self, sha256: str) -> int:
        """Bytes a stored blob takes (0 when it is missing)."""
        try:
            found = self.stat(self.path_of(sha256))
        except OSError:
            return 0
        return found[0] if found else 0

    def delete(self, sha256: str) -> None:
        """Remove one blob (missing is fine); `collect` is the safe way to clean up."""
        self.remove(self.path_of(sha256))

    # -- what gc sees ---------------------------------------------------------------------

    def entries(self, only: str | None = None) -> Iterator[BlobEntry]:
        """Every blob, partial write, gc trash file and in-flight marker under the root (or
        only those in the subfolder `only`)."""
        return self.files.entries(only)

    def iter_hashes(self) -> Iterator[str]:
        """Every blob hash present under the root."""
        return (e.sha256 for e in self.entries() if e.kind == "blob")

    def uploads(self) -> Iterator[BlobEntry]:
        """Unfinished S3 multipart uploads of partial blobs: the parts of a killed uploader,
        invisible to listings but kept (and billed) by S3 until aborted."""
        return self.files.uploads()

    def discard(self, entry: BlobEntry) -> None:
        """Remove a partial file, or abort an unfinished multipart upload."""
        self.files.discard(entry)

    def trash_path(self, sha256: str) -> str:
        """A fresh name beside the blob where `gc` parks it while it checks once more."""
        sub, name = self._rel(sha256).split("/")
        return self.files.path(f"{sub}/.trash-{name}-{uuid.uuid4().hex[:8]}")
