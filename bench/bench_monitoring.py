"""Benchmark: data profiles and drift (mlops-jupyter) beside Evidently's DataDriftPreset.

Two 1,000,000 x 20 float frames (the second with a planted 0.5-sigma shift in one column) are
profiled and stored as two runs' profiles in a real SQLite store; drift is then computed from
what the runs hold (profiles + bounded samples), and Evidently 0.7's DataDriftPreset runs on the
same two frames. The table gives the medians, the ratios and whether the per-column verdicts
agree. Run: ``python bench/bench_monitoring.py [--rows 1000000] [--repeat 3]
[--markdown-out bench/MONITORING.md]`` (needs ``pip install evidently scipy``).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlops_jupyter.monitoring.artifacts import log_profile  # noqa: E402
from mlops_jupyter.monitoring.drift import drift_report  # noqa: E402
from mlops_jupyter.monitoring.profile import SAMPLE_ROWS, profile_frame  # noqa: E402
from mlops_jupyter.store import open_store  # noqa: E402
from tests.support.evidently_check import evidently_verdicts, load_evidently  # noqa: E402

COLUMNS = 20
SHIFTED = "x7"


def _frames(rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(16)
    names = [f"x{i}" for i in range(COLUMNS)]
    reference = pd.DataFrame(rng.normal(size=(rows, COLUMNS)), columns=names)
    current = pd.DataFrame(rng.normal(size=(rows, COLUMNS)), columns=names)
    current[SHIFTED] += 0.5
    return reference, current


CPU: dict[str, float] = {}  # measure -> median CPU seconds of this process (load-independent)


def _timed(fn, repeat: int, label: str = "") -> tuple[float, object]:
    times, cpu, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU[label] = statistics.median(cpu)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--markdown-out", type=Path)
    args = parser.parse_args()
    reference, current = _frames(args.rows)
    import scipy.stats  # noqa: F401  (imported once, as a session would have it)

    load_evidently()
    profile_s, _ = _timed(lambda: profile_frame(reference, "features"), args.repeat, "profile")
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(str(Path(folder) / "runs.db"))
        base_id = store.create_run(name="reference")
        run_id = store.create_run(name="current")
        start, start_cpu = time.perf_counter(), time.process_time()
        log_profile(store, base_id, reference, "features")
        log_profile(store, run_id, current, "features")
        stored_s = (time.perf_counter() - start) / 2
        CPU["stored"] = (time.process_time() - start_cpu) / 2
        drift_s, report = _timed(lambda: drift_report(store, run_id, base_id), args.repeat, "drift")
        store.dispose()
    print(
        f"ours: profile {profile_s:.3f} s, stored {stored_s:.3f} s, drift {drift_s:.3f} s",
        flush=True,
    )
    evidently_s, theirs = _timed(lambda: evidently_verdicts(reference, current), 1, "evidently")
    ours = {c["column"]: (c["method"], c["statistic"], c["drifted"]) for c in report["columns"]}
    same = all(ours[c][0] == theirs[c][0] and ours[c][2] == theirs[c][2] for c in theirs)
    flagged = sorted(c for c, v in ours.items() if v[2])
    gap = max(abs(ours[c][1] - theirs[c][1]) for c in theirs)
    ev_cpu = CPU["evidently"]
    rows = [
        ("profile of one frame (in memory)", profile_s, CPU["profile"], None, None, "< 1 s"),
        ("profile + sample stored as a run's artifacts", stored_s, CPU["stored"], None, None, ""),
        (
            "drift between the two runs (from their profiles)",
            drift_s,
            CPU["drift"],
            evidently_s,
            ev_cpu,
            "< 2 s, >= 10x",
        ),
        (
            "2 profiles + drift (everything, end to end)",
            2 * stored_s + drift_s,
            2 * CPU["stored"] + CPU["drift"],
            evidently_s,
            ev_cpu,
            "",
        ),
    ]
    lines = [
        f"vm: {platform.machine()}, Python {platform.python_version()}; one "
        f"`python bench/bench_monitoring.py` run; frames {args.rows:,} x {COLUMNS} float64, "
        f"{SHIFTED} shifted by 0.5 sigma; medians of {args.repeat} (Evidently: 1 run). Wall "
        "and CPU seconds of this process: on a shared machine the CPU time is the steadier.",
        "",
        "| measure | ours wall s | ours CPU s | Evidently wall s | Evidently CPU s "
        "| ratio (wall / CPU) | goal |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, wall, cpu, ev_wall, ev_c, goal in rows:
        ratio = f"{ev_wall / wall:.1f}x / {ev_c / cpu:.1f}x" if ev_wall else "-"
        evid = f"{ev_wall:.2f} | {ev_c:.2f}" if ev_wall else "- | -"
        lines.append(f"| {name} | {wall:.3f} | {cpu:.3f} | {evid} | {ratio} | {goal} |")
    lines += [
        "",
        f"Verdicts: mlops-jupyter flags {flagged}; Evidently flags "
        f"{sorted(c for c, v in theirs.items() if v[2])}; same method and verdict for all "
        f"{len(theirs)} columns: **{'yes' if same else 'NO'}**. Largest gap between the two "
        f"normed Wasserstein statistics: {gap:.4f} (ours from a {SAMPLE_ROWS:,}-row sample "
        "of each run, Evidently's from all rows).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown_out:
        args.markdown_out.write_text("# Monitoring: profiles and drift\n\n" + text)


if __name__ == "__main__":
    main()
