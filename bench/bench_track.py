"""Overhead of %%track on a notebook cell, against MLflow's `with mlflow.start_run():`.

    python bench/bench_track.py [--repeat 30]

Runs inside one real IPython kernel: each variant of a cell is executed with the kernel's own
run_cell machinery and timed there; overhead = median(variant) - median(plain cell).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import print_table

_MEASURE = textwrap.dedent("""
    import json, statistics, time, logging, warnings, os
    warnings.filterwarnings("ignore")
    os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"] = "false"
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    import mlflow, mlops_jupyter as mj
    mlflow.set_tracking_uri("sqlite:///{root}/mlflow.db")
    mlflow.set_experiment("bench")
    ip = get_ipython()
    ip.run_line_magic("load_ext", "mlops_jupyter")
    cells = {cells!r}
    def median_time(src, n):
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            result = ip.run_cell(src, store_history=True)
            samples.append(time.perf_counter() - t)
            assert result.success, result.error_in_exec
        return statistics.median(samples)
    for src, _n in cells.values():
        ip.run_cell(src)  # warm up: imports, first store open, first MLflow run
    print(json.dumps({{k: median_time(src, n) for k, (src, n) in cells.items()}}))
""")

LOOP = "for i in range(1000):\n    {log}"


def cells(repeat: int) -> dict[str, tuple[str, int]]:
    slow = max(3, repeat // 10)
    return {
        "plain_trivial": ("x = 1", repeat),
        "track_trivial": ("%%track\nx = 1", repeat),
        "mlflow_trivial": ("with mlflow.start_run():\n    x = 1", slow),
        "plain_1000": (LOOP.format(log="loss = 1 / (i + 1)"), repeat),
        "track_1000": (
            "%%track\n" + LOOP.format(log="mj.log_metric('loss', 1 / (i + 1), step=i)"),
            repeat,
        ),
        "mlflow_1000": (
            "with mlflow.start_run():\n    for i in range(1000):\n        "
            "mlflow.log_metric('loss', 1 / (i + 1), step=i)",
            slow,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--write", help="also write the markdown table to this file")
    args = parser.parse_args()
    import os

    from jupyter_client.manager import start_new_kernel

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MLOPS_JUPYTER_STORE"] = f"{tmp}/runs.db"
        km, kc = start_new_kernel(kernel_name="python3")
        try:
            out: list[str] = []
            kc.execute_interactive(
                _MEASURE.format(root=tmp, cells=cells(args.repeat)),
                timeout=1800,
                output_hook=lambda m: out.append(
                    m["content"].get("text", "") if m["msg_type"] == "stream" else ""
                ),
            )
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    times = json.loads("".join(out).strip().splitlines()[-1])
    ms = {k: v * 1e3 for k, v in times.items()}
    table = print_table(
        "%%track overhead per cell execution (median, one real kernel)",
        [
            (
                "trivial cell (x = 1): added time",
                "ms",
                ms["track_trivial"] - ms["plain_trivial"],
                ms["mlflow_trivial"] - ms["plain_trivial"],
                "< 5 ms",
                True,
            ),
            (
                "cell logging 1,000 step metrics: added time",
                "ms",
                ms["track_1000"] - ms["plain_1000"],
                ms["mlflow_1000"] - ms["plain_1000"],
                ">= 20x less than MLflow",
                True,
            ),
        ],
        "MLflow start_run + log_metric",
    )
    raw = "raw medians (ms): " + ", ".join(f"{k}={v:.2f}" for k, v in ms.items())
    print(raw)
    if args.write:
        Path(args.write).write_text(
            f"{table}\n\nOne `python bench/bench_track.py --repeat {args.repeat}` run in one real "
            f"IPython kernel; overhead = median(variant) - median(plain cell). {raw}.\n"
        )


if __name__ == "__main__":
    main()
