"""Sweep of a realistic notebook: 8 points of train_classifier.ipynb, papermill vs our sweeps.

    python bench/bench_sweep_imports.py [--points 8] [--write bench/SWEEP.md]

Four ways to execute the same points (``seed=0..7``) of ``example-notebooks/train_classifier
.ipynb`` (pandas, scikit-learn, matplotlib, ``%%track``), in this one run, on this machine:

1. a sequential loop of ``papermill`` CLI calls;
2. papermill's Python API in a ``ProcessPoolExecutor(2)``;
3. ``mlops-jupyter sweep --jobs 2 --no-preimport`` (today's pool: a fresh kernel per point);
4. ``mlops-jupyter sweep --jobs 2`` (kernels forked from a template that ran the imports).

The cell work of each point is what papermill timed around each of its cells (the execute
request to the reply, ``metadata.papermill.duration``); a point's overhead is its wall share
(wall x 2 jobs / points) minus that work, and for our sweeps also its run's duration minus
its wait for a kernel minus its own work. Appends (with --write) a section to the markdown file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
CHECKOUT = Path(__file__).resolve().parents[1]
NOTEBOOK = CHECKOUT / "example-notebooks" / "train_classifier.ipynb"
HEADING = "### Sweep: 8 points of train_classifier.ipynb (pre-imported kernels)"


def _env(store: Path) -> dict[str, str]:
    env = dict(os.environ, MLOPS_JUPYTER_STORE=str(store))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT), env.get("PYTHONPATH")]))
    return env


def cell_work(folder: Path) -> dict[int, float]:
    """Seconds of cell execution (papermill's timing) by point, from the executed notebooks in
    `folder` (every way names them ``<name>-<point>.ipynb``)."""
    work = {}
    for file in folder.glob("*.ipynb"):
        nb = json.loads(file.read_text(encoding="utf-8"))
        work[int(file.stem.rsplit("-", 1)[1])] = sum(
            (c.get("metadata", {}).get("papermill", {}).get("duration") or 0.0)
            for c in nb["cells"]
            if c["cell_type"] == "code"
        )
    return work


def cell_medians(folder: Path) -> list[float]:
    """Median seconds of each code cell over the executed notebooks in `folder`."""
    per_cell: list[list[float]] = []
    for file in sorted(folder.glob("*.ipynb")):
        nb = json.loads(file.read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        for i, cell in enumerate(code):
            if len(per_cell) <= i:
                per_cell.append([])
            per_cell[i].append(cell.get("metadata", {}).get("papermill", {}).get("duration") or 0.0)
    return [statistics.median(d) for d in per_cell]


def load() -> str:
    """The 1-minute load average (the machine is shared: said next to every figure)."""
    return f"{os.getloadavg()[0]:.1f}"


def papermill_loop(out: Path, store: Path, points: int) -> float:
    start = time.perf_counter()
    for i in range(points):
        command = [str(BIN / "papermill"), "-p", "seed", str(i), "--no-progress-bar"]
        subprocess.run(
            [*command, str(NOTEBOOK), str(out / f"loop-{i}.ipynb"), "--cwd", str(out)],
            check=True,
            capture_output=True,
            env=_env(store),
        )
    return time.perf_counter() - start


def _pool_point(args: tuple[str, str, int, str]) -> None:
    import papermill

    nb, out, i, cwd = args
    papermill.execute_notebook(nb, out, parameters={"seed": i}, progress_bar=False, cwd=cwd)


def papermill_pool(out: Path, store: Path, points: int) -> float:
    os.environ.update(_env(store))
    start = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        todo = [(str(NOTEBOOK), str(out / f"pool-{i}.ipynb"), i, str(out)) for i in range(points)]
        list(pool.map(_pool_point, todo))
    return time.perf_counter() - start


def ours(out: Path, store: Path, points: int, name: str, *extra: str) -> float:
    grid = "seed=" + ",".join(str(i) for i in range(points))
    start = time.perf_counter()
    command = [sys.executable, "-m", "mlops_jupyter.cli", "sweep", str(NOTEBOOK), "--grid", grid]
    subprocess.run(
        [
            *command,
            "--jobs",
            "2",
            "--name",
            name,
            "--output-dir",
            str(out),
            "--cwd",
            str(out),
            *extra,
        ],
        check=True,
        capture_output=True,
        env=_env(store),
    )
    return time.perf_counter() - start


def recorded(store: Path, name: str, points: int, work: dict[int, float]) -> dict[str, Any]:
    """Kernel waits and in-run overhead of a sweep's points, from its child runs and their
    cell `work` (`cell_work`): each point's run duration minus its kernel wait minus its own
    cell work, then the median over the points."""
    sys.path.insert(0, str(CHECKOUT))
    from mlops_jupyter.store import RunStore

    runs = RunStore(str(store))
    (sweep,) = runs.search_runs(filter=f"name == '{name}'")
    children = runs.search_runs(parent_run_id=sweep.run_id, order_by="start_time")
    assert sum(c.status == "finished" for c in children) == points, "a point did not finish"
    waits = sorted(float(c.tags["mlops.kernel_wait_seconds"]) for c in children)
    overheads = [
        float(c.duration or 0)
        - float(c.tags["mlops.kernel_wait_seconds"])
        - work[int(c.tags["mlops.sweep.point"])]
        for c in children
    ]
    return {
        "waits": [float(c.tags["mlops.kernel_wait_seconds"]) for c in children],
        "wait_median": statistics.median(waits),
        "wait_max": waits[-1],
        "overhead": statistics.median(overheads),
        "kernels": sweep.tags.get("mlops.sweep.kernels", ""),
    }


def _row(label: str, wall: float, loop: float, points: int, work: dict[int, float]) -> str:
    share = wall * 2 / points if "loop" not in label else wall / points
    median = statistics.median(work.values())
    overhead = share - median
    return (
        f"| {label} | {wall:.2f} | {wall / points * 1000:.0f} | {median:.2f} "
        f"| {overhead * 1000:.0f} | {loop / wall:.1f}x |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=8)
    parser.add_argument("--write", help="also append the section to this markdown file")
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="runs of the pre-imported sweep (its median is the figure: one run varies ~5 %%)",
    )
    args = parser.parse_args()
    n = args.points
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        root = Path(tmp)
        dirs = {k: root / k for k in ("loop", "pool", "fresh", "forked")}
        for folder in dirs.values():
            folder.mkdir()
        store = root / "store" / "runs.db"
        loads = {"loop": load()}
        walls = {"loop": papermill_loop(dirs["loop"], store, n)}
        loads["pool"] = load()
        walls["pool"] = papermill_pool(dirs["pool"], store, n)
        loads["fresh"] = load()
        walls["fresh"] = ours(dirs["fresh"], store, n, "fresh", "--no-preimport")
        loads["forked"] = load()
        repeats = []  # (wall, name, folder) of each pre-imported sweep
        for i in range(max(1, args.repeat)):
            folder = dirs["forked"] if i == 0 else root / f"forked-{i}"
            folder.mkdir(exist_ok=True)
            name = "forked" if i == 0 else f"forked-{i}"
            repeats.append((ours(folder, store, n, name), name, folder))
        median_wall, median_name, median_folder = sorted(repeats)[len(repeats) // 2]
        dirs["forked"], walls["forked"] = median_folder, median_wall
        forked_walls = [w for w, _, _ in repeats]
        print(walls, loads, forked_walls, file=sys.stderr)
        work = {k: cell_work(v) for k, v in dirs.items()}
        cells = {k: cell_medians(v) for k, v in dirs.items()}
        rec = {
            "fresh": recorded(store, "fresh", n, work["fresh"]),
            "forked": recorded(store, median_name, n, work["forked"]),
        }
    loop = walls["loop"]
    in_run = {k: rec[k]["overhead"] * 1000 for k in rec}
    lines = [
        HEADING,
        "",
        f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}; one "
        f"`python bench/bench_sweep_imports.py` run, {n} points (`seed=0..{n - 1}`), 2 jobs for "
        f"all but the loop; the pre-imported sweep ran {len(forked_walls)} times "
        f"({', '.join(f'{w:.2f}' for w in forked_walls)} s) and its median run is shown. "
        f"Cell work = the sum of papermill's per-cell durations (each cell timed from its "
        f"execute request to the reply; median per point); overhead = the point's share of "
        f"the wall time (wall x 2 / points; the loop: wall / points) minus its cell work; "
        f"in-run overhead = each point's run duration minus its kernel wait minus its own "
        f"cell work (median over the points).",
        "",
        "| way | wall (s) | wall per point (ms) | cell work (s) | overhead per point (ms) "
        "| speed-up vs papermill loop | load before |",
        "|---|---:|---:|---:|---:|---:|---:|",
        _row("sequential `papermill` CLI loop", loop, loop, n, work["loop"])
        + f" {loads['loop']} |",
        _row("papermill API, ProcessPoolExecutor(2)", walls["pool"], loop, n, work["pool"])
        + f" {loads['pool']} |",
        _row(
            "`sweep --jobs 2 --no-preimport` (fresh kernels)",
            walls["fresh"],
            loop,
            n,
            work["fresh"],
        )
        + f" {loads['fresh']} |",
        _row("`sweep --jobs 2` (pre-imported kernels)", walls["forked"], loop, n, work["forked"])
        + f" {loads['forked']} |",
        "",
        "Cell work per code cell (median seconds, papermill's timing; cells: parameters, imports, "
        "load data, scale, `%%track` train + figure + table, `%runs`):",
        "",
        "| way | " + " | ".join(f"cell {i + 1}" for i in range(len(cells["loop"]))) + " |",
        "|---|" + "---:|" * len(cells["loop"]),
        *(
            f"| {label} | " + " | ".join(f"{d:.3f}" for d in cells[key]) + " |"
            for key, label in (
                ("loop", "papermill loop (fresh kernel)"),
                ("fresh", "sweep, fresh kernels"),
                ("forked", "sweep, pre-imported kernels"),
            )
        ),
        "",
        "| our sweep | kernel wait median / max (ms) | run duration - wait - cell work (ms) |",
        "|---|---:|---:|",
    ]
    for key, label in (("fresh", "fresh kernels"), ("forked", "pre-imported kernels")):
        lines.append(
            f"| {label} | {rec[key]['wait_median'] * 1000:.0f} / {rec[key]['wait_max'] * 1000:.0f}"
            f" | {in_run[key]:.0f} |"
        )
    for key, label in (("fresh", "fresh kernels"), ("forked", "pre-imported kernels")):
        waits = ", ".join(f"{w * 1000:.0f}" for w in rec[key]["waits"])
        lines.append(f"\nKernel wait per point, {label} (ms, in run order): {waits}.")
    ratio = loop / walls["forked"]
    lines += [
        "",
        f'Sweep log of the pre-imported run: "{rec["forked"]["kernels"]}".',
        "",
        f"Targets: >= 10x the papermill loop: **{ratio:.1f}x** "
        f"({'met' if ratio >= 10 else 'NOT met'}); pre-imported vs fresh kernels: "
        f"**{walls['fresh'] / walls['forked']:.2f}x**; overhead beyond the cell work <= 100 ms "
        f"per point inside the run: **{in_run['forked']:.0f} ms** "
        f"({'met' if in_run['forked'] <= 100 else 'NOT met'}).",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        sys.path.insert(0, str(Path(__file__).parent))
        from common import write_section

        write_section(args.write, HEADING, text)


if __name__ == "__main__":
    main()
