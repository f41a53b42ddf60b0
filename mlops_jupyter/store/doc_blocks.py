"""Long lists in provenance documents, stored in blocks that runs sharing a prefix share.

A ``%%track`` run records the kernel's whole execution history, and consecutive runs of one
session share all but their newest entries. Stored whole, every run would write the entire list
again (about 50 KB after 400 executions, at every tracked cell, growing without bound). Split
into blocks of BLOCK entries, each its own provenance document (content-addressed, so a full
block is stored once for the whole session), a run writes only its last, partial block. Reading
a run joins the blocks back, so its record shows the document as it was given.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

#: Entries per stored block.
BLOCK = 64
_SEP = "#"  # a block's kind: "<kind>#<field>#<block number>"


def split_list(provenance: Mapping[str, Any], kind: str, field: str) -> dict[str, Any]:
    """`provenance` with ``provenance[kind][field]``'s full blocks moved into documents of their
    own (kinds ``kind#field#000000``...); the document keeps the entries after the last full
    block. `join_lists` undoes it."""
    out = dict(provenance)
    doc = out.get(kind)
    items = doc.get(field) if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or not isinstance(items, list) or len(items) < BLOCK:
        return out
    full = len(items) // BLOCK * BLOCK
    for start in range(0, full, BLOCK):
        name = f"{kind}{_SEP}{field}{_SEP}{start // BLOCK:06d}"
        out[name] = _same_block(name, items[start : start + BLOCK])
    out[kind] = {**doc, field: items[full:]}
    return out


#: The last block given under each name, to hand out the same list again for the same items.
_LAST: dict[str, list[Any]] = {}


def _same_block(name: str, block: list[Any]) -> list[Any]:
    """`block`, or the equal list given before under `name` when it holds the very same items:
    the store encodes a document object once (``RunValues.encode_provenance``), so a block
    repeated run after run is not encoded and hashed again."""
    last = _LAST.get(name)
    if last is not None and len(last) == len(block) and all(map(operator.is_, last, block)):
        return last
    _LAST[name] = block
    return block


def join_lists(provenance: dict[str, Any]) -> dict[str, Any]:
    """The documents as given to `split_list`: each kind's blocks, in order, before the entries
    its document kept."""
    blocks = sorted(k for k in provenance if k.count(_SEP) == 2)
    if not blocks:
        return provenance
    out = {k: v for k, v in provenance.items() if k not in blocks}
    joined: dict[tuple[str, str], list[Any]] = {}
    for name in blocks:
        kind, field, _ = name.split(_SEP)
        joined.setdefault((kind, field), []).extend(provenance[name] or [])
    for (kind, field), items in joined.items():
        doc = out.get(kind)
        if isinstance(doc, dict):
            out[kind] = {**doc, field: items + list(doc.get(field) or [])}
    return out
