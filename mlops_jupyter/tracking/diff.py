"""Why two runs differ: one list of differences by kind, behind `runs diff`, `%runs diff` and the
panel's Differences tab, so the three can never disagree.

Kinds, in display order: ``param``, ``metric`` (with the delta), ``code`` (unified diffs of the
tracked cell and of the cells its inputs came from), ``input`` (hash, schema, row count and
column statistics of files and frames), ``package``, ``environment``, ``git``, ``seed`` and
``hidden_state``. Parameter and metric differences follow `tracking/compare.py`, the one rule of
which values differ.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mlops_jupyter.store.records import RunRecord
from mlops_jupyter.tracking.compare import compare_runs

KINDS = (
    "param",
    "metric",
    "code",
    "input",
    "package",
    "environment",
    "git",
    "seed",
    "hidden_state",
)
#: The notebook a `run` / `sweep` run keeps as it was before execution (execution/recording.py).
SOURCE_NOTEBOOK = "source.ipynb"
_ENVIRONMENT = (
    ("python", "version"),
    ("python", "implementation"),
    ("python", "executable"),
    ("host", "os"),
    ("host", "hostname"),
    ("host", "machine"),
)


@dataclass(frozen=True)
class Difference:
    """One thing that differs: its kind, key, value in A and in B, and how (``detail``: the
    metric's delta, a unified diff, or a list of changes of an input)."""

    kind: str
    key: str
    a: Any
    b: Any
    detail: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: ``{"kind", "key", "a", "b"}`` plus ``delta``, ``diff`` or
        ``changes`` when the kind has them."""
        out: dict[str, Any] = {"kind": self.kind, "key": self.key, "a": self.a, "b": self.b}
        out.update(self.extra)
        return out


def diff_runs(
    a: RunRecord, b: RunRecord, read_artifact: Callable[[str], bytes] | None = None
) -> list[Difference]:
    """Every difference between run `a` and run `b`, grouped by kind in `KINDS` order.

    With `read_artifact` (a store's, by sha256) the code cells of two runs' recorded notebooks
    (``source.ipynb`` of `run` and `sweep`) are compared too.
    """
    found = [
        *_params_and_metrics(a, b),
        *_code(a.provenance, b.provenance),
        *_notebook_code(a, b, read_artifact),
        *_inputs(a.provenance, b.provenance),
        *_mapping("package", a.provenance.get("packages"), b.provenance.get("packages")),
        *_environment(a.provenance, b.provenance),
        *_git(a.provenance.get("git") or {}, b.provenance.get("git") or {}),
        *_mapping("seed", a.provenance.get("seeds"), b.provenance.get("seeds")),
        *_hidden_state(a.provenance.get("cell") or {}, b.provenance.get("cell") or {}),
    ]
    return sorted(found, key=lambda d: KINDS.index(d.kind))


def _params_and_metrics(a: RunRecord, b: RunRecord) -> Iterator[Difference]:
    comparison = compare_runs([a, b])
    for key in comparison.differing("params"):
        yield Difference("param", key, a.params.get(key), b.params.get(key))
    for key in comparison.differing("metrics"):
        va, vb = a.metrics.get(key), b.metrics.get(key)
        delta = vb - va if va is not None and vb is not None else None
        yield Difference("metric", key, va, vb, delta, {"delta": delta})


def unified(a: str | None, b: str | None, name: str) -> str:
    """A unified diff of two texts (``a/name`` against ``b/name``)."""
    return "".join(
        difflib.unified_diff(
            (a or "").splitlines(keepends=True),
            (b or "").splitlines(keepends=True),
            f"a/{name}",
            f"b/{name}",
        )
    )


def _code_difference(key: str, a: str | None, b: str | None) -> Difference:
    text = unified(a, b, key.replace(" ", "_"))
    short = {"a": _first_line(a), "b": _first_line(b)}
    return Difference("code", key, short["a"], short["b"], text, {"diff": text})


def _first_line(source: str | None) -> str | None:
    return None if source is None else (source.strip().splitlines() or [""])[0][:80]


def _code(pa: dict[str, Any], pb: dict[str, Any]) -> Iterator[Difference]:
    ca, cb = pa.get("cell") or {}, pb.get("cell") or {}
    if (ca.get("source") or "").rstrip() != (cb.get("source") or "").rstrip():
        yield _code_difference("cell", ca.get("source"), cb.get("source"))
    cells_a, cells_b = _keyed(_lineage_of(pa)), _keyed(_lineage_of(pb))
    for key in sorted(set(cells_a) | set(cells_b)):
        sa = (cells_a.get(key) or {}).get("source")
        sb = (cells_b.get(key) or {}).get("source")
        if (sa or "").rstrip() != (sb or "").rstrip():
            yield _code_difference(f"input cell {key}", sa, sb)


def _notebook_code(
    a: RunRecord, b: RunRecord, read_artifact: Callable[[str], bytes] | None
) -> Iterator[Difference]:
    sa, sb = a.artifact(SOURCE_NOTEBOOK), b.artifact(SOURCE_NOTEBOOK)
    if read_artifact is None or sa is None or sb is None or sa.sha256 == sb.sha256:
        return
    ca, cb = (_code_cells(read_artifact(x.sha256)) for x in (sa, sb))
    if ca != cb:
        yield _code_difference("notebook", ca, cb)


def _code_cells(raw: bytes) -> str:
    """A notebook's code cells as one text, each headed ``# In[n]`` (outputs are not code)."""
    try:
        cells = json.loads(raw).get("cells", [])
    except (ValueError, AttributeError):
        return ""
    code = [c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    parts = []
    for i, cell in enumerate(code):
        source = cell.get("source", "")
        parts.append(f"# In[{i + 1}]\n" + ("".join(source) if isinstance(source, list) else source))
    return "\n".join(p.rstrip("\n") + "\n" for p in parts)


def _lineage_of(provenance: dict[str, Any]) -> list[dict[str, Any]]:
    """The cells a run's inputs came from: the cell's lineage (every execution the values came
    from, recorded by ``magics.lineage_cell.lineage_docs``), else, for a run recorded before it
    was, the direct input cells."""
    lineage = (provenance.get("cell") or {}).get("lineage")
    return list(lineage if lineage else provenance.get("input_cells") or [])


def _keyed(cells: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Input cells match by their cell id, else by the names they made (numbered when several
    cells made the same names, e.g. one binding a model and the next fitting it)."""
    keyed: dict[str, dict[str, Any]] = {}
    for cell in cells:
        key = str(cell.get("cell_id") or ",".join(cell.get("names") or []))
        base, n = key, 2
        while key in keyed:
            key, n = f"{base} ({n})", n + 1
        keyed[key] = cell
    return keyed


def _inputs(pa: dict[str, Any], pb: dict[str, Any]) -> Iterator[Difference]:
    files_a = {str(i.get("path")): i for i in pa.get("inputs") or []}
    files_b = {str(i.get("path")): i for i in pb.get("inputs") or []}
    for path in sorted(set(files_a) | set(files_b)):
        ia, ib = files_a.get(path), files_b.get(path)
        changes = input_changes(ia, ib)
        if changes:
            yield Difference(
                "input", path, _identity(ia), _identity(ib), changes, {"changes": changes}
            )
    frames_a = {str(f.get("name")): f for f in pa.get("frames") or []}
    frames_b = {str(f.get("name")): f for f in pb.get("frames") or []}
    for name in sorted(set(frames_a) | set(frames_b)):
        fa, fb = frames_a.get(name), frames_b.get(name)
        changes = frame_changes(fa, fb)
        if changes:
            a, b = (f and f.get("fingerprint") for f in (fa, fb))
            yield Difference("input", f"frame {name}", a, b, changes, {"changes": changes})


def _identity(entry: dict[str, Any] | None) -> Any:
    if entry is None:
        return None
    return entry.get("sha256") or f"size {entry.get('size')}, mtime_ns {entry.get('mtime_ns')}"


def input_changes(a: dict[str, Any] | None, b: dict[str, Any] | None) -> list[str]:
    """What changed in one input file between two runs, as short sentences (empty: same)."""
    if a is None or b is None:
        return ["only in B" if a is None else "only in A"]
    if _identity(a) == _identity(b):
        return []
    changes = [f"sha256 {str(a.get('sha256'))[:12]} -> {str(b.get('sha256'))[:12]}"]
    if a.get("size") != b.get("size"):
        changes.append(f"size {a.get('size')} -> {b.get('size')}")
    changes += _schema_changes(
        (a.get("schema") or {}).get("columns"), (b.get("schema") or {}).get("columns")
    )
    changes += frame_changes(a.get("frame"), b.get("frame"), schema=False)
    return changes


def frame_changes(
    a: dict[str, Any] | None, b: dict[str, Any] | None, schema: bool = True
) -> list[str]:
    """What changed in a frame's fingerprint: rows, columns, per-column statistics."""
    if a is None and b is None:
        return []
    if a is None or b is None:
        return ["frame only in B" if a is None else "frame only in A"]
    if a.get("fingerprint") == b.get("fingerprint"):
        return []
    changes = [
        f"frame fingerprint {str(a.get('fingerprint'))[:12]} -> {str(b.get('fingerprint'))[:12]}"
    ]
    if a.get("rows") != b.get("rows"):
        changes.append(f"rows {a.get('rows')} -> {b.get('rows')}")
    if schema:
        changes += _schema_changes(a.get("columns"), b.get("columns"))
    sa, sb = a.get("stats") or {}, b.get("stats") or {}
    for column in sorted(set(sa) & set(sb)):
        for stat in ("nulls", "min", "max", "mean"):
            va, vb = sa[column].get(stat), sb[column].get(stat)
            if va != vb:
                changes.append(f"column {column}: {stat} {va} -> {vb}")
    return changes


def _schema_changes(a: dict[str, str] | None, b: dict[str, str] | None) -> list[str]:
    if not a or not b or a == b:
        return []
    out = [f"column {c} added ({b[c]})" for c in b if c not in a]
    out += [f"column {c} removed" for c in a if c not in b]
    out += [f"column {c}: dtype {a[c]} -> {b[c]}" for c in a if c in b and a[c] != b[c]]
    return out


def _mapping(kind: str, a: dict[str, Any] | None, b: dict[str, Any] | None) -> Iterator[Difference]:
    a, b = a or {}, b or {}
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            yield Difference(kind, key, a.get(key), b.get(key))


def _environment(pa: dict[str, Any], pb: dict[str, Any]) -> Iterator[Difference]:
    for doc, key in _ENVIRONMENT:
        va, vb = (pa.get(doc) or {}).get(key), (pb.get(doc) or {}).get(key)
        if va != vb:
            yield Difference("environment", f"{doc}.{key}", va, vb)


def _git(a: dict[str, Any], b: dict[str, Any]) -> Iterator[Difference]:
    for key in ("commit", "branch", "dirty"):
        if a.get(key) != b.get(key):
            yield Difference("git", key, a.get(key), b.get(key))
    if (a.get("diff") or "") != (b.get("diff") or ""):
        text = unified(a.get("diff"), b.get("diff"), "dirty.diff")
        yield Difference(
            "git", "diff", bool(a.get("diff")), bool(b.get("diff")), text, {"diff": text}
        )


def _hidden_state(a: dict[str, Any], b: dict[str, Any]) -> Iterator[Difference]:
    if bool(a.get("hidden_state")) != bool(b.get("hidden_state")):
        yield Difference(
            "hidden_state",
            "hidden_state",
            a.get("hidden_state_reason") if a.get("hidden_state") else False,
            b.get("hidden_state_reason") if b.get("hidden_state") else False,
        )


def diff_text(differences: list[Difference], a: RunRecord, b: RunRecord) -> str:
    """The differences as text: one line each, unified diffs and input changes indented."""
    head = f"A = {a.run_id[:8]} ({a.name}), B = {b.run_id[:8]} ({b.name})"
    if not differences:
        return f"{head}: nothing differs"
    lines = [f"{head}: {len(differences)} difference(s)"]
    for d in differences:
        delta = f"  (delta {d.extra['delta']:+.6g})" if d.extra.get("delta") is not None else ""
        lines.append(f"{d.kind:<12} {d.key}: {_short(d.a)} -> {_short(d.b)}{delta}")
        if d.extra.get("diff"):
            lines += ["    " + line for line in str(d.extra["diff"]).rstrip("\n").splitlines()]
        for change in d.extra.get("changes") or []:
            lines.append(f"    {change}")
    return "\n".join(lines)


def _short(value: Any) -> str:
    text = "-" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."
