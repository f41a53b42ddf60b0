"""`%%track` records a profile of each DataFrame a cell reads (before it runs) and of each one
it shows, so two tracked executions can be compared for drift."""

from __future__ import annotations

from mlops_jupyter.monitoring.artifacts import run_profiles
from mlops_jupyter.monitoring.drift import drift_report

LOAD = "%load_ext mlops_jupyter"


def test_track_profiles_input_and_shown_frames_and_drift_compares_two_executions(
    run_cells, store
) -> None:
    run_cells(
        [
            LOAD,
            "import numpy as np, pandas as pd\nrng = np.random.default_rng(0)\nshift = 0.0",
            "frame = pd.DataFrame(rng.normal(size=(3000, 3)), columns=list('abc'))\n"
            "frame['a'] += shift",
            "%%track --name fit\nsummary = frame.describe()\nmean_a = float(frame['a'].mean())\n"
            "summary",
            "shift = 1.0",
        ],
        order=[0, 1, 2, 3, 4, 2, 3],
    )
    runs = sorted(store.search_runs(), key=lambda r: r.start_time)
    assert [r.name for r in runs] == ["fit", "fit"]
    first = run_profiles(store, runs[0].run_id)
    assert set(first) == {"input.frame", "table_1"}  # the frame read, the summary shown
    assert first["input.frame"].doc["rows"] == 3000
    assert [c["name"] for c in first["table_1"].doc["columns"]] == ["a", "b", "c"]
    report = drift_report(store, runs[1].run_id, runs[0].run_id)
    drifted = {(c["table"], c["column"]) for c in report["columns"] if c["drifted"]}
    assert ("input.frame", "a") in drifted
    assert not {c for t, c in drifted if t == "input.frame"} - {"a"}
