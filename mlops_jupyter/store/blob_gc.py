"""Blob garbage collection that never takes a blob from under a writer: grace, markers, recheck.

A writer (BlobStore.holding) makes an in-flight marker, then checks, touches or writes the
blob, commits its artifact row and only then drops the marker. `collect` lists the files, then
the markers, keeps what is young or in flight, moves each remaining orphan aside to a trash
name, and reads markers and rows once more before it deletes: a writer that checked the blob
before the move is named by its marker or its row; one that comes after finds no blob and
writes it anew.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from mlops_jupyter.store.blob_entries import HOST, INFLIGHT, BlobEntry
from mlops_jupyter.store.blobs import BlobStore

#: `gc` keeps unreferenced blobs and partial writes younger than this (seconds): a writer of an
#: older version, which makes no markers, or on a clock-skewed host, is protected by age alone.
DEFAULT_GRACE_SECONDS = 3600.0
#: A marker of another host (whose pid cannot be checked) counts as abandoned after this long.
INFLIGHT_MAX_AGE = 24 * 3600.0
_BATCH = 500

Referenced = Callable[[Sequence[str]], set[str]]


def collect(
    blobs: BlobStore,
    referenced: Referenced,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    dry_run: bool = False,
) -> dict[str, int]:
    """Delete the blobs `referenced` does not name, and partial writes of dead writers.

    Never deleted: blobs younger than `grace_seconds`, blobs with a live in-flight marker, and
    blobs a row or marker names once they have been moved aside (the second check). A sound
    local blob that a writer touched just before the move shows a fresh mtime and goes back.
    Returns removed and bytes (blobs), partial and partial_bytes (killed writers' leftovers,
    including unfinished S3 multipart uploads), kept (referenced) and young (unreferenced but
    within the grace period or in flight).
    """
    now = time.time()
    entries = list(blobs.entries()) + list(blobs.uploads())
    # markers are listed after the files: a writer makes its marker before its file
    live = _live_markers(blobs, list(blobs.entries(INFLIGHT)), now, dry_run)
    present = [e for e in entries if e.kind == "blob"]
    refs = referenced([b.sha256 for b in present])
    orphans = [b for b in present if b.sha256 not in refs]
    old = [b for b in orphans if _age(b, now) >= grace_seconds and b.sha256 not in live]
    partial = [
        e
        for e in entries
        if e.kind == "partial" and _age(e, now) >= grace_seconds and e.sha256 not in live
    ]
    result = {
        "kept": len(refs),
        "young": len(orphans) - len(old),
        "removed": len(old),
        "bytes": sum(b.size for b in old),
        "partial": len(partial),
        "partial_bytes": sum(e.size for e in partial),
    }
    if dry_run:
        return result
    for trash in (e for e in entries if e.kind == "trash"):  # left by a gc that died
        _restore(blobs, trash.path, blobs.path_of(trash.sha256))
    result["removed"] = result["bytes"] = 0
    for start in range(0, len(old), _BATCH):
        removed, freed = _remove_checked(
            blobs, old[start : start + _BATCH], referenced, grace_seconds
        )
        result["removed"] += removed
        result["bytes"] += freed
    for entry in partial:
        blobs.discard(entry)
    return result


def _remove_checked(
    blobs: BlobStore, batch: Sequence[BlobEntry], referenced: Referenced, grace_seconds: float
) -> tuple[int, int]:
    """Move a batch aside, then delete only what no marker, row or fresh touch claims."""
    moved = []
    for blob in batch:
        trash = blobs.trash_path(blob.sha256)
        if blobs.move(blob.path, trash):
            moved.append((blob, trash))
    now = time.time()
    live = _live_markers(blobs, list(blobs.entries(INFLIGHT)), now, dry_run=True)
    refs = referenced([blob.sha256 for blob, _ in moved])
    removed = freed = 0
    for blob, trash in moved:
        found = blobs.stat(trash)
        # only local writers touch (S3 cannot); a remote move itself renews the time
        touched = (
            blobs.is_local
            and found is not None
            and (found[1] is None or now - found[1] < grace_seconds)
        )
        if blob.sha256 in refs or blob.sha256 in live or touched:
            _restore(blobs, trash, blob.path)
        else:
            blobs.remove(trash)
            removed, freed = removed + 1, freed + blob.size
    return removed, freed


def _restore(blobs: BlobStore, trash: str, target: str) -> None:
    """Put a blob back; if a writer has meanwhile written it anew, keep the writer's."""
    if blobs.stat(target) is None:
        blobs.move(trash, target)
    else:
        blobs.remove(trash)


def _live_markers(
    blobs: BlobStore, markers: Sequence[BlobEntry], now: float, dry_run: bool
) -> set[str]:
    """Hashes with a write in flight; markers of dead writers are removed (unless dry)."""
    live = set()
    for marker in markers:
        if _marker_alive(marker, now):
            live.add(marker.sha256)
        elif not dry_run:
            blobs.remove(marker.path)
    return live


def _marker_alive(marker: BlobEntry, now: float) -> bool:
    """A marker of this host is alive while its process is; of another host, for a day."""
    parts = Path(marker.path).name.split("-", 3)
    if len(parts) == 4 and parts[3] == HOST and parts[1].isdigit():
        import psutil

        try:
            proc = psutil.Process(int(parts[1]))
            reused = marker.mtime is not None and proc.create_time() > marker.mtime + 1
            return proc.status() != psutil.STATUS_ZOMBIE and not reused
        except psutil.NoSuchProcess:
            return False
        except psutil.AccessDenied:
            return True
    return _age(marker, now) < INFLIGHT_MAX_AGE


def _age(entry: BlobEntry, now: float) -> float:
    return 0.0 if entry.mtime is None else now - entry.mtime
