"""The drift verdicts are right: a planted 0.5-sigma shift is found and nothing else, unshifted
data raises at most 5% false alarms, and Evidently's DataDriftPreset agrees column by column.

The runs are real: tables logged with log_table into a real SQLite store, profiles and samples
read back from their blobs; Evidently (installed for the tests only) runs on the same frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.monitoring.artifacts import frame_profile
from mlops_jupyter.monitoring.drift import compare_profiles, drift_report
from mlops_jupyter.store import open_store
from tests.support.evidently_check import evidently_verdicts

COLUMNS = [f"x{i}" for i in range(20)]
ROWS = 5_000
SHIFTED = "x7"


def _frame(rng: np.random.Generator, rows: int = ROWS, shift: float = 0.0) -> pd.DataFrame:
    frame = pd.DataFrame(rng.normal(size=(rows, len(COLUMNS))), columns=COLUMNS)
    frame[SHIFTED] += shift  # std 1: a shift of `shift` sigma
    return frame


def _logged_run(store_url: str, frame: pd.DataFrame, name: str) -> str:
    with mj.start_run(name, store=store_url) as run:
        run.log_table(frame, "features")
    return run.run_id


def test_a_half_sigma_shift_in_one_of_20_columns_is_flagged_and_no_other(store_url: str) -> None:
    rng = np.random.default_rng(16)
    reference, current = _frame(rng), _frame(rng, shift=0.5)
    base_id = _logged_run(store_url, reference, "baseline")
    run_id = _logged_run(store_url, current, "current")

    report = drift_report(open_store(store_url), run_id[:8], base_id)

    flagged = [c["column"] for c in report["columns"] if c["drifted"]]
    assert flagged == [SHIFTED]
    assert {c["method"] for c in report["columns"]} == {"wasserstein"}  # > 1000 rows, numeric
    assert all(c["threshold"] == 0.1 for c in report["columns"])
    assert report["schema"] == [] and report["skipped"] == []
    assert report["tables"] == [
        {"table": "features", "tested": 20, "drifted": 1, "share": 0.05, "dataset_drift": False}
    ]
    shifted = next(c for c in report["columns"] if c["column"] == SHIFTED)
    assert 0.4 < shifted["statistic"] < 0.6


def test_unshifted_replicates_raise_at_most_5_percent_false_alarms() -> None:
    rng = np.random.default_rng(1600)
    flagged = tested = 0
    for _ in range(100):
        report = compare_profiles(
            {"t": frame_profile(_frame(rng))}, {"t": frame_profile(_frame(rng))}
        )
        tested += len(report["columns"])
        flagged += sum(c["drifted"] for c in report["columns"])
    assert tested == 100 * 20
    assert flagged / tested <= 0.05


@pytest.mark.slow
def test_the_verdicts_match_evidentlys_data_drift_preset(store_url: str) -> None:
    """Large numeric (Wasserstein), small numeric (KS), categorical (chi-square, z-test and
    Jensen-Shannon): the same method, the same statistic and the same verdict per column."""
    rng = np.random.default_rng(7)
    cases = []
    for rows in (ROWS, 600):  # Evidently switches to the p-value tests at <= 1000 rows
        reference, current = _frame(rng, rows), _frame(rng, rows, shift=0.5)
        for frame, probs in ((reference, [0.5, 0.3, 0.2]), (current, [0.4, 0.3, 0.3])):
            frame["city"] = rng.choice(["oslo", "rome", "lima"], rows, p=probs)
            frame["flag"] = rng.choice([True, False], rows, p=[probs[0], 1 - probs[0]])
            frame["level"] = rng.integers(0, 4, rows)  # int with <= 10 values: categorical
        cases.append((reference, current))
    for reference, current in cases:
        ours = compare_profiles({"t": frame_profile(reference)}, {"t": frame_profile(current)})
        theirs = evidently_verdicts(reference, current)
        assert set(theirs) == {c["column"] for c in ours["columns"]}
        for column in ours["columns"]:
            method, statistic, drifted = theirs[column["column"]]
            assert (column["method"], column["drifted"]) == (method, drifted), column
            assert column["statistic"] == pytest.approx(statistic, rel=1e-6, abs=1e-9), column
