"""The few file calls blobs need, on a local folder (plain os calls) or any fsspec URL."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from mlops_jupyter import env
from mlops_jupyter.errors import StoreUnavailableError
from mlops_jupyter.store.blob_entries import INFLIGHT, BlobEntry, classify

Writer = Callable[[IO[bytes]], None]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Blobs get the mode a plain ``open()`` would give them (0644 with the usual umask).
_FILE_MODE = 0o666 & ~_umask()


class LocalFiles:
    """Blob files in a local folder, with plain file calls (the fast path)."""

    is_local = True

    def __init__(self, root: str) -> None:
        self.dir = Path(root.removeprefix("file://"))

    def path(self, rel: str) -> str:
        """The path of `rel` (``ab/cdef...``) under the root."""
        return str(self.dir / rel)

    def stat(self, path: str) -> tuple[int, float | None] | None:
        """(size, mtime) of a file, None when it is missing."""
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        return st.st_size, st.st_mtime

    def remove(self, path: str) -> None:
        """Delete a file; a missing one is fine."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)

    def move(self, src: str, dst: str) -> bool:
        """Move a file atomically; False when `src` has gone (another gc, a restore)."""
        try:
            os.replace(src, dst)
        except FileNotFoundError:
            return False
        return True

    def open_read(self, path: str) -> IO[bytes]:
        """The file opened for reading."""
        return open(path, "rb")

    def read_bytes(self, path: str) -> bytes:
        """The whole file."""
        return Path(path).read_bytes()

    def touch(self, path: str) -> None:
        """Set the file's mtime to now (keeps a `gc` running now off it); another user's file
        stays as it is, its in-flight marker still protects it."""
        with contextlib.suppress(PermissionError):
            os.utime(path)

    def create(self, path: str, write: Writer) -> None:
        """Create (or truncate) a file and fill it with `write`, making its folder if needed."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            write(fh)

    def write_atomic(self, rel: str, write: Writer) -> None:
        """Write to ``.tmp-<sha>-<random>`` beside the target, then move it into place."""
        target = Path(self.path(rel))
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".tmp-{target.name}-")
        try:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
            os.chmod(tmp, _FILE_MODE)  # mkstemp's 0600 would hide blobs from a team's users
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def entries(self, only: str | None = None) -> Iterator[BlobEntry]:
        """Every file of ours under the root (or only in the subfolder `only`)."""
        if not self.dir.is_dir():
            return
        subs = (
            [self.dir / only]
            if only
            else [Path(e.path) for e in os.scandir(self.dir) if e.is_dir()]
        )
        for sub in subs:
            if len(sub.name) != 2 and sub.name != INFLIGHT:
                continue
            with contextlib.suppress(FileNotFoundError):
                for item in os.scandir(sub):
                    with contextlib.suppress(FileNotFoundError):
                        st = item.stat()
                        entry = classify(sub.name, item.name, item.path, st.st_size, st.st_mtime)
                        if entry:
                            yield entry

    def uploads(self) -> Iterator[BlobEntry]:
        """None here: only S3 keeps unfinished uploads."""
        return iter(())

    def discard(self, entry: BlobEntry) -> None:
        """Remove a partial file."""
        self.remove(entry.path)


class RemoteFiles:
    """Blob files on any fsspec URL (s3://, gcs://, ...). Listings and stats bypass fsspec's
    cache, since other processes write and collect blobs there too."""

    is_local = False

    def __init__(self, root: str, storage_options: dict[str, Any] | None = None) -> None:
        import fsspec  # lazy: only remote blob stores need it

        options = _env_options() if storage_options is None else storage_options
        self.fs, base = fsspec.core.url_to_fs(root, **options)
        self.base: str = base.rstrip("/")

    def path(self, rel: str) -> str:
        """The path of `rel` (``ab/cdef...``) under the root, on the fsspec filesystem."""
        return f"{self.base}/{rel}"

    def stat(self, path: str) -> tuple[int, float | None] | None:
        """(size, mtime) of a file, None when it is missing."""
        try:
            self.fs.invalidate_cache(path)
            info = self.fs.info(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        return int(info.get("size") or 0), fs_mtime(info)

    def remove(self, path: str) -> None:
        """Delete a file; a missing one is fine."""
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(path)

    def move(self, src: str, dst: str) -> bool:
        """Move a file; False when `src` has gone (another gc, a restore)."""
        try:
            self.fs.mv(src, dst)
        except FileNotFoundError:
            return False
        return True

    def open_read(self, path: str) -> IO[bytes]:
        """The file opened for reading."""
        fh: IO[bytes] = self.fs.open(path, "rb")
        return fh

    def read_bytes(self, path: str) -> bytes:
        """The whole file, read fresh (a listing, gc's, may predate it)."""
        self.fs.invalidate_cache(path)
        with self.fs.open(path, "rb") as fh:
            data: bytes = fh.read()
        return data

    def touch(self, path: str) -> None:
        """Nothing: remote mtimes cannot be set; the in-flight marker protects the blob."""

    def create(self, path: str, write: Writer) -> None:
        """Create (or replace) a file and fill it with `write`."""
        with self.fs.open(path, "wb") as fh:
            write(fh)

    def write_atomic(self, rel: str, write: Writer) -> None:
        """Write to ``.tmp-<sha>-<random>`` beside the target, then move it into place."""
        sub, name = rel.split("/")
        tmp = self.path(f"{sub}/.tmp-{name}-{uuid.uuid4().hex}")
        try:
            self.create(tmp, write)
            self.fs.mv(tmp, self.path(rel))
        except BaseException:
            with contextlib.suppress(Exception):
                self.remove(tmp)
            raise

    def entries(self, only: str | None = None) -> Iterator[BlobEntry]:
        """Every file of ours under the root (or only in the subfolder `only`)."""
        base = f"{self.base}/{only}" if only else self.base
        self.fs.invalidate_cache(base)
        with contextlib.suppress(FileNotFoundError):
            found = self.fs.find(base, detail=True)
            for path, info in found.items():
                parts = path[len(self.base) :].strip("/").split("/")
                if len(parts) == 2:
                    entry = classify(
                        parts[0], parts[1], path, int(info.get("size") or 0), fs_mtime(info)
                    )
                    if entry:
                        yield entry

    def uploads(self) -> Iterator[BlobEntry]:
        """Unfinished S3 multipart uploads of partial blobs: the parts of a killed uploader,
        invisible to listings but kept (and billed) by S3 until aborted."""
        lister = getattr(self.fs, "list_multipart_uploads", None)
        if lister is None:
            return
        bucket, _, prefix = self.base.partition("/")
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
        if entry.upload_id:
            bucket, _, key = entry.path.partition("/")
            self.fs.call_s3(
                "abort_multipart_upload", Bucket=bucket, Key=key, UploadId=entry.upload_id
            )
        else:
            self.remove(entry.path)


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
