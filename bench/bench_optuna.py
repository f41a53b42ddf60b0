"""Adaptive search: `sweep --optuna 24` (TPE) against a 64-point random sweep, and pruning.

    python bench/bench_optuna.py [--seeds 5] [--prune-seeds 3] [--write bench/SWEEP.md]

On the fixed benchmark notebook tests/support/notebooks/optuna_objective.ipynb (four
parameters: lr, momentum, width, dropout; a val_acc step metric per epoch), in this one run:

1. per seed, the best val_acc of ``--optuna 24 --sampler tpe`` and of ``--optuna 64 --sampler
   random`` (a random sweep of 64 points); the gap is (random - tpe) / random, and the issue's
   target is a median gap <= 0.5 % over the seeds;
2. per seed, ``--optuna 24`` with 12 epochs of 0.4 s each, with and without ``--prune
   median``: the wall time and the best value (its own section; ``--seeds 0`` runs only it).

Everything runs through `optuna_sweep` (the code behind the CLI) on real kernels, 2 jobs.
Appends (with --write) a section to the markdown file.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
NOTEBOOK = CHECKOUT / "tests" / "support" / "notebooks" / "optuna_objective.ipynb"
RANGES = ["lr=0.0001:1:log", "momentum=0:0.99", "width=8:256:log", "dropout=0:0.5"]
HEADING = "### Adaptive search: `--optuna 24` vs a 64-point random sweep"
PRUNE_HEADING = "### Pruning: `--optuna 24` with and without `--prune median`"


def search(
    store: str, trials: int, sampler: str, seed: int, **extra: object
) -> tuple[float, float]:
    """(best val_acc, wall seconds) of one adaptive sweep."""
    sys.path.insert(0, str(CHECKOUT))
    from mlops_jupyter.execution.optuna_sweep import optuna_sweep

    start = time.perf_counter()
    result = optuna_sweep(
        NOTEBOOK,
        trials,
        metric="val_acc",
        sampler=sampler,
        ranges=RANGES,
        seed=seed,
        jobs=2,
        store=store,
        name=f"{sampler}-{trials}-{seed}-{extra.get('prune')}",
        **extra,  # type: ignore[arg-type]
    )
    assert result.best is not None
    pruned = sum(p.status == "pruned" for p in result.points)
    return result.best.metrics["val_acc"], time.perf_counter() - start, pruned


def _tpe_section(rows: list[tuple], gaps: list[float]) -> list[str]:
    gap = statistics.median(gaps)
    return [
        HEADING,
        "",
        f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}; one "
        f"`python bench/bench_optuna.py` run on tests/support/notebooks/optuna_objective.ipynb "
        f"(4 parameters), 2 jobs, real kernels.",
        "",
        "| seed | TPE 24: best val_acc | wall (s) | random 64: best val_acc | wall (s) | gap |",
        "|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {s} | {t:.5f} | {tw:.1f} | {r:.5f} | {rw:.1f} | {g * 100:+.2f} % |"
            for s, t, tw, r, rw, g in rows
        ),
        "",
        f"Target: TPE 24 within 0.5 % of random 64 in the median of {len(gaps)} seeds: "
        f"**{gap * 100:+.2f} %** ({'met' if gap <= 0.005 else 'NOT met'}; negative: TPE found "
        "better).",
    ]


def _prune_section(prune_rows: list[tuple]) -> list[str]:
    saved = statistics.median(1 - r[4] / r[2] for r in prune_rows)
    best_gap = statistics.median((r[1] - r[3]) / r[1] for r in prune_rows)
    return [
        PRUNE_HEADING,
        "",
        f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}; one "
        "`python bench/bench_optuna.py --seeds 0` run. `--optuna 24` (TPE), 12 epochs of 0.4 s "
        "each (the step metric every epoch), 2 jobs, with and without `--prune median` "
        "(Optuna's MedianPruner defaults: 5 startup trials, no warm-up steps; kernels flush "
        "step metrics every 0.1 s, the controller checks every 0.1 s, a pruned trial frees its "
        "job at once). Load = the 1-minute load average before each pair.",
        "",
        "| seed | no pruning: best | wall (s) | `--prune median`: best | wall (s) | pruned "
        "| wall saved | load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {s} | {f:.5f} | {fw:.1f} | {c:.5f} | {cw:.1f} | {n} | {(1 - cw / fw) * 100:.0f} %"
            f" | {ld:.1f} |"
            for s, f, fw, c, cw, n, ld in prune_rows
        ),
        "",
        f"Target: pruning cuts wall time >= 30 %: **{saved * 100:.0f} %** "
        f"({'met' if saved >= 0.3 else 'NOT met'}) at a best value "
        f"{best_gap * 100:+.2f} % from the unpruned one (median of {len(prune_rows)} seeds; "
        f"{'same within 0.5 %' if abs(best_gap) <= 0.005 else 'NOT within 0.5 %'}).",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--prune-seeds", type=int, default=3)
    parser.add_argument("--write", help="also write the sections to this markdown file")
    args = parser.parse_args()
    if args.write:
        args.write = os.path.abspath(args.write)  # the runs happen in a temporary folder
    rows, gaps, prune_rows = [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-optuna-") as tmp:
        os.chdir(tmp)
        store = str(Path(tmp) / ".mlops" / "runs.db")
        for seed in range(args.seeds):
            params = {"parameters": {"epochs": 3}}
            tpe, tpe_wall, _ = search(store, 24, "tpe", seed, **params)
            rnd, rnd_wall, _ = search(store, 64, "random", seed, **params)
            gaps.append((rnd - tpe) / rnd)
            rows.append((seed, tpe, tpe_wall, rnd, rnd_wall, gaps[-1]))
            print(rows[-1], file=sys.stderr)
        for seed in range(args.prune_seeds):
            slow = {"parameters": {"epochs": 12, "pause": 0.4}}
            load = os.getloadavg()[0]
            full, full_wall, _ = search(store, 24, "tpe", 100 + seed, **slow)
            cut, cut_wall, pruned = search(store, 24, "tpe", 100 + seed, prune="median", **slow)
            prune_rows.append((100 + seed, full, full_wall, cut, cut_wall, pruned, load))
            print(prune_rows[-1], file=sys.stderr)
    sections = []
    if rows:
        sections.append((HEADING, "\n".join(_tpe_section(rows, gaps))))
    if prune_rows:
        sections.append((PRUNE_HEADING, "\n".join(_prune_section(prune_rows))))
    for heading, text in sections:
        print(text + "\n")
        if args.write:
            sys.path.insert(0, str(Path(__file__).parent))
            from common import write_section

            write_section(args.write, heading, text)


if __name__ == "__main__":
    main()
