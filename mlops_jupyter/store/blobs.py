"""Content-addressed artifact blobs: sha256 names, atomic writes, verified reads, fsspec URLs."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import socket
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .. import env
from ..errors import ArtifactCorruptError, ArtifactNotFoundError, StoreUnavailableError

_CHUNK = 1 << 20
_HOST = socket.gethostname()
#: `gc` keeps unreferenced blobs and partial writes younger than this (seconds): a writer of an
#: older version, or one on a clock-skewed host, is protected by age alone.
DEFAULT_GRACE_SECONDS = 3600.0
#: Remote blobs up to this size are re-hashed when their content is logged again; larger ones are
#: checked by size only, as downloading them would cost about as much as uploading them again.
#: Local blobs are always re-hashed (one read), since a corrupt model is worse than a slow re-log.
VERIFY_REMOTE_MAX = 64 << 20
#: Folder under the root holding one empty marker per write whose artifact row is not committed.
INFLIGHT = ".inflight"
#: A marker of another host (whose pid cannot be checked) counts as abandoned after this long.
INFLIGHT_MAX_AGE = 24 * 3600.0
_BATCH = 500


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


class BlobStore:
    """Blobs under `root` at ``ab/cdef...``; `root` is a folder or any fsspec URL.

    Local folders use plain file calls (the fast path); other URLs go through fsspec, so a team
    can share artifacts on s3:// or gcs:// while the run rows live in PostgreSQL. Options for
    the fsspec filesystem (e.g. ``{"endpoint_url": ...}`` for an S3-compatible server) come from
    `storage_options`, else from the JSON in MLOPS_JUPYTER_BLOBS_OPTIONS.
    """

    def __init__(self, root: str, storage_options: dict[str, Any] | None = None) -> None:
        self.root = root
        self._local = "://" not in root or root.startswith("file://")
        if self._local:
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

    def _stat(self, path: str) -> tuple[int, float | None] | None:
        """(size, mtime) of a file, None when it is missing; remote calls bypass fsspec's cache."""
        try:
            if self._fs is None:
                st = os.stat(path)
                return st.st_size, st.st_mtime
            self._fs.invalidate_cache(path)
            info = self._fs.info(path)
            return int(info.get("size") or 0), _mtime(info)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def _remove(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            if self._fs is None:
                os.unlink(path)
            else:
                self._fs.rm(path)

    def _rename(self, src: str, dst: str) -> bool:
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
        with (open(path, "rb") if self._fs is None else self._fs.open(path, "rb")) as fh:
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
        marker = self._path(f"{INFLIGHT}/{sha}-{os.getpid()}-{uuid.uuid4().hex[:8]}-{_HOST}")
        try:
            with self._writing():
                self._create(marker, lambda fh: None)
                if not self._sound(self._path(rel), sha, size):
                    self._write(rel, write)
            yield sha, size
        finally:
            with contextlib.suppress(OSError):
                self._remove(marker)

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
        found = self._stat(path)
        if found is None or found[0] != size:
            return False
        try:
            if (self._fs is None or size <= VERIFY_REMOTE_MAX) and self._hash(path) != sha:
                return False
            if self._fs is None:
                os.utime(path)
        except FileNotFoundError:
            return False
        return True

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            yield
        except OSError as err:
            raise StoreUnavailableError(
                self.root, f"cannot write artifact blob ({err.strerror or err})",
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
                    self._remove(tmp)
                raise

    # -- reading --------------------------------------------------------------------------

    def exists(self, sha256: str) -> bool:
        """Whether a blob with this hash is stored."""
        return self._stat(self.path_of(sha256)) is not None

    def read(self, sha256: str) -> bytes:
        """The blob's bytes, verified against its hash."""
        path = self.path_of(sha256)
        try:
            if self._fs is None:
                data = Path(path).read_bytes()
            else:
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
            found = self._stat(self.path_of(sha256))
        except OSError:
            return 0
        return found[0] if found else 0

    def delete(self, sha256: str) -> None:
        """Remove one blob (missing is fine); `collect` is the safe way to clean up."""
        self._remove(self.path_of(sha256))

    def entries(self, only: str | None = None) -> Iterator[BlobEntry]:
        """Every blob, partial write, gc trash file and in-flight marker under the root (or
        only those in the subfolder `only`)."""
        if self._fs is None:
            if not self._dir.is_dir():
                return
            subs = [self._dir / only] if only else [
                Path(e.path) for e in os.scandir(self._dir) if e.is_dir()]
            for sub in subs:
                if len(sub.name) != 2 and sub.name != INFLIGHT:
                    continue
                with contextlib.suppress(FileNotFoundError):
                    for item in os.scandir(sub):
                        with contextlib.suppress(FileNotFoundError):
                            st = item.stat()
                            entry = _classify(sub.name, item.name, item.path, st.st_size,
                                              st.st_mtime)
                            if entry:
                                yield entry
        else:
            base = f"{self._base}/{only}" if only else self._base
            self._fs.invalidate_cache(base)
            with contextlib.suppress(FileNotFoundError):
                found = self._fs.find(base, detail=True)
                for path, info in found.items():
                    parts = path[len(self._base):].strip("/").split("/")
                    if len(parts) == 2:
                        entry = _classify(parts[0], parts[1], path, int(info.get("size") or 0),
                                          _mtime(info))
                        if entry:
                            yield entry

    def iter_hashes(self) -> Iterator[str]:
        """Every blob hash present under the root."""
        return (e.sha256 for e in self.entries() if e.kind == "blob")

    # -- garbage collection ---------------------------------------------------------------

    def collect(self, referenced: Callable[[Sequence[str]], set[str]],
                grace_seconds: float = DEFAULT_GRACE_SECONDS,
                dry_run: bool = False) -> dict[str, int]:
        """Delete blobs that `referenced` does not name, and partial writes of dead writers.

        Never deleted: blobs younger than `grace_seconds`, blobs with a live in-flight marker,
        and blobs that a row or a marker names once the blob has been moved aside to a trash
        name (the second check, made after the move so no writer can slip between). A sound
        blob a writer touched before the move is seen by its fresh mtime and put back.
        """
        now = time.time()
        entries = list(self.entries())
        # markers are listed after the files: a writer makes its marker before its file
        live = self._live_markers(list(self.entries(INFLIGHT)), now, dry_run)
        blobs = [e for e in entries if e.kind == "blob"]
        refs = referenced([b.sha256 for b in blobs])
        orphans = [b for b in blobs if b.sha256 not in refs]
        old = [b for b in orphans if _age(b, now) >= grace_seconds and b.sha256 not in live]
        partial = [e for e in entries if e.kind == "partial"
                   and _age(e, now) >= grace_seconds and e.sha256 not in live]
        result = {"kept": len(refs), "young": len(orphans) - len(old), "removed": len(old),
                  "bytes": sum(b.size for b in old), "partial": len(partial),
                  "partial_bytes": sum(e.size for e in partial)}
        if dry_run:
            return result
        for trash in (e for e in entries if e.kind == "trash"):  # left by a gc that died
            self._restore(trash.path, self.path_of(trash.sha256))
        result["removed"] = result["bytes"] = 0
        for start in range(0, len(old), _BATCH):
            removed, freed = self._remove_checked(old[start:start + _BATCH], referenced,
                                                  grace_seconds)
            result["removed"] += removed
            result["bytes"] += freed
        for entry in partial:
            self._remove(entry.path)
        return result

    def _remove_checked(self, batch: Sequence[BlobEntry],
                        referenced: Callable[[Sequence[str]], set[str]],
                        grace_seconds: float) -> tuple[int, int]:
        moved = []
        for blob in batch:
            sub, name = self._rel(blob.sha256).split("/")
            trash = self._path(f"{sub}/.trash-{name}-{uuid.uuid4().hex[:8]}")
            if self._rename(blob.path, trash):
                moved.append((blob, trash))
        now = time.time()
        live = self._live_markers(list(self.entries(INFLIGHT)), now, dry_run=True)
        refs = referenced([blob.sha256 for blob, _ in moved])
        removed = freed = 0
        for blob, trash in moved:
            found = self._stat(trash)
            touched = self._fs is None and found is not None and (
                found[1] is None or now - found[1] < grace_seconds)
            if blob.sha256 in refs or blob.sha256 in live or touched:
                self._restore(trash, blob.path)
            else:
                self._remove(trash)
                removed, freed = removed + 1, freed + blob.size
        return removed, freed

    def _restore(self, trash: str, target: str) -> None:
        """Put a blob back; if a writer has meanwhile written it anew, keep the writer's."""
        if self._stat(target) is None:
            self._rename(trash, target)
        else:
            self._remove(trash)

    def _live_markers(self, markers: Sequence[BlobEntry], now: float,
                      dry_run: bool) -> set[str]:
        """Hashes with a write in flight; markers of dead writers are removed (unless dry)."""
        live = set()
        for marker in markers:
            if _marker_alive(marker, now):
                live.add(marker.sha256)
            elif not dry_run:
                self._remove(marker.path)
        return live


def _classify(folder: str, name: str, path: str, size: int,
              mtime: float | None) -> BlobEntry | None:
    if folder == INFLIGHT:
        kind, sha = "marker", name[:64]
    elif name.startswith(".tmp-"):
        kind, sha = "partial", folder + name[5:67]
    elif name.startswith(".trash-"):
        kind, sha = "trash", folder + name[7:69]
    elif not name.startswith("."):
        kind, sha = "blob", folder + name
    else:
        return None
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        return None
    return BlobEntry(kind, sha, path, size, mtime)


def _marker_alive(marker: BlobEntry, now: float) -> bool:
    """A marker of this host is alive while its process is; of another host, for a day."""
    parts = Path(marker.path).name.split("-", 3)
    if len(parts) == 4 and parts[3] == _HOST and parts[1].isdigit():
        import psutil

        try:
            proc = psutil.Process(int(parts[1]))
            started_later = marker.mtime is not None and proc.create_time() > marker.mtime + 1
            return proc.status() != psutil.STATUS_ZOMBIE and not started_later
        except psutil.NoSuchProcess:
            return False
        except psutil.AccessDenied:
            return True
    return _age(marker, now) < INFLIGHT_MAX_AGE


def _age(entry: BlobEntry, now: float) -> float:
    return 0.0 if entry.mtime is None else now - entry.mtime


def _mtime(info: dict[str, Any]) -> float | None:
    """Modification time from an fsspec info dict, whose key differs per filesystem."""
    for key in ("mtime", "LastModified", "last_modified", "modified", "updated", "created"):
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
            env.BLOBS_OPTIONS, f"not a JSON object ({raw[:80]!r})",
            'set it to fsspec storage options, e.g. {"endpoint_url": "http://127.0.0.1:9000"}')
    return options
