"""What a file under the blob root is: a blob, a writer's partial, gc's trash or an in-flight
marker."""

from __future__ import annotations

import socket
from dataclasses import dataclass

#: This machine's name, part of each in-flight marker so `gc` can check the writer's pid.
HOST = socket.gethostname()
#: Folder under the root holding one empty marker per write whose artifact row is not committed.
INFLIGHT = ".inflight"


@dataclass
class BlobEntry:
    """One file under the blob root, as `gc` sees it."""

    kind: str  # "blob", "partial" (.tmp- of a writer), "trash" (of a gc) or "marker" (in flight)
    sha256: str
    path: str
    size: int
    mtime: float | None  # None when the filesystem does not say: treated as brand new
    upload_id: str = ""  # for an unfinished S3 multipart upload


def classify(folder: str, name: str, path: str, size: int, mtime: float | None) -> BlobEntry | None:
    """The entry for file `name` in `folder` (a two-character hash prefix or INFLIGHT), or
    None for a file that is none of ours, so a listing skips it."""
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
