"""Data lineage of %%track cells in real kernels: the files a cell reads are recorded without a
call, one changed value changes the file hash and the frame fingerprint, and a failing hook
never breaks the cell."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from mlops_jupyter.store import RunStore

LOAD = "%load_ext mlops_jupyter\nimport pandas as pd\nimport numpy as np"


def _runs(store: RunStore):
    return [store.get_run(r.run_id) for r in reversed(store.search_runs())]


def test_a_cell_reading_five_files_records_all_five_without_a_call(run_cells, store, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]}).to_csv(data / "train.csv", index=False)
    pd.DataFrame({"z": [1.5, 2.5]}).to_parquet(data / "extra.parquet")
    np.save(data / "weights.npy", np.arange(6))
    np.savetxt(data / "matrix.txt", np.eye(2))
    (data / "labels.json").write_text('["cat", "dog"]')
    cell = """%%track --name read5
import json
train = pd.read_csv("data/train.csv")
extra = pd.read_parquet("data/extra.parquet")
weights = np.load("data/weights.npy")
matrix = np.loadtxt("data/matrix.txt")
with open("data/labels.json") as fh:
    labels = json.load(fh)
total = float(train.x.sum() + weights.sum())
train.describe()
"""
    nb = run_cells([LOAD, cell])
    assert not [o for o in nb.cells[1].outputs if o.get("name") == "stderr"]
    (run,) = _runs(store)
    assert run.metrics["total"] == 21.0
    inputs = {i["path"]: i for i in run.inputs}
    assert set(inputs) == {
        "data/train.csv",
        "data/extra.parquet",
        "data/weights.npy",
        "data/matrix.txt",
        "data/labels.json",
    }
    train = inputs["data/train.csv"]
    assert train["kind"] == "csv" and train["reader"] == "pandas.read_csv"
    assert train["sha256"] == hashlib.sha256((data / "train.csv").read_bytes()).hexdigest()
    assert train["size"] == (data / "train.csv").stat().st_size
    assert train["schema"]["columns"] == {"x": "int64", "y": "str"}
    assert train["frame"]["rows"] == 3 and train["frame"]["stats"]["x"]["max"] == 3.0
    assert inputs["data/extra.parquet"]["schema"]["rows"] == 2
    assert inputs["data/weights.npy"]["reader"] == "numpy.load"
    assert inputs["data/matrix.txt"]["reader"] == "numpy.loadtxt"
    assert inputs["data/labels.json"]["reader"] == "open"
    (shown,) = run.provenance["frames"]  # the frame the cell displayed, fingerprinted
    assert shown["rows"] == 8 and set(shown["columns"]) == {"x"}
    (load,) = run.provenance["input_cells"]  # the cell that made `pd` and `np`
    assert load["source"] == LOAD and load["names"] == ["np", "pd"]


def test_one_changed_value_in_a_million_row_csv_changes_hash_and_fingerprint(
    run_cells, store, tmp_path
):
    frame = pd.DataFrame({"a": np.arange(1_000_000), "b": np.arange(1_000_000) % 7})
    frame.to_csv(tmp_path / "big.csv", index=False)

    def change_one_value(nb, path):
        text = (tmp_path / "big.csv").read_text().splitlines()
        text[500_001] = text[500_001].split(",")[0] + ",9"  # row 500000, column b
        (tmp_path / "big.csv").write_text("\n".join(text) + "\n")

    track = '%%track --name big\nbig = pd.read_csv("big.csv")\nn = len(big)'
    run_cells([LOAD, track], [0, 1, change_one_value, 1])
    first, second = (r.inputs[0] for r in _runs(store))
    assert first["path"] == second["path"] == "big.csv"
    assert first["size"] == second["size"]  # the same size: only the content tells them apart
    assert first["sha256"] != second["sha256"]
    assert first["frame"]["rows"] == second["frame"]["rows"] == 1_000_000
    assert first["frame"]["fingerprint"] != second["frame"]["fingerprint"]
    assert first["frame"]["stats"]["b"]["max"] == 6.0
    assert second["frame"]["stats"]["b"]["max"] == 9.0


def test_failing_hooks_never_break_the_cell(run_cells, store, tmp_path):
    (tmp_path / "gone.csv").write_text("x\n1\n")
    (tmp_path / "ok.txt").write_text("fine")
    cell = """%%track --name exotic
import os

class Flaky(os.PathLike):
    calls = 0
    def __fspath__(self):
        Flaky.calls += 1
        if Flaky.calls > 1:
            raise RuntimeError("exotic path object")
        return "ok.txt"

text = np.loadtxt(Flaky(), dtype=str).tolist()   # the hook's own fspath call fails
gone = pd.read_csv("gone.csv")
os.remove("gone.csv")                             # unreadable when the hook hashes it
with open(3 if False else "ok.txt", "rb") as fh:
    raw = fh.read()
print("cell done", text, len(gone), raw)
"""
    nb = run_cells([LOAD, cell])
    outputs = nb.cells[1].outputs
    assert any("cell done fine 1 b'fine'" in o.get("text", "") for o in outputs)
    warnings = [o["text"] for o in outputs if o.get("name") == "stderr"]
    assert len(warnings) == 1 and "recording the cell's inputs" in warnings[0]
    (run,) = _runs(store)
    assert run.status == "finished"
    inputs = {i["name"]: i for i in run.inputs}
    assert inputs["gone.csv"]["sha256"] is None
    assert "could not be read" in inputs["gone.csv"]["note"]
    assert inputs["ok.txt"]["reader"] == "open" and inputs["ok.txt"]["sha256"]
