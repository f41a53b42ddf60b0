"""Benchmark: export a generated 1,000-cell notebook to a script with mlops-jupyter, nbconvert
and jupytext.

Each tool runs as a whole command (interpreter start-up included), repeated; the table shows the
median and best wall time and the ratio to the fastest tool. Run:
``python bench/bench_export.py [--cells 1000] [--repeat 7] [--markdown-out bench/EXPORT.md]``.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_CODE = [
    "import math\nimport json",
    "values_{i} = [math.sqrt(k) for k in range({i} % 50 + 5)]\ntotal_{i} = sum(values_{i})\n"
    "print(f'{{total_{i}:.3f}}')",
    'def transform_{i}(x, scale={i}):\n    """Scale and shift."""\n    if x > 10:\n'
    "        return x * scale\n    return x - scale",
    "data_{i} = {{'name': 'item_{i}', 'weights': [1, 2, 3], 'nested': {{'a': {i}}}}}\n"
    "encoded_{i} = json.dumps(data_{i})\nfor key, value in data_{i}.items():\n"
    "    print(key, value)",
    "class Model{i}:\n    def __init__(self, k):\n        self.k = k\n\n"
    "    def predict(self, rows):\n"
    "        return [r * self.k for r in rows]\n\nmodel_{i} = Model{i}({i})",
    "%matplotlib inline\nresult_{i} = transform_{j}({i})\nresult_{i} += 1",
    "!echo step {i}\ntext_{i} = '''multi\n  line {i}'''",
]


def make_notebook(cells: int) -> dict:
    """A notebook of ``cells`` cells: about 70% code of varied shapes, 30% markdown."""
    out = [
        {
            "cell_type": "code",
            "id": "params",
            "metadata": {"tags": ["parameters"]},
            "execution_count": 1,
            "outputs": [],
            "source": "n = 10  # size\nrate = 0.5  # rate",
        }
    ]
    last_transform = None
    for i in range(1, cells):
        if i % 10 in (3, 6, 9):
            out.append(
                {
                    "cell_type": "markdown",
                    "id": f"m{i}",
                    "metadata": {},
                    "source": f"## Section {i}\n\nSome *explanation* of step {i}, with `code`.",
                }
            )
            continue
        template = _CODE[i % len(_CODE)]
        if "transform_{j}" in template and last_transform is None:
            template = _CODE[1]
        if "def transform_" in template:
            last_transform = i
        tags = [f"step:s{i}"] if i % 50 == 1 else []
        out.append(
            {
                "cell_type": "code",
                "id": f"c{i}",
                "metadata": {"tags": tags},
                "execution_count": i + 1,
                "outputs": [],
                "source": template.format(i=i, j=last_transform),
            }
        )
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "cells": out,
        "metadata": {
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
            "language_info": {"name": "python"},
        },
    }


def ours() -> list[str]:
    """The `mlops-jupyter` command (the main CLI if present, else the converter's own)."""
    sys.path.insert(0, str(ROOT))
    try:
        import importlib.util

        main_cli = importlib.util.find_spec("mlops_jupyter.cli") is not None
    finally:
        sys.path.pop(0)
    if main_cli:
        return [
            sys.executable,
            "-c",
            "import sys; from mlops_jupyter.cli import main; sys.exit(main())",
        ]
    return [sys.executable, "-m", "mlops_jupyter.convert"]


def commands(nb: Path, workdir: Path) -> dict[str, list[str]]:
    """The three whole commands compared, all from the same environment."""
    bindir = Path(sys.executable).parent
    return {
        "mlops-jupyter export script": [
            *ours(),
            "export",
            "script",
            str(nb),
            "-o",
            str(workdir / "mlops.py"),
        ],
        "jupyter nbconvert --to script": [
            str(bindir / "jupyter"),
            "nbconvert",
            "--to",
            "script",
            str(nb),
            "--output-dir",
            str(workdir / "nbconvert"),
            "--log-level",
            "ERROR",
        ],
        "jupytext --to py:percent": [
            str(bindir / "jupytext"),
            "--quiet",
            "--to",
            "py:percent",
            str(nb),
            "-o",
            str(workdir / "jupytext.py"),
        ],
    }


def time_command(argv: list[str], repeat: int, env: dict[str, str]) -> list[float]:
    """Wall times of ``repeat`` runs after one warm-up run; raises if the command fails."""
    times = []
    for attempt in range(repeat + 1):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr}")
        if attempt:
            times.append(elapsed)
    return times


def table(results: dict[str, list[float]]) -> str:
    """A Markdown table: median, best, and median ratio to the fastest tool."""
    fastest = min(statistics.median(t) for t in results.values())
    rows = ["| command | median (s) | best (s) | vs fastest |", "|---|---:|---:|---:|"]
    for name, times in sorted(results.items(), key=lambda kv: statistics.median(kv[1])):
        median = statistics.median(times)
        rows.append(f"| `{name}` | {median:.3f} | {min(times):.3f} | {median / fastest:.2f}x |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Generate the notebook, time the three commands, print (and optionally save) the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--markdown-out", type=Path, help="also write the results as Markdown")
    args = parser.parse_args(argv)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        nb = workdir / "big.ipynb"
        nb.write_text(json.dumps(make_notebook(args.cells), indent=1), encoding="utf-8")
        size = nb.stat().st_size // 1024
        results = {
            name: time_command(argv, args.repeat, env)
            for name, argv in commands(nb, workdir).items()
        }
        lines = sum(1 for _ in (workdir / "mlops.py").open(encoding="utf-8"))
        compile((workdir / "mlops.py").read_text(encoding="utf-8"), "mlops.py", "exec")
    text = table(results)
    how = (
        "through the main CLI (mlops_jupyter.cli.main)"
        if "-c" in ours()
        else "as python -m mlops_jupyter.convert"
    )
    info = (
        f"{args.cells}-cell notebook ({size} KiB), "
        f"{args.repeat} runs each after a warm-up; Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs. The exported script has {lines} lines "
        f"and compiles. Our command ran {how}."
    )
    print(text)
    print(info)
    if args.markdown_out:
        args.markdown_out.write_text(
            "## Export a notebook to a script\n\n"
            "`python bench/bench_export.py` generates a 1,000-cell notebook (70% code of varied "
            "shapes: loops, functions, classes, dicts, multi-line strings, `%matplotlib` and "
            "`!cmd` magics; 30% markdown) and times each tool as a whole command, interpreter "
            "start-up included.\n\n" + text + "\n\n" + info + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
