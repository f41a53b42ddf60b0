"""The one line shown after each ``%%track`` cell: which run it made, a link that opens it, and
the hidden-state warning when the run has one.

Shown as one MIME bundle: HTML whose button runs the Runs panel's ``mlops-jupyter:open-run``
command (JupyterLab's command linker), and the same words as plain text for every other front
end, papermill's saved outputs and terminals. Every value is HTML-escaped.
"""

from __future__ import annotations

import html
import json
from typing import Any

from mlops_jupyter.notebook.dataflow import Verdict

OPEN_RUN_COMMAND = "mlops-jupyter:open-run"  # labextension/src/tokens.ts CommandIDs.openRun


def run_line(run_id: str, name: str, status: str, verdict: Verdict) -> dict[str, str]:
    """The MIME bundle (text/plain and text/html) of the line for one run."""
    words = f"mlops-jupyter: run {run_id[:8]} ({name}) {status}"
    warning = f"hidden state: {verdict.reason}" if verdict.flag else ""
    plain = f"{words}; {warning}" if warning else words
    args = html.escape(json.dumps({"run_id": run_id, "name": name}), quote=True)
    button = (
        f'<button class="jp-mlops-RunLink" data-commandlinker-command="{OPEN_RUN_COMMAND}" '
        f'data-commandlinker-args="{args}" title="Open this run in the Runs panel">'
        "open in Runs panel</button>"
    )
    parts = [
        f"<span>run <code>{html.escape(run_id[:8])}</code> ({html.escape(name)}) "
        f"{html.escape(status)}</span>",
        button,
    ]
    if warning:
        parts.append(
            '<span class="jp-mlops-HiddenState" style="color:var(--jp-warn-color0,#b35900)">'
            f"&#9888; {html.escape(warning)}</span>"
        )
    return {
        "text/plain": plain,
        "text/html": f'<div class="jp-mlops-RunLine">{" · ".join(parts)}</div>',
    }


def show_run_line(run: Any, status: str, verdict: Verdict) -> None:
    """Display the line for `run` in the cell's output."""
    from IPython.display import display

    display(run_line(run.run_id, run.name, status, verdict), raw=True)
