"""`convert` end to end (capture + generated tests) on the example notebooks against soorgeon's
`refactor` on the same notebooks, in the same run (issue 18's "Must measure").

Usage: python bench/bench_export_soorgeon.py [--soorgeon PATH] [--repeat N]

``--soorgeon`` is the soorgeon command (default: ``soorgeon`` on PATH; the bench extra installs
it). soorgeon splits at H2 headings only: on a notebook without them its ``refactor`` stops, and
the bench then times ``refactor --single-task`` (one task, as soorgeon offers).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "example-notebooks").glob("*.ipynb"))


def _time(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done.returncode, (done.stdout + done.stderr)[-300:]


def measure(soorgeon: str, repeat: int) -> list[dict]:
    import os

    rows = []
    for notebook in EXAMPLES:
        ours, theirs, row = [], [], {"notebook": notebook.name}
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as tmp:
                work = Path(tmp)
                shutil.copy(notebook, work / notebook.name)
                env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
                env["MLOPS_JUPYTER_STORE"] = str(work / "user.db")
                command = [sys.executable, "-m", "mlops_jupyter.cli", "convert", notebook.name]
                seconds, code, tail = _time([*command, "-o", "pkg"], work, env)
                ours.append(seconds)
                row["convert"] = "tests pass" if code == 0 else f"failed: {tail}"
                row["steps"] = tail.split("steps: ")[-1].split(")")[0] if code == 0 else ""
                env["PLOOMBER_STATS_ENABLED"] = "false"  # no telemetry
                seconds, code, tail = _time([soorgeon, "refactor", notebook.name], work, env)
                row["soorgeon"] = "refactored" if code == 0 else "refused (needs H2 headings)"
                if code != 0:
                    seconds, code, tail = _time(
                        [soorgeon, "refactor", "--single-task", notebook.name], work, env
                    )
                    row["soorgeon"] += "; --single-task " + ("ok" if code == 0 else "failed")
                theirs.append(seconds)
                tasks = work / "tasks"
                row["soorgeon_tasks"] = len(list(tasks.glob("*"))) if tasks.exists() else 0
        row["convert_s"], row["soorgeon_s"] = statistics.median(ours), statistics.median(theirs)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--soorgeon", default="soorgeon")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    for row in measure(args.soorgeon, args.repeat):
        print(
            f"| `{row['notebook']}` | {row['convert_s']:.1f} | {row['convert']} "
            f"({row['steps']}) | {row['soorgeon_s']:.1f} | {row['soorgeon']} "
            f"({row['soorgeon_tasks']} tasks) | {row['convert_s'] / row['soorgeon_s']:.1f}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
