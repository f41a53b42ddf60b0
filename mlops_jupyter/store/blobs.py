"""Content-addressed artifact blobs: sha256 names, atomic writes, verified reads, fsspec URLs."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import socket
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from mlops_jupyter import env
from mlops_jupyter.errors import ArtifactCorruptError, ArtifactNotFoundError, StoreUnavailableError

_CHUNK = 1 << 20


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Blobs get the mode a plain ``open()`` would give them (0644 with the usual umask).
_FILE_MODE = 0o666 & ~_umask()
#: This machine's name, part of each in-flight marker so `gc` can check the writer's pid.
HOST = socket.gethostname()
#: Remote blobs up to this size are re-hashed when their content is logged again; larger ones are
#: checked by size only, as downloading them would cost about as much as uploading them again.
#: Local blobs are always re-hashed (one read), since a corrupt model is worse than a slow re-log.
VERIFY_REMOTE_MAX = 64 << 20
#: Folder under the root holding one empty marker per write whose artifact row is not committed.
INFLIGHT = ".inflight"


def sha256_file(path: str | os.PathLike[str]) -> tuple[str, int]:
    """Hash a file in chunks; returns (hex digest, size)."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


@dataclass
class BlobEntry:
    """One file under the blob root, as `gc` sees it."""

    kind: str  # "blob", "partial" (.tmp- of a writer), "trash" (of a gc) or "marker" (in flight)
    sha256: str
    path: str
    size: int
    mtime: float | None  # None when the filesystem does not say: treated as brand new
    upload_id: str = ""  # for an unfinished S3 multipart upload


