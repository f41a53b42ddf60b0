"""Helpers shared by the benchmarks: timing, quiet MLflow, and the results table."""

from __future__ import annotations

import logging
import os
import statistics
import time
import warnings
from collections.abc import Callable


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    """Median wall seconds of `repeat` calls of fn."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def quiet_mlflow(tracking_uri: str):
    """Import MLflow pointed at `tracking_uri`, with its logging and warnings silenced."""
    os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    warnings.filterwarnings("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    return mlflow


def print_table(
    title: str, rows: list[tuple[str, str, float, float, str, bool]], other: str
) -> str:
    """rows: (what, unit, ours, theirs, target text, lower_is_better). Returns the markdown."""
    lines = [
        f"### {title}",
        "",
        f"| measure | unit | mlops-jupyter | {other} | ratio | target |",
        "|---|---|---:|---:|---:|---|",
    ]
    for what, unit, ours, theirs, target, lower in rows:
        ratio = theirs / ours if lower else ours / theirs
        lines.append(
            f"| {what} | {unit} | {ours:,.4g} | {theirs:,.4g} | {ratio:,.1f}x | {target} |"
        )
    text = "\n".join(lines)
    print(text)
    print()
    return text


def write_section(path: str, heading: str, text: str) -> None:
    """Replace the ``### heading`` section of a markdown file with `text` (or append it),
    keeping every other section."""
    from pathlib import Path

    file = Path(path)
    old = file.read_text(encoding="utf-8") if file.exists() else ""
    if heading in old:
        before, rest = old.split(heading, 1)
        after = rest.split("\n### ", 1)
        tail = "\n### " + after[1] if len(after) > 1 else ""
        new = before + text + "\n" + tail
    else:
        new = (old.rstrip() + "\n\n" if old.strip() else "") + text + "\n"
    file.write_text(new, encoding="utf-8")
