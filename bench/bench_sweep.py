"""Sweep throughput: 16 points of a small notebook, papermill vs `mlops-jupyter sweep`, one run.

    python bench/bench_sweep.py [--points 16] [--write bench/SWEEP.md]

Four ways to execute the same 16 points, in this one process, on this machine:

1. a sequential loop of ``papermill in.ipynb out.ipynb -p x I`` CLI calls (what a shell script
   or a Makefile does);
2. papermill's Python API in a ``ProcessPoolExecutor(2)`` (the usual "naive" parallel sweep);
3. ``mlops-jupyter sweep --grid x=0,...,15 --jobs 2`` (a CLI call, recording every point);
4. one ``mlops-jupyter run`` against one ``papermill`` call (median of 3 each).

Wall time includes process start and imports for every CLI variant, and the workers' papermill
import for the pool. Prints and (with --write) saves a markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

BIN = Path(sys.executable).parent
CHECKOUT = Path(__file__).resolve().parents[1]

CELLS = [
    "import math\nimport json",
    "x = 0  # point index\nsize = 30000  # work per point",
    "values = [math.sin(i * (x + 1) / size) for i in range(size)]",
    "total = sum(values)\nmean = total / len(values)",
    "print(json.dumps({'x': x, 'mean': mean}))",
]


def write_notebook(path: Path) -> None:
    """A small notebook: five code cells, about 20 ms of work."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [new_markdown_cell("bench notebook")] + [new_code_cell(c) for c in CELLS]
    nb.cells[2].metadata["tags"] = ["parameters"]
    nbformat.write(nb, str(path))


def _env(store: Path) -> dict[str, str]:
    env = dict(os.environ, MLOPS_JUPYTER_STORE=str(store))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT), env.get("PYTHONPATH")]))
    return env


def papermill_loop(nb: Path, out: Path, points: int) -> float:
    start = time.perf_counter()
    for i in range(points):
        subprocess.run(
            [
                str(BIN / "papermill"),
                "-p",
                "x",
                str(i),
                "--no-progress-bar",
                str(nb),
                str(out / f"loop-{i}.ipynb"),
            ],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - start


def _pool_point(args: tuple[str, str, int]) -> None:
    import papermill

    nb, out, i = args
    papermill.execute_notebook(nb, out, parameters={"x": i}, progress_bar=False)


def papermill_pool(nb: Path, out: Path, points: int) -> float:
    start = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        list(
            pool.map(
                _pool_point, [(str(nb), str(out / f"pool-{i}.ipynb"), i) for i in range(points)]
            )
        )
    return time.perf_counter() - start


def ours_sweep(nb: Path, store: Path, points: int) -> float:
    grid = "x=" + ",".join(str(i) for i in range(points))
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mlops_jupyter.cli",
            "sweep",
            str(nb),
            "--grid",
            grid,
            "--jobs",
            "2",
            "--name",
            "sweep-bench",
        ],
        check=True,
        capture_output=True,
        env=_env(store),
    )
    return time.perf_counter() - start


def single_runs(nb: Path, out: Path, store: Path, repeat: int = 3) -> tuple[float, float]:
    ours, theirs = [], []
    for i in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            [
                str(BIN / "papermill"),
                "-p",
                "x",
                "1",
                "--no-progress-bar",
                str(nb),
                str(out / f"single-{i}.ipynb"),
            ],
            check=True,
            capture_output=True,
        )
        theirs.append(time.perf_counter() - start)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "mlops_jupyter.cli", "run", str(nb), "-p", "x", "1"],
            check=True,
            capture_output=True,
            env=_env(store),
        )
        ours.append(time.perf_counter() - start)
    return statistics.median(ours), statistics.median(theirs)


def check_recorded(store: Path, points: int) -> str:
    sys.path.insert(0, str(CHECKOUT))
    from mlops_jupyter.store import RunStore

    runs = RunStore(str(store)).search_runs(filter="name == 'sweep-bench'")
    children = RunStore(str(store)).search_runs(parent_run_id=runs[0].run_id)
    done = sum(c.status == "finished" for c in children)
    assert done == points, f"only {done} of {points} points recorded as finished"
    waits = sorted(float(c.tags["mlops.kernel_wait_seconds"]) for c in children)
    return (
        f"{done} child runs recorded, all finished; time a point waited for a ready kernel: "
        f"median {statistics.median(waits) * 1000:.0f} ms, max {waits[-1] * 1000:.0f} ms"
    )


def report(
    points: int, loop: float, pool: float, sweep: float, run: float, pm: float, recorded: str
) -> str:
    def per(total: float) -> float:
        return total / points * 1000

    lines = [
        "### Sweep: 16 points of a small notebook",
        "",
        f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"one `python bench/bench_sweep.py` run. {recorded}.",
        "",
        "| way | wall (s) | per point (ms) | speed-up vs papermill loop |",
        "|---|---:|---:|---:|",
        f"| sequential `papermill` CLI loop | {loop:.2f} | {per(loop):.0f} | 1.0x |",
        f"| papermill API, ProcessPoolExecutor(2) | {pool:.2f} | {per(pool):.0f} | "
        f"{loop / pool:.1f}x |",
        f"| `mlops-jupyter sweep --jobs 2` | {sweep:.2f} | {per(sweep):.0f} | "
        f"{loop / sweep:.1f}x |",
        "",
        "| single run | wall (s) |",
        "|---|---:|",
        f"| `papermill in.ipynb out.ipynb -p x 1` | {pm:.2f} |",
        f"| `mlops-jupyter run in.ipynb -p x 1` | {run:.2f} |",
        "",
        f"Targets: sweep >= 3x faster than the papermill loop: **{loop / sweep:.1f}x** "
        f"({'met' if loop / sweep >= 3 else 'NOT met'}); faster than the naive pool: "
        f"**{pool / sweep:.2f}x** ({'met' if sweep < pool else 'NOT met'}); a single run no "
        f"slower than one papermill call: **{pm / run:.2f}x** "
        f"({'met' if run <= pm else 'NOT met'}).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=16)
    parser.add_argument("--write", help="also write the markdown table to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        root = Path(tmp)
        nb, out = root / "bench.ipynb", root / "out"
        out.mkdir()
        write_notebook(nb)
        store = root / "store" / "runs.db"
        loop = papermill_loop(nb, out, args.points)
        print(f"papermill loop: {loop:.2f}s", file=sys.stderr)
        pool = papermill_pool(nb, out, args.points)
        print(f"papermill pool: {pool:.2f}s", file=sys.stderr)
        sweep = ours_sweep(nb, store, args.points)
        print(f"mlops-jupyter sweep: {sweep:.2f}s", file=sys.stderr)
        run, pm = single_runs(nb, out, root / "store2" / "runs.db")
        text = report(args.points, loop, pool, sweep, run, pm, check_recorded(store, args.points))
    print(text)
    if args.write:
        sys.path.insert(0, str(Path(__file__).parent))
        from common import write_section  # keeps the other sections of SWEEP.md

        write_section(args.write, text.splitlines()[0], text)


if __name__ == "__main__":
    main()
