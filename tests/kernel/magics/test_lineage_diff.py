"""`runs diff` over runs of real kernels: exactly the planted factors, and nothing but metrics for
two runs of the same cell on the same data."""

from __future__ import annotations

import json
import os

from mlops_jupyter.cli.main import main
from mlops_jupyter.store import RunStore

LOAD = "%load_ext mlops_jupyter\nimport pandas as pd"
PREP = "scale = 2"
TRAIN = """%%track --name train
frame = pd.read_csv("data.csv")
note = "{note}"
rows = len(frame) * scale
"""


def _planted_package(folder, version: str) -> str:
    """A folder holding an installed-looking distribution `plantedpkg` of this version."""
    site = folder / f"site-{version}"
    dist = site / f"plantedpkg-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: plantedpkg\nVersion: {version}\n")
    return str(site)


def _ids(store: RunStore) -> list[str]:
    return [r.run_id for r in reversed(store.search_runs())]


def test_four_planted_factors_give_exactly_four_kinds(
    run_cells, store, tmp_path, monkeypatch, capsys
):
    (tmp_path / "data.csv").write_text("x,y\n1,2\n3,4\n")
    base = os.environ.get("PYTHONPATH", "")

    def run(lr: float, note: str, package: str) -> None:
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join([base, package]))
        params = (f"lr = {lr}", ["parameters"])
        run_cells([params, LOAD, PREP, TRAIN.format(note=note)])

    run(0.1, "first", _planted_package(tmp_path, "1.0"))
    (tmp_path / "data.csv").write_text("x,y\n1,2\n3,5\n")  # one input value
    run(0.2, "second", _planted_package(tmp_path, "2.0"))  # a param, a line, a package
    a, b = _ids(store)
    assert main(["runs", "diff", a[:8], b[:8], "--format", "json"]) == 1
    differences = json.loads(capsys.readouterr().out)["differences"]
    assert sorted(d["kind"] for d in differences) == ["code", "input", "package", "param"]
    by_kind = {d["kind"]: d for d in differences}
    assert by_kind["param"]["key"] == "lr" and (by_kind["param"]["a"], by_kind["param"]["b"]) == (
        0.1,
        0.2,
    )
    assert by_kind["package"]["key"] == "plantedpkg"
    assert (by_kind["package"]["a"], by_kind["package"]["b"]) == ("1.0", "2.0")
    assert by_kind["code"]["key"] == "cell"
    assert '-note = "first"\n+note = "second"' in by_kind["code"]["diff"]
    assert by_kind["input"]["key"] == "data.csv"
    assert any("column y: max 4.0 -> 5.0" in c for c in by_kind["input"]["changes"])
    assert main(["runs", "diff", a[:8], b[:8]]) == 1
    text = capsys.readouterr().out
    assert "4 difference(s)" in text and "param        lr: 0.1 -> 0.2" in text


def test_the_same_cell_on_the_same_data_differs_only_in_metrics(run_cells, store, tmp_path):
    (tmp_path / "data.csv").write_text("x\n1\n2\n")
    cell = (
        "%%track --name noisy\nimport random\n"
        'frame = pd.read_csv("data.csv")\nscore = random.random()'
    )
    magic = 'newest, older = mj.runs()["run_id"].tolist()[:2]\n%runs diff $older $newest'
    nb = run_cells([LOAD + "\nimport mlops_jupyter as mj", cell, magic], [0, 1, 1, 2])
    a, b = _ids(store)
    assert main(["runs", "diff", a, b]) == 1
    from mlops_jupyter.tracking.diff import diff_runs

    first, second = store.get_run(a), store.get_run(b)
    differences = diff_runs(first, second)
    assert [(d.kind, d.key) for d in differences] == [("metric", "score")]
    assert differences[0].extra["delta"] == second.metrics["score"] - first.metrics["score"]
    shown = "".join(o.get("text", "") for o in nb.cells[2].outputs)
    assert "1 difference(s)" in shown and "metric       score:" in shown
