"""How a sweep is shown: its result (one row per point, the end-of-sweep table) and the
per-point progress line or bar."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from mlops_jupyter.execution.sweep_point import PointResult
from mlops_jupyter.formatting import fmt_duration, table


@dataclass
class SweepResult:
    """A finished sweep: its parent run and one result per point (in point order)."""

    sweep_run_id: str
    points: list[PointResult]
    skipped: int = 0  # points already finished before a resume
    best: PointResult | None = None  # an adaptive sweep's best trial

    @property
    def failed(self) -> list[PointResult]:
        """Points whose last attempt did not finish."""
        return [p for p in self.points if p.status != "finished"]

    def summary(self) -> str:
        """The end-of-sweep table: one row per point, swept values and metrics."""
        names = list(dict.fromkeys(k for p in self.points for k in p.values))
        metrics = list(dict.fromkeys(k for p in self.points for k in p.metrics))[:6]
        rows = [
            [
                p.index,
                p.status,
                p.attempts,
                *[p.values.get(n) for n in names],
                *[p.metrics.get(m) for m in metrics],
                fmt_duration(p.seconds),
                (p.run_id or "-")[:8],
                (p.error or "")[:60],
            ]
            for p in self.points
        ]
        done = len(self.points) - len(self.failed)
        head = f"sweep {self.sweep_run_id[:8]}: {done}/{len(self.points)} points finished" + (
            f" ({self.skipped} already done before resume)" if self.skipped else ""
        )
        return (
            head
            + "\n"
            + table(
                ["#", "status", "tries", *names, *metrics, "time", "run", "error"],
                rows,
                max_width=60,
            )
        )


def progress_printer(total: int) -> Callable[[PointResult], None]:
    """A callback printing one line per finished point to stderr (a tqdm bar on a terminal)."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total, unit="point", file=sys.stderr)

        def update(result: PointResult) -> None:
            bar.update(1)
            if result.status != "finished":
                bar.write(f"point {result.index} {result.status}: {result.error}")
            if bar.n >= total:
                bar.close()

        return update

    def line(result: PointResult) -> None:
        print(f"point {result.index} {result.status} ({result.seconds:.1f}s)", file=sys.stderr)

    return line
