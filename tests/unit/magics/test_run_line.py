"""The line after a %%track cell, no kernel: plain text for any front end, HTML with a command
link for JupyterLab, the hidden-state warning when set, every value escaped."""

from __future__ import annotations

import json
import re

from mlops_jupyter.magics.run_line import run_line
from mlops_jupyter.notebook.dataflow import Verdict

RUN = "0123456789abcdef0123456789abcdef"


def test_a_clean_run_is_one_line_with_a_link() -> None:
    bundle = run_line(RUN, "train", "finished", Verdict(False))
    assert bundle["text/plain"] == "mlops-jupyter: run 01234567 (train) finished"
    args = re.search(r'data-commandlinker-args="([^"]*)"', bundle["text/html"])
    assert args is not None
    assert json.loads(args.group(1).replace("&quot;", '"')) == {"run_id": RUN, "name": "train"}
    assert "hidden state" not in bundle["text/html"]


def test_hidden_state_is_on_the_line_and_values_are_escaped() -> None:
    verdict = Verdict(True, "'x' was set by cell 3 ('x = <b>'). Fix: re-run cell 3.", "x", 3)
    bundle = run_line(RUN, "<img src=x>", "finished", verdict)
    assert bundle["text/plain"].endswith("; hidden state: " + verdict.reason)
    assert "<img" not in bundle["text/html"] and "<b>" not in bundle["text/html"]
    assert "&lt;img src=x&gt;" in bundle["text/html"] and "hidden state:" in bundle["text/html"]