class BlobStore:
    """Blobs under `root` at ``ab/cdef...``; `root` is a folder or any fsspec URL.

    Local folders use plain file calls (the fast path); other URLs go through fsspec, so a team
    can share artifacts on s3:// or gcs:// while the run rows live in PostgreSQL. Options for
    the fsspec filesystem (e.g. ``{"endpoint_url": ...}`` for an S3-compatible server) come from
    `storage_options`, else from the JSON in MLOPS_JUPYTER_BLOBS_OPTIONS.
    """

    def __init__(self, root: str, storage_options: dict[str, Any] | None = None) -> None:
        self.root = root
        self.is_local = "://" not in root or root.startswith("file://")
        if self.is_local:
            self._dir = Path(root.removeprefix("file://"))
            self._fs = None
        else:
            import fsspec  # lazy: only remote blob stores need it

            options = _env_options() if storage_options is None else storage_options
            self._fs, self._base = fsspec.core.url_to_fs(root, **options)
            self._base = self._base.rstrip("/")

    # -- paths and the few filesystem calls, local or fsspec -------------------------------

    def _rel(self, sha256: str) -> str:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ArtifactNotFoundError(sha256)
        return f"{sha256[:2]}/{sha256[2:]}"

    def _path(self, rel: str) -> str:
        return str(self._dir / rel) if self._fs is None else f"{self._base}/{rel}"

    def path_of(self, sha256: str) -> str:
        """Where the blob of this hash lives (a local path, or a path on the fsspec filesystem)."""
        return self._path(self._rel(sha256))

    def stat(self, path: str) -> tuple[int, float | None] | None:
        """(size, mtime) of a file, None when it is missing; remote calls bypass fsspec's cache."""
        try:
            if self._fs is None:
                st = os.stat(path)
                return st.st_size, st.st_mtime
            self._fs.invalidate_cache(path)
            info = self._fs.info(path)
            return int(info.get("size") or 0), fs_mtime(info)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def remove(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            if self._fs is None:
                os.unlink(path)
            else:
                self._fs.rm(path)

    def move(self, src: str, dst: str) -> bool:
        """Move a file (atomic locally); False when `src` has gone (another gc, a restore)."""
        try:
            if self._fs is None:
                os.replace(src, dst)
            else:
                self._fs.mv(src, dst)
            return True
        except FileNotFoundError:
            return False

    def _hash(self, path: str) -> str:
        digest = hashlib.sha256()
        with open(path, "rb") if self._fs is None else self._fs.open(path, "rb") as fh:
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
        marker = self._path(f"{INFLIGHT}/{sha}-{os.getpid()}-{uuid.uuid4().hex[:8]}-{HOST}")
        try:
            with self._writing():
                self._create(marker, lambda fh: None)
                if not self._sound(self._path(rel), sha, size):
                    self._write(rel, write)
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
            if (self._fs is None or size <= VERIFY_REMOTE_MAX) and self._hash(path) != sha:
                return False
            if self._fs is None:
                with contextlib.suppress(PermissionError):  # another user's blob: the marker
                    os.utime(path)  # still protects it
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

    def _create(self, path: str, write: Callable[[IO[bytes]], None]) -> None:
        if self._fs is None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as fh:
                write(fh)
        else:
            with self._fs.open(path, "wb") as fh:
                write(fh)

    def _write(self, rel: str, write: Callable[[IO[bytes]], None]) -> None:
        """Write to ``.tmp-<sha>-<random>`` beside the target, then move it into place."""
        target = self._path(rel)
        sub, name = rel.split("/")
        if self._fs is None:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=Path(target).parent, prefix=f".tmp-{name}-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    write(fh)
                os.chmod(tmp, _FILE_MODE)  # mkstemp's 0600 would hide blobs from a team's users
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        else:
            tmp = self._path(f"{sub}/.tmp-{name}-{uuid.uuid4().hex}")
            try:
                self._create(tmp, write)
                self._fs.mv(tmp, target)
            except BaseException:
                with contextlib.suppress(Exception):
                    self.remove(tmp)
                raise

    # -- reading --------------------------------------------------------------------------

    def exists(self, sha256: str) -> bool:
        """Whether a blob with this hash is stored."""
        return self.stat(self.path_of(sha256)) is not None

    def read(self, sha256: str) -> bytes:
        """The blob's bytes, verified against its hash."""
        path = self.path_of(sha256)
        try:
            if self._fs is None:
                data = Path(path).read_bytes()
            else:
                self._fs.invalidate_cache(path)  # a listing (gc's) may predate the blob
                with self._fs.open(path, "rb") as fh:
                    data = fh.read()
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

    def entries(self, only: str | None = None) -> Iterator[BlobEntry]:
        """Every blob, partial write, gc trash file and in-flight marker under the root (or
        only those in the subfolder `only`)."""
        if self._fs is None:
            if not self._dir.is_dir():
                return
            subs = (
                [self._dir / only]
                if only
                else [Path(e.path) for e in os.scandir(self._dir) if e.is_dir()]
            )
            for sub in subs:
                if len(sub.name) != 2 and sub.name != INFLIGHT:
                    continue
                with contextlib.suppress(FileNotFoundError):
                    for item in os.scandir(sub):
                        with contextlib.suppress(FileNotFoundError):
                            st = item.stat()
                            entry = classify(
                                sub.name, item.name, item.path, st.st_size, st.st_mtime
                            )
                            if entry:
                                yield entry
        else:
            base = f"{self._base}/{only}" if only else self._base
            self._fs.invalidate_cache(base)
            with contextlib.suppress(FileNotFoundError):
                found = self._fs.find(base, detail=True)
                for path, info in found.items():
                    parts = path[len(self._base) :].strip("/").split("/")
                    if len(parts) == 2:
                        entry = classify(
                            parts[0], parts[1], path, int(info.get("size") or 0), fs_mtime(info)
                        )
                        if entry:
                            yield entry

    def iter_hashes(self) -> Iterator[str]:
        """Every blob hash present under the root."""
        return (e.sha256 for e in self.entries() if e.kind == "blob")

    def uploads(self) -> Iterator[BlobEntry]:
        """Unfinished S3 multipart uploads of partial blobs: the parts of a killed uploader,
        invisible to listings but kept (and billed) by S3 until aborted."""
        lister = getattr(self._fs, "list_multipart_uploads", None)
        if lister is None:
            return
        bucket, _, prefix = self._base.partition("/")
        for upload in lister(bucket):
            key = upload.get("Key", "")
            if prefix and not key.startswith(prefix + "/"):
                continue
            rel = key[len(prefix) :].strip("/").split("/")
            entry = (
                classify(
                    rel[0],
                    rel[1],
                    f"{bucket}/{key}",
                    0,
                    fs_mtime({"Initiated": upload.get("Initiated")}),
                )
                if len(rel) == 2
                else None
            )
            if entry and entry.kind == "partial":
                entry.upload_id = upload.get("UploadId", "")
                yield entry

    def discard(self, entry: BlobEntry) -> None:
        """Remove a partial file, or abort an unfinished multipart upload."""
        if entry.upload_id and self._fs is not None:  # upload ids come only from remote stores
            bucket, _, key = entry.path.partition("/")
            self._fs.call_s3(
                "abort_multipart_upload", Bucket=bucket, Key=key, UploadId=entry.upload_id
            )
        else:
            self.remove(entry.path)

    def trash_path(self, sha256: str) -> str:
        """A fresh name beside the blob where `gc` parks it while it checks once more."""
        sub, name = self._rel(sha256).split("/")
        return self._path(f"{sub}/.trash-{name}-{uuid.uuid4().hex[:8]}")


def classify(folder: str, name: str, path: str, size: int, mtime: float | None) -> BlobEntry | None:
    if folder == INFLIGHT:
        kind, sha = "marker", name[:64]
    elif name.startswith(".tmp-") and len(folder) == 2:
        kind, sha = "partial", folder + name[5:67]
    elif name.startswith(".trash-") and len(folder) == 2:
        kind, sha = "trash", folder + name[7:69]
    elif not name.startswith(".") and len(folder) == 2:
        kind, sha = "blob", folder + name
    else:
        return None
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        return None
    return BlobEntry(kind, sha, path, size, mtime)


def fs_mtime(info: dict[str, Any]) -> float | None:
    """Modification time from an fsspec info dict, whose key differs per filesystem."""
    for key in (
        "mtime",
        "LastModified",
        "last_modified",
        "modified",
        "updated",
        "created",
        "Initiated",
    ):
        value = info.get(key)
        if isinstance(value, datetime.datetime):
            return value.timestamp()
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return None


def _env_options() -> dict[str, Any]:
    raw = env.get(env.BLOBS_OPTIONS)
    if not raw:
        return {}
    try:
        options = json.loads(raw)
    except ValueError as err:
        options = err
    if not isinstance(options, dict):
        raise StoreUnavailableError(
            env.BLOBS_OPTIONS,
            f"not a JSON object ({raw[:80]!r})",
            'set it to fsspec storage options, e.g. {"endpoint_url": "http://127.0.0.1:9000"}',
        )
    return options
