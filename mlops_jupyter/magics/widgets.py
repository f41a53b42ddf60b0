"""``%runs`` views inside a notebook: a sortable runs table, one run, and a comparison.

Each view is displayed as one MIME bundle: an ipywidgets view where widgets render, with an
HTML table and plain text beside it for front ends (and saved notebooks) where they cannot.
Every value from a run is HTML-escaped.
"""

from __future__ import annotations

import html
import shlex
from collections.abc import Set as AbstractSet
from typing import Any

from IPython.core.error import UsageError
from IPython.display import display

from mlops_jupyter.formatting import fmt_duration, fmt_time, fmt_value
from mlops_jupyter.magics.diff_view import diff_magic
from mlops_jupyter.magics.tracked_cell import HIDDEN_STATE_TAG
from mlops_jupyter.store import open_store

_BASE_COLUMNS = ("run_id", "name", "status", "experiment", "start_time", "duration")


def _cell(value: Any, column: str) -> str:
    if column == "start_time":
        return fmt_time(value)
    if column == "duration":
        return fmt_duration(value)
    if column == "run_id":
        return str(value)[:8]
    return fmt_value(value)


def html_table(
    headers: list[str], rows: list[list[str]], marked: AbstractSet[int] = frozenset()
) -> str:
    """An escaped HTML table; rows whose index is in `marked` are highlighted."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr{}>{}</tr>".format(
            ' style="background:var(--jp-warn-color3,#fff3cd)"' if i in marked else "",
            "".join(f"<td>{html.escape(c)}</td>" for c in row),
        )
        for i, row in enumerate(rows)
    )
    return (
        f'<table class="jp-mlops-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def text_table(headers: list[str], rows: list[list[str]]) -> str:
    """The same table as aligned text."""
    from mlops_jupyter.formatting import table

    return table(headers, rows)


_HIDDEN = f"tags.{HIDDEN_STATE_TAG}"


def frame_rows(frame: Any) -> tuple[list[str], list[list[str]]]:
    extra = [c for c in frame.columns if c.startswith(("params.", "metrics."))]
    hidden = _HIDDEN in frame.columns
    headers = [*_BASE_COLUMNS, *(["hidden state"] if hidden else []), *extra]
    rows = []
    for record in frame.to_dict("records"):
        flag = "yes" if _flagged(record.get(_HIDDEN)) else ""
        rows.append([flag if c == "hidden state" else _cell(record[c], c) for c in headers])
    return headers, rows


def _flagged(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _show_bundle(widget: Any, html_text: str, plain: str) -> None:
    bundle = {"text/html": html_text, "text/plain": plain}
    if widget is not None:
        try:
            bundle.update(widget._repr_mimebundle_())
        except Exception:
            pass
        bundle["text/plain"] = plain
    display(bundle, raw=True)


def runs_table(frame: Any) -> None:
    """Display runs as a sortable widget table (HTML + text fallback)."""
    headers, rows = frame_rows(frame)
    widget = None
    try:
        widget = _sortable_widget(headers, rows)
    except ImportError:
        pass
    _show_bundle(widget, html_table(headers, rows), text_table(headers, rows))


def _sortable_widget(headers: list[str], rows: list[list[str]]) -> Any:
    import ipywidgets as w

    sort_by = w.Dropdown(options=headers, value="start_time", description="sort by")
    descending = w.ToggleButton(value=True, description="descending")
    out = w.HTML(html_table(headers, rows))

    def key(row: list[str], column: int) -> tuple[int, Any]:
        text = row[column]
        try:
            return (0, float(text))
        except ValueError:
            return (0 if text != "-" else 1, text)

    def resort(_: Any = None) -> None:
        column = headers.index(sort_by.value)
        present = [r for r in rows if r[column] != "-"]
        missing = [r for r in rows if r[column] == "-"]
        present.sort(key=lambda r: key(r, column), reverse=descending.value)
        out.value = html_table(headers, present + missing)

    sort_by.observe(resort, "value")
    descending.observe(resort, "value")
    return w.VBox([w.HBox([sort_by, descending]), out])


def show_run(run_id: str) -> None:
    """Display one run: params, metrics, tags, artifacts and provenance highlights."""
    record = open_store().get_run(run_id)
    sections = [
        f"<h4>run {html.escape(record.run_id[:8])}: {html.escape(record.name)} "
        f"[{html.escape(record.status)}]</h4>"
    ]
    lines = [f"run {record.run_id} {record.name} [{record.status}]"]
    for title, values in (
        ("params", record.params),
        ("metrics", record.metrics),
        ("tags", record.tags),
    ):
        if values:
            rows = [[k, fmt_value(v)] for k, v in sorted(values.items())]
            sections.append(f"<b>{title}</b>" + html_table(["key", "value"], rows))
            lines += [title, text_table(["key", "value"], rows)]
    if record.artifacts:
        rows = [[a.name, str(a.size), a.media_type] for a in record.artifacts]
        sections.append("<b>artifacts</b>" + html_table(["name", "size", "media type"], rows))
        lines += ["artifacts", text_table(["name", "size", "media type"], rows)]
    cell = record.provenance.get("cell") or {}
    if cell.get("hidden_state"):
        warning = f"hidden state: {cell.get('hidden_state_reason')}"
        sections.append(f"<p><b>{html.escape(warning)}</b></p>")
        lines.append(warning)
    history = cell.get("history") or []
    if history:
        rows = [
            [f"[{h.get('execution_count')}]", str(h.get("cell_id") or "-")]
            for h in history
            if isinstance(h, dict)
        ]
        title = f"execution history ({len(rows)} executions, this cell last)"
        sections.append(f"<b>{html.escape(title)}</b>" + html_table(["In", "cell id"], rows))
        lines += [title, text_table(["In", "cell id"], rows)]
    _show_bundle(None, "".join(sections), "\n".join(lines))


def compare_runs(run_ids: list[str]) -> None:
    """Display the parameter differences and overlaid metric curves of several runs."""
    if len(run_ids) < 2:
        raise UsageError("%runs compare needs at least two run ids")
    from mlops_jupyter.tracking.compare import compare_runs as compare

    store = open_store()
    records = [store.get_run(r) for r in run_ids]
    comparison = compare(records)
    shown = [f for f in comparison.fields if f.family in ("params", "metrics")]
    rows = [[("* " if f.differs else "") + f.label, *f.texts] for f in shown]
    marked = {i for i, f in enumerate(shown) if f.differs}
    headers = ["", *(f"{r.run_id[:8]} {r.name}" for r in records)]
    _show_bundle(None, html_table(headers, rows, marked), text_table(headers, rows))
    _plot_curves(store, records)


def _plot_curves(store: Any, records: list[Any]) -> None:
    import matplotlib.pyplot as plt

    keys = sorted({k for r in records for k in r.metrics})
    curves = {k: [(r, store.metric_history(r.run_id, k)) for r in records] for k in keys}
    keys = [k for k in keys if any(len(h) > 1 for _, h in curves[k])]
    if not keys:
        return
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3), squeeze=False)
    for ax, key in zip(axes[0], keys):
        for record, history in curves[key]:
            ax.plot(
                [p.step for p in history],
                [p.value for p in history],
                label=f"{record.run_id[:8]} {record.name}",
            )
        ax.set(title=key, xlabel="step")
        ax.legend(fontsize="small")
    fig.tight_layout()
    import io

    from IPython.display import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png")  # independent of the kernel's matplotlib backend
    plt.close(fig)
    display(Image(data=buf.getvalue(), format="png"))


def runs_magic(line: str) -> None:
    """Dispatch ``%runs`` arguments."""
    words = shlex.split(line)
    if words[:1] == ["show"]:
        if len(words) != 2:
            raise UsageError("usage: %runs show RUN_ID")
        return show_run(words[1])
    if words[:1] == ["compare"]:
        return compare_runs(words[1:])
    if words[:1] == ["diff"]:  # magics/diff_view.py
        return diff_magic(words[1:])
    options = {"--experiment": None, "--filter": None, "--limit": "20"}
    while words:
        flag = words.pop(0)
        if flag not in options or not words:
            raise UsageError(
                "usage: %runs [--experiment E] [--filter EXPR] [--limit N] | "
                "%runs show ID | %runs compare ID ID ... | %runs diff A B"
            )
        options[flag] = words.pop(0)
    try:
        limit = int(options["--limit"] or 20)
    except ValueError:
        raise UsageError(f"--limit takes a whole number, not {options['--limit']!r}") from None
    from mlops_jupyter.tracking.fluent import runs

    frame = runs(filter=options["--filter"], limit=limit, experiment=options["--experiment"])
    if frame.empty:
        print("no runs match" if options["--filter"] else "no runs yet")
        return None
    return runs_table(frame)
