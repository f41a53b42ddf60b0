"""Benchmark: the converted package's step cache, `dvc repro` and Airflow's `dag.test()` on the
converter corpus, in one run.

1. The corpus's slowest notebook (the longest `python -m PACKAGE`): its second run with
   `--cache DIR` against its second run without (goal: >= 90 % less time).
2. `dvc repro` in a fresh git + DVC repository against `python -m PACKAGE` on the same export.
3. `dag.test()` of the Airflow export (Airflow 3 in the virtualenv of scripts/setup-airflow).

Every figure is the wall time of a whole command (interpreter start-up included), the median
of ``--repeat`` runs (``dag.test()`` once). Run:
``python bench/bench_pipelines.py [--repeat 5] [--write bench/PIPELINES.md]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlops_jupyter.convert import convert_notebook  # noqa: E402
from mlops_jupyter.convert.export_airflow import export_airflow  # noqa: E402
from mlops_jupyter.convert.export_dvc import export_dvc  # noqa: E402
from tests.support.corpus import CORPUS_DIR  # noqa: E402
from tests.support.pipelines import CONVERTING, airflow_venv, tool_env  # noqa: E402


def _wall(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds


def _median(args: list[str], cwd: Path, env: dict[str, str], repeat: int) -> float:
    return statistics.median(_wall(args, cwd, env) for _ in range(repeat))


def slowest_notebook(work: Path) -> tuple[str, dict[str, float]]:
    """Convert every corpus notebook that exports and time one `python -m PACKAGE` each."""
    times = {}
    for name in CONVERTING:
        folder = work / "convert" / name
        folder.mkdir(parents=True)
        notebook = folder / f"{name}.ipynb"
        shutil.copy(CORPUS_DIR / f"{name}.ipynb", notebook)
        convert_notebook(notebook, folder / f"pkg_{name}", verify=False)
        env = tool_env(folder)
        times[name] = _wall([sys.executable, "-m", f"pkg_{name}"], folder, env)
    return max(times, key=times.__getitem__), times


def measure(work: Path, name: str, repeat: int) -> dict[str, float]:
    """The cache, dvc repro and dag.test() figures for one notebook."""
    notebook = work / "nb" / f"{name}.ipynb"
    notebook.parent.mkdir()
    shutil.copy(CORPUS_DIR / f"{name}.ipynb", notebook)
    repo = work / "repo"
    repo.mkdir()
    env = tool_env(repo)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, env=env)
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=repo, check=True, env=env)
    pkg = export_dvc(notebook, repo).package
    run = [sys.executable, "-m", pkg]
    figures = {}
    figures["plain"] = _median(run, repo, env, repeat)
    cache = str(work / "cache")
    _wall([*run, "--cache", cache], repo, env)  # the first run fills the cache
    figures["cached"] = _median([*run, "--cache", cache], repo, env, repeat)
    repros = []
    for _ in range(repeat):
        shutil.rmtree(repo / "data", ignore_errors=True)
        (repo / "dvc.lock").unlink(missing_ok=True)
        repros.append(_wall([sys.executable, "-m", "dvc", "repro", "-q"], repo, env))
    figures["dvc repro"] = statistics.median(repros)
    figures["dvc repro, nothing changed"] = _median(
        [sys.executable, "-m", "dvc", "repro", "-q"], repo, env, repeat
    )
    dags = work / "dags"
    export = export_airflow(notebook, dags, verify=False)
    venv = airflow_venv()
    home = work / "airflow-home"
    shutil.copytree(venv / "airflow-home", home)
    airflow_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    airflow_env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
    )
    airflow_env[f"{export.package.upper()}_PYTHON"] = sys.executable
    figures["dag.test()"] = _wall(
        [str(venv / "bin" / "python"), f"{export.package}_dag.py"], dags, airflow_env
    )
    figures["steps"] = len(export.stages)
    return figures


def report(name: str, times: dict[str, float], f: dict[str, float], repeat: int) -> str:
    """The Markdown of bench/PIPELINES.md."""
    saved = 1 - f["cached"] / f["plain"]
    verdict = "met" if saved >= 0.9 else "not met"
    corpus = ", ".join(f"{n} {s:.2f} s" for n, s in sorted(times.items(), key=lambda i: -i[1]))
    labels = {
        "plain": "second run, `python -m PACKAGE` (no cache)",
        "cached": "second run, `python -m PACKAGE --cache DIR`",
        "dvc repro": "`dvc repro` (fresh: every stage runs)",
        "dvc repro, nothing changed": "`dvc repro`, nothing changed",
        "dag.test()": "`dag.test()` of the Airflow export (Airflow 3)",
    }
    rows = "\n".join(
        f"| {label} | {f[key]:.3f} | {f[key] / f['plain']:.2f}x |" for key, label in labels.items()
    )
    return f"""# Pipelines: the step cache, `dvc repro` and `dag.test()`

{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}; one
`python bench/bench_pipelines.py --repeat {repeat}` run. Wall time of whole commands
(interpreter start-up included), medians of {repeat} runs (`dag.test()`: one run). The machine
is shared: compare ratios, not seconds.

Slowest corpus notebook (one `python -m PACKAGE` each): **{name}** ({corpus}).

| measure on `{name}` ({int(f["steps"])} steps) | wall (s) | against `python -m PACKAGE` |
|---|---:|---:|
{rows}

Goal: the cached second run takes >= 90 % less time than the uncached one: **{saved:.0%}
less** ({verdict}). A fully cached run parses `steps.py` for the source hashes but neither
imports it (nor the notebook's libraries) nor unpickles any output, so what is left is the
interpreter's start-up and reading the manifests. `dvc repro` starts one interpreter per stage
(each importing the notebook's libraries, and one more for the `step-code` stage, which only
parses `steps.py` for the per-step code hashes) plus DVC's own hashing, hence its multiple of the
one-process run; `dag.test()` adds Airflow's start-up, its metadata database and a task
runner per task.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", help="write the Markdown report to this file")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-pipelines-"))
    try:
        name, times = slowest_notebook(work)
        figures = measure(work, name, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = report(name, times, figures, args.repeat)
    print(text)
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
