"""Bench the panel's browser figures of two checkouts in one run: the same 100,000-run store
served by an anchor checkout's server and labextension (e.g. main) and by this one, measured in
alternation, so both see the same machine load.

Usage: python bench/bench_panel_ab.py --anchor /path/to/main [--reps 5] [--out FILE.md]
Needs: what bench_panel.py needs, and a built labextension in both checkouts (the anchor's
store schema must read this one's store).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_panel as bp

MEASURES = {
    "paint": "open panel -> first rows painted",
    "filter": "a filter, Enter -> count shown",
    "expand": f"expand a {bp.SWEEP_POINTS}-point sweep -> its rows shown",
    "curves": "compare 50 runs -> 50 curves drawn",
    "parallel": "then parallel coordinates -> 50 lines drawn",
}


def start(tmp: Path, name: str, repo: Path, store_url: str) -> tuple[Any, str]:
    """A JupyterLab on `repo`'s server code and built labextension."""
    import mlops_jupyter

    folder = tmp / name
    folder.mkdir()
    real = (bp.REPO, mlops_jupyter.__file__)
    bp.REPO, mlops_jupyter.__file__ = repo, str(repo / "mlops_jupyter" / "__init__.py")
    try:  # start_lab takes both from these: the PYTHONPATH and the labextension it links
        return bp.start_lab(folder, store_url)
    finally:
        bp.REPO, mlops_jupyter.__file__ = real


def measure(labs: dict[str, tuple[Any, str]], reps: int, sweep_id: str) -> dict[str, Any]:
    """Each rep measures every lab once, in alternating order; the load seen is kept too."""
    res: dict[str, dict[str, list[float]]] = {name: {} for name in labs}
    loads = []
    for i in range(reps):
        order = list(labs.items()) if i % 2 == 0 else list(reversed(labs.items()))
        for name, (_proc, where) in order:
            base, token = where.split("|")
            out = bp.sweep_and_compare_times(base, token, sweep_id, 1)
            out["paint"] = bp.panel_paint_times(base, token, 1, 100_000)[0]
            for key, values in out.items():
                res[name].setdefault(key, []).extend(values)
            loads.append(os.getloadavg()[0])
    return {"res": res, "loads": loads}


def render(m: dict[str, Any], reps: int, anchor: Path) -> str:
    res = m["res"]
    med = {n: {k: statistics.median(v) for k, v in r.items()} for n, r in res.items()}
    rows = [
        f"| {label} | {med['anchor'][k]:.1f} | {med['this'][k]:.1f} | "
        f"{med['anchor'][k] / med['this'][k]:.2f}x |"
        for k, label in MEASURES.items()
    ]
    total = {n: med[n]["curves"] + med[n]["parallel"] for n in med}
    rows.append(
        f"| compare of 50 runs: curves + parallel coordinates | {total['anchor']:.1f} | "
        f"{total['this']:.1f} | {total['anchor'] / total['this']:.2f}x |"
    )
    return "\n".join(
        [
            f"Measured by `python bench/bench_panel_ab.py` on "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: the same 100,000-run store "
            f"served by {anchor} (anchor) and by this checkout, {reps} fresh pages each, in "
            f"alternation; medians in ms; load average (1 min) {min(m['loads']):.1f} to "
            f"{max(m['loads']):.1f} on {os.cpu_count()} CPUs. Ratio = anchor / this.",
            "",
            "| measure | anchor | this | ratio |",
            "|---|---:|---:|---:|",
            *rows,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anchor", required=True, type=Path)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-panel-ab-"))
    store_url = str(tmp / "store" / "runs.db")
    _fill_s, sweep_id = bp.fill_ours_bulk(store_url, bp.synthetic_runs(100_000))
    labs = {
        "anchor": start(tmp, "anchor", args.anchor.resolve(), store_url),
        "this": start(tmp, "this", bp.REPO, store_url),
    }
    try:
        measured = measure(labs, args.reps, sweep_id)
    finally:
        for proc, _where in labs.values():
            proc.terminate()
            proc.wait(10)
    text = render(measured, args.reps, args.anchor)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
