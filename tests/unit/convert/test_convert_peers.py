"""The converter's regression corpus of other people's notebooks (issue 18 item 8): papermill's
and jupytext's own test notebooks (tests/data/peers/, see its NOTICE.md), each with its
expected verdict. No kernel: `check` and `export script`."""

from __future__ import annotations

import pytest
import yaml

from mlops_jupyter.convert import check_notebook, export_script
from mlops_jupyter.errors import MlopsJupyterError
from tests.support import ROOT

PEERS = ROOT / "tests" / "data" / "peers"
EXPECTED = yaml.safe_load((PEERS / "expected.yaml").read_text(encoding="utf-8"))


def test_every_vendored_notebook_has_an_expectation_and_a_licence():
    found = sorted(f"{p.parent.name}/{p.name}" for p in PEERS.glob("*/*.ipynb"))
    assert found == sorted(EXPECTED) and len(found) >= 40
    assert all((PEERS / peer / "LICENSE").is_file() for peer in ("papermill", "jupytext"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_check_and_export_give_the_expected_verdict(name):
    want = EXPECTED[name]
    path = PEERS / name
    report = check_notebook(path)
    assert sorted({f.code for f in report.findings}) == want["check"]
    assert report.ok is want["ok"]
    try:
        source = export_script(path)
    except MlopsJupyterError as err:
        assert want["export"] == "refuse", str(err)
        assert "cell" in str(err) or "kernel" in str(err)  # the message names where or why
        return
    assert want["export"] == "compiles"
    compile(source, str(path), "exec")
