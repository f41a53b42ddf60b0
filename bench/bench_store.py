"""Store and tracking API against MLflow's SQLite tracking store, in one process and one run.

    python bench/bench_store.py [--runs 10000]

Prints a markdown table (ours, MLflow, ratio; ratio > 1 means mlops-jupyter is faster).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import print_table, quiet_mlflow, timed

import mlops_jupyter as mj

PARAMS = {f"p{i}": i * 0.5 for i in range(10)}
METRICS = {f"m{i}": i * 0.1 for i in range(5)}


def ours(root: Path, n_runs: int) -> dict[str, float]:
    store = mj.RunStore(str(root / "ours" / "runs.db"))
    out: dict[str, float] = {}
    with mj.start_run("single", store=store) as run:
        calls = 100_000
        start = time.perf_counter()
        for _ in range(calls):
            run.log_metric("loss", 0.5)
        run.flush()  # the write is part of the cost
        out["log_metric"] = (time.perf_counter() - start) / calls
        batch = {f"k{i}": float(i) for i in range(100)}
        steps = 2_000
        start = time.perf_counter()
        for step in range(steps):
            run.log_metrics(batch, step=step)
        run.flush()
        out["batch"] = steps * len(batch) / (time.perf_counter() - start)

    def one_run(i: int) -> None:
        with mj.start_run(f"r{i}", experiment="bench", params=PARAMS, store=store) as r:
            r.log_metrics({**METRICS, "acc": (i % 100) / 100})

    timings = []
    for i in range(n_runs):
        start = time.perf_counter()
        one_run(i)
        timings.append(time.perf_counter() - start)
    out["run"] = sorted(timings)[len(timings) // 2]
    out["query"] = timed(lambda: store.runs_frame(experiment="bench"), repeat=5)
    out["query_filter"] = timed(
        lambda: store.runs_frame(experiment="bench", filter="metrics.acc > 0.5"), repeat=5
    )
    out["rows"] = len(store.runs_frame(experiment="bench"))
    return out


def mlflow_side(root: Path, n_runs: int) -> dict[str, float]:
    mlflow = quiet_mlflow(f"sqlite:///{root / 'mlflow.db'}")
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    client = MlflowClient()
    exp = client.create_experiment("bench", artifact_location=str(root / "mlruns"))
    out: dict[str, float] = {}
    with mlflow.start_run(experiment_id=exp):
        calls = 300
        start = time.perf_counter()
        for i in range(calls):
            mlflow.log_metric("loss", 0.5, step=i)
        out["log_metric"] = (time.perf_counter() - start) / calls
        batch = {f"k{i}": float(i) for i in range(100)}
        steps = 50
        start = time.perf_counter()
        for step in range(steps):
            mlflow.log_metrics(batch, step=step)
        out["batch"] = steps * len(batch) / (time.perf_counter() - start)
    timings = []
    for i in range(200):
        start = time.perf_counter()
        with mlflow.start_run(experiment_id=exp, run_name=f"r{i}"):
            mlflow.log_params(PARAMS)
            mlflow.log_metrics({**METRICS, "acc": (i % 100) / 100})
        timings.append(time.perf_counter() - start)
    out["run"] = sorted(timings)[len(timings) // 2]
    now = int(time.time() * 1000)
    for i in range(200, n_runs):  # fill up to n_runs with the client's fastest path
        run = client.create_run(exp, run_name=f"r{i}")
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(k, v, now, 0) for k, v in {**METRICS, "acc": (i % 100) / 100}.items()],
            params=[Param(k, str(v)) for k, v in PARAMS.items()],
        )
        client.set_terminated(run.info.run_id)
    out["query"] = timed(lambda: mlflow.search_runs([exp], max_results=n_runs), repeat=3)
    out["query_filter"] = timed(
        lambda: mlflow.search_runs([exp], filter_string="metrics.acc > 0.5", max_results=n_runs),
        repeat=3,
    )
    out["rows"] = len(mlflow.search_runs([exp], max_results=n_runs))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10_000, help="runs to create and query")
    parser.add_argument("--write", help="also write the markdown table to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        a = ours(root, args.runs)
        b = mlflow_side(root, args.runs)
    assert a["rows"] == b["rows"] == args.runs, (a["rows"], b["rows"])
    table = print_table(
        f"Store and tracking API ({args.runs:,} runs queried)",
        [
            (
                "log_metric, one call (incl. its share of the flush)",
                "µs/call",
                a["log_metric"] * 1e6,
                b["log_metric"] * 1e6,
                ">= 50x faster",
                True,
            ),
            (
                "batched metrics (log_metrics of 100 keys)",
                "metrics/s",
                a["batch"],
                b["batch"],
                "higher is better",
                False,
            ),
            (
                "create a run with 10 params + 5 metrics, end it",
                "ms/run",
                a["run"] * 1e3,
                b["run"] * 1e3,
                ">= 20x faster",
                True,
            ),
            (
                f"query {args.runs:,} runs into a DataFrame",
                "ms",
                a["query"] * 1e3,
                b["query"] * 1e3,
                ">= 20x faster, < 200 ms",
                True,
            ),
            (
                f"query {args.runs:,} runs, filter metrics.acc > 0.5",
                "ms",
                a["query_filter"] * 1e3,
                b["query_filter"] * 1e3,
                "faster",
                True,
            ),
        ],
        "MLflow (SQLite)",
    )
    if args.write:
        import platform

        Path(args.write).write_text(
            f"{table}\n\nOne `python bench/bench_store.py --runs {args.runs}` run; "
            f"{platform.python_version()}, {os.cpu_count()} CPUs, mlflow {_mlflow_version()}. "
            "Ratio > 1: mlops-jupyter is faster.\n"
        )


def _mlflow_version() -> str:
    import mlflow

    return mlflow.__version__


if __name__ == "__main__":
    main()
