"""Overhead of %%track on a notebook cell, against MLflow's `with mlflow.start_run():`.

    python bench/bench_track.py [--repeat 30]

Runs inside real IPython kernels: each variant of a cell is executed with the kernel's own
run_cell machinery and timed there; overhead = median(variant) - median(plain cell). The
dataflow row saves a notebook, builds a 200-execution history, then times a tracked cell whose
hidden-state verdict reads that history and the file (issue 11). It is measured three ways: in
the default kernel; in one whose IPython history file is in memory (IPython's history thread
otherwise commits each input with an fsync that the next cell may wait for); and with each cell
sent from a client as JupyterLab sends it (see TRACK.md).
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
    for src, _n in [*cells.values(), *{dataflow!r}.values()]:
        ip.run_cell(src)  # warm up: imports, first store open, first MLflow run
    times = {{k: median_time(src, n) for k, (src, n) in cells.items()}}
    # the dataflow verdict: the saved notebook on disk and a 200-execution history first
    os.environ["MLOPS_JUPYTER_NOTEBOOK"] = "{notebook}"
    for i in range(200):
        assert ip.run_cell({history!r}[i % len({history!r})], store_history=True).success
    ip.run_cell({tracked!r})
    times.update({{k: median_time(src, n) for k, (src, n) in {dataflow!r}.items()}})
    last = mj.runs(limit=1).iloc[0]
    times["history_length"] = len(ip.history_manager.input_hist_raw) - 1
    times["hidden_state"] = str(last.get("tags.mlops.hidden_state", ""))
    # the whole history is recorded (in shared blocks: store/doc_blocks.py)
    times["history_recorded"] = len(mj.get_run(last.run_id).provenance["cell"]["history"])
    print(json.dumps(times))
""")

# 50 cells bound in a loop of 4: the tracked cell reads values that 200 executions made
HISTORY = [f"v{i} = {i} * 2" for i in range(50)]
TRACKED = "%%track --no-capture\nacc = (v3 + v49) / 100\nloss = 1 / (1 + v7)"


