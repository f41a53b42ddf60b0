"""One page about a run, as Markdown (a CI job summary) or self-contained HTML: its params,
its metrics against a baseline, its gates, the drift of its data and its figures."""

from __future__ import annotations

import base64
import html
from typing import TYPE_CHECKING, Any

from mlops_jupyter.errors import NoProfilesError
from mlops_jupyter.formatting import fmt_duration, fmt_time, fmt_value
from mlops_jupyter.monitoring.drift import drift_report, resolve_baseline
from mlops_jupyter.monitoring.gates import GATE_TAG_PREFIX

if TYPE_CHECKING:
    from mlops_jupyter.store import RunStore
    from mlops_jupyter.store.records import RunRecord

Table = tuple[list[str], list[list[str]]]
FIGURE_TYPES = ("image/png", "image/svg+xml")


def build_report(store: RunStore, run_id: str, baseline: str | None = None) -> dict[str, Any]:
    """The report's content: title lines, then named tables (headers, rows) and figures."""
    run = store.get_run(run_id)
    base = store.get_run(resolve_baseline(store, baseline)) if baseline else None
    sections: list[tuple[str, Table | str]] = [
        ("Parameters", _params(run, base)),
        ("Metrics", _metrics(run, base)),
    ]
    gates = [
        [key[len(GATE_TAG_PREFIX) :], value]
        for key, value in sorted(run.tags.items())
        if key.startswith(GATE_TAG_PREFIX)
    ]
    if gates:
        sections.append(("Metric gates", (["metric", "verdict"], gates)))
    if base is not None:
        sections.extend(_drift(store, run, base))
    title = [
        f"run {run.run_id[:8]} {run.name!r} [{run.status}], experiment {run.experiment}",
        f"started {fmt_time(run.start_time)}, duration {fmt_duration(run.duration)}",
    ]
    if base is not None:
        title.append(f"baseline: run {base.run_id[:8]} {base.name!r}")
    children = [  # the %%track cells of an executed notebook hold its figures
        store.get_run(r.run_id)
        for r in store.search_runs(parent_run_id=run.run_id, order_by="start_time", details=False)
    ]
    figures = [a for r in (run, *children) for a in r.artifacts if a.media_type == "image/png"]
    return {"run": run, "title": title, "sections": sections, "figures": figures}


def render_markdown(store: RunStore, run_id: str, baseline: str | None = None) -> str:
    """The report as GitHub-flavoured Markdown (figures listed by name and hash: job summaries
    do not show embedded images)."""
    content = build_report(store, run_id, baseline)
    lines = [f"# {_md(content['title'][0])}", "", *(_md(t) + "  " for t in content["title"][1:])]
    for name, body in content["sections"]:
        lines += ["", f"## {name}", ""]
        if isinstance(body, str):
            lines.append(_md(body))
            continue
        headers, rows = body
        lines.append("| " + " | ".join(map(_md, headers)) + " |")
        lines.append("|" + "---|" * len(headers))
        lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    if content["figures"]:
        lines += ["", "## Figures", ""]
        lines += [
            f"- {_md(a.name)} (sha256 {a.sha256[:12]}, {a.size} bytes)" for a in content["figures"]
        ]
    return "\n".join(lines) + "\n"


def render_html(store: RunStore, run_id: str, baseline: str | None = None) -> str:
    """The report as one self-contained HTML page; every value is escaped, figures embedded."""
    content = build_report(store, run_id, baseline)
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{esc(content['title'][0])}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}</style></head><body>",
        f"<h1>{esc(content['title'][0])}</h1>",
        *(f"<p>{esc(t)}</p>" for t in content["title"][1:]),
    ]
    for name, body in content["sections"]:
        parts.append(f"<h2>{esc(name)}</h2>")
        if isinstance(body, str):
            parts.append(f"<p>{esc(body)}</p>")
            continue
        headers, rows = body
        parts.append("<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows]
        parts.append("</table>")
    if content["figures"]:
        parts.append("<h2>Figures</h2>")
        for artifact in content["figures"]:
            data = base64.b64encode(store.read_artifact(artifact.sha256)).decode()
            parts.append(
                f"<figure><img alt='{esc(artifact.name)}' src='data:image/png;base64,{data}'>"
                f"<figcaption>{esc(artifact.name)}</figcaption></figure>"
            )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _params(run: RunRecord, base: RunRecord | None) -> Table | str:
    if not run.params:
        return "no parameters recorded"
    if base is None:
        return ["param", "value"], [[k, fmt_value(v)] for k, v in sorted(run.params.items())]
    keys = sorted(set(run.params) | set(base.params))
    rows = [
        [
            k,
            fmt_value(run.params.get(k)),
            fmt_value(base.params.get(k)),
            _mark(run.params, base.params, k),
        ]
        for k in keys
    ]
    return ["param", "run", "baseline", "changed"], rows


def _mark(a: dict[str, Any], b: dict[str, Any], key: str) -> str:
    return "*" if a.get(key) != b.get(key) else ""


def _metrics(run: RunRecord, base: RunRecord | None) -> Table | str:
    if not run.metrics:
        return "no metrics recorded"
    if base is None:
        return ["metric", "value"], [[k, fmt_value(v)] for k, v in sorted(run.metrics.items())]
    rows = []
    for key in sorted(set(run.metrics) | set(base.metrics)):
        value, ref = run.metrics.get(key), base.metrics.get(key)
        delta = fmt_value(value - ref) if value is not None and ref is not None else "-"
        if delta != "-" and not delta.startswith("-"):
            delta = "+" + delta
        rows.append([key, fmt_value(value), fmt_value(ref), delta])
    return ["metric", "run", "baseline", "change"], rows


def _drift(store: RunStore, run: RunRecord, base: RunRecord) -> list[tuple[str, Table | str]]:
    try:
        report = drift_report(store, run.run_id, base.run_id)
    except NoProfilesError as err:
        return [("Data drift", str(err))]
    summary = [
        [
            t["table"],
            str(t["tested"]),
            str(t["drifted"]),
            f"{t['share']:.0%}",
            "yes" if t["dataset_drift"] else "no",
        ]
        for t in report["tables"]
    ]
    out: list[tuple[str, Table | str]] = [
        ("Data drift", (["table", "columns tested", "drifted", "share", "dataset drift"], summary))
    ]
    columns = [
        [
            c["table"],
            c["column"],
            c["method"],
            f"{c['statistic']:.4g}",
            fmt_value(c["threshold"]),
            "DRIFT" if c["drifted"] else "ok",
        ]
        for c in report["columns"]
    ]
    if columns:
        out.append(
            (
                "Drift by column",
                (["table", "column", "method", "statistic", "threshold", "verdict"], columns),
            )
        )
    if report["schema"]:
        rows = [
            [s["table"], s["column"] or "-", s["change"], s["baseline"] or "-", s["current"] or "-"]
            for s in report["schema"]
        ]
        out.append(("Schema changes", (["table", "column", "change", "baseline", "run"], rows)))
    return out


def _md(text: str) -> str:
    """Text safe in a Markdown table cell: no pipes, no HTML, no line breaks, and no links or
    images (a run's name or a param value such as ``![x](https://...)`` stays text)."""
    escaped = html.escape(str(text), quote=False).replace("\\", "\\\\")
    for char in "|[]":
        escaped = escaped.replace(char, "\\" + char)
    return escaped.replace("\n", " ").replace("\r", " ")