def dataflow_cells(repeat: int) -> dict[str, tuple[str, int]]:
    body = TRACKED.split("\n", 1)[1]
    return {
        "track_dataflow": (TRACKED, repeat),
        "plain_dataflow": (body, repeat),
        "mlflow_dataflow": (
            "with mlflow.start_run():\n    " + body.replace("\n", "\n    "),
            max(3, repeat // 10),
        ),
    }


def verdict_alone(repeat: int) -> float:
    """Median seconds of the dataflow verdict by itself: 200 executions, the saved cells."""
    import statistics
    import time

    from mlops_jupyter.notebook.dataflow import Executed, NotebookCell, judge

    cells = [NotebookCell(i, None, s) for i, s in enumerate([*HISTORY, TRACKED])]
    history = [Executed(n + 1, None, HISTORY[n % len(HISTORY)]) for n in range(200)]
    history.append(Executed(201, None, TRACKED))
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        assert judge(history, cells).flag is False
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _notebook(folder: str) -> str:
    """The saved notebook the dataflow verdict reads: the history cells, then the tracked one."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in [*HISTORY, TRACKED]]
    path = f"{folder}/bench.ipynb"
    nbformat.write(nb, path)
    return path


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


def _measure(repeat: int, plain_cells: dict[str, tuple[str, int]], kernel_args: list[str]) -> dict:
    """Run the measuring code in one new kernel (started with `kernel_args`); its timings."""
    import os

    from jupyter_client.manager import start_new_kernel

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MLOPS_JUPYTER_STORE"] = f"{tmp}/runs.db"
        km, kc = start_new_kernel(kernel_name="python3", extra_arguments=kernel_args)
        try:
            out: list[str] = []
            kc.execute_interactive(
                _MEASURE.format(
                    root=tmp,
                    cells=plain_cells,
                    notebook=_notebook(tmp),
                    history=HISTORY,
                    tracked=TRACKED,
                    dataflow=dataflow_cells(repeat),
                ),
                timeout=1800,
                output_hook=lambda m: out.append(
                    m["content"].get("text", "") if m["msg_type"] == "stream" else ""
                ),
            )
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    return json.loads("".join(out).strip().splitlines()[-1])


_CLIENT_SETUP = textwrap.dedent("""
    import os, logging, warnings
    warnings.filterwarnings("ignore")
    os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"] = "false"
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    import mlflow
    mlflow.set_tracking_uri("sqlite:///{root}/mlflow.db")
    mlflow.set_experiment("bench")
    ip = get_ipython()
    ip.run_line_magic("load_ext", "mlops_jupyter")
    os.environ["MLOPS_JUPYTER_NOTEBOOK"] = "{notebook}"
    for i in range(200):
        assert ip.run_cell({history!r}[i % len({history!r})], store_history=True).success
""")


def _measure_client(repeat: int) -> dict[str, float]:
    """The dataflow cells sent one by one from a client, as JupyterLab sends them (an
    execute_request, timed until the kernel is idle again), after the 200-execution history;
    the variants take turns, so that load on the machine falls on all of them alike."""
    import os
    import statistics
    import time

    from jupyter_client.manager import start_new_kernel

    variants = dataflow_cells(repeat)
    samples: dict[str, list[float]] = {k: [] for k in variants}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MLOPS_JUPYTER_STORE"] = f"{tmp}/runs.db"
        km, kc = start_new_kernel(kernel_name="python3")
        try:
            setup = _CLIENT_SETUP.format(root=tmp, notebook=_notebook(tmp), history=HISTORY)
            kc.execute_interactive(setup, timeout=600, output_hook=lambda m: None)
            for src, _n in variants.values():  # warm up
                kc.execute_interactive(src, timeout=600, output_hook=lambda m: None)
            for turn in range(repeat):
                for key, (src, n) in variants.items():
                    if turn >= n:
                        continue
                    start = time.perf_counter()
                    reply = kc.execute_interactive(src, timeout=600, output_hook=lambda m: None)
                    samples[key].append(time.perf_counter() - start)
                    assert reply["content"]["status"] == "ok", reply["content"]
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    return {f"{k}_client": statistics.median(v) for k, v in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--write", help="also write the markdown table to this file")
    args = parser.parse_args()
    times = _measure(args.repeat, cells(args.repeat), [])
    # the same dataflow cells in a kernel whose IPython history file is in memory: see TRACK.md
    quiet = _measure(args.repeat, {}, ["--HistoryManager.hist_file=:memory:"])
    for key in ("track_dataflow", "plain_dataflow", "mlflow_dataflow"):
        times[f"{key}_memhist"] = quiet[key]
    hidden_quiet = quiet["hidden_state"]
    times.update(_measure_client(args.repeat))
    assert times.pop("history_recorded") > 200, "the run's history was not recorded whole"
    length, hidden = times.pop("history_length"), times.pop("hidden_state")
    ms = {k: v * 1e3 for k, v in times.items()}
    ms["verdict_alone"] = verdict_alone(args.repeat) * 1e3
    table = print_table(
        "%%track overhead per cell execution (median, real kernels)",
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
                f"cell after a {length}-execution history, dataflow verdict: added time",
                "ms",
                ms["track_dataflow"] - ms["plain_dataflow"],
                ms["mlflow_dataflow"] - ms["plain_dataflow"],
                "< 5 ms",
                True,
            ),
            (
                "the same, IPython's own history file in memory (see below)",
                "ms",
                ms["track_dataflow_memhist"] - ms["plain_dataflow_memhist"],
                ms["mlflow_dataflow_memhist"] - ms["plain_dataflow_memhist"],
                "< 5 ms",
                True,
            ),
            (
                "the same, each cell sent by a client as JupyterLab does (execute_request)",
                "ms",
                ms["track_dataflow_client"] - ms["plain_dataflow_client"],
                ms["mlflow_dataflow_client"] - ms["plain_dataflow_client"],
                "< 5 ms",
                True,
            ),
            (
                "the dataflow verdict alone (200 executions, 51 saved cells)",
                "ms",
                ms["verdict_alone"],
                ms["mlflow_trivial"] - ms["plain_trivial"],
                "a small share of the above",
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
    raw += f"; the dataflow cell's verdict: {'hidden state' if hidden else 'no hidden state'}"
    raw += f" ({'hidden state' if hidden_quiet else 'no hidden state'} in the second kernel)"
    print(raw)
    if args.write:
        Path(args.write).write_text(
            f"{table}\n\nOne `python bench/bench_track.py --repeat {args.repeat}` run in "
            "three real IPython kernels (the rows below say which); "
            f"overhead = median(variant) - median(plain cell). {raw}.\n"
        )


if __name__ == "__main__":
    main()
