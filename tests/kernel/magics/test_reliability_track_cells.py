"""%%track never changes what the user's cell does: async cells, magic lines, odd cells (issue 9).

Real kernels (nbclient); each test runs many cells in one kernel session to stay cheap.
"""

from __future__ import annotations

import asyncio
import threading

from mlops_jupyter.store import RunStore
from tests.kernel.conftest import make_notebook

LOAD = "%load_ext mlops_jupyter\nimport asyncio\nimport mlops_jupyter as mj"


def _runs(store: RunStore) -> dict:
    """Every run by name, read back in full."""
    return {r.name: store.get_run(r.run_id) for r in store.search_runs()}


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs)


def _error(cell) -> dict:
    errors = [o for o in cell.outputs if o["output_type"] == "error"]
    assert errors, cell.outputs
    return errors[0]


def _result(cell) -> str:
    results = [o for o in cell.outputs if o["output_type"] == "execute_result"]
    assert len(results) == 1, cell.outputs
    return results[0]["data"]["text/plain"]


ASYNC_BLOCKS = """%%track --name blocks
import contextlib
async def numbers():
    for i in range(3):
        await asyncio.sleep(0)
        yield i
@contextlib.asynccontextmanager
async def opened():
    yield 10
total = 0
async for n in numbers():
    total += n
async with opened() as base:
    score = base + total
print('score', score)
"""


def test_top_level_await_runs_as_without_tracking(run_cells, store) -> None:
    """D11: top-level await, async for/with, awaiting a task of the kernel's own loop."""
    nb = run_cells(
        [
            LOAD,
            "%%track --name awaited\nx = await asyncio.sleep(0.01, result=3)\ny = x + 1\n"
            "print('y is', y)",
            ASYNC_BLOCKS,
            "pending = asyncio.ensure_future(asyncio.sleep(0.01, result=5))",
            "%%track --name loop_task\nv = await pending",
            "%%track --name shown\nawait asyncio.sleep(0, result=41) + 1",
            "%%track --name late_error\nawait asyncio.sleep(0)\nraise ValueError('after await')",
            "print(y, score, v, Out[6])",
            "%%track --nope\nlate = await asyncio.sleep(0, result=8)\nprint('late', late)",
            "%autoawait off",
            "%%track --name no_autoawait\nawait asyncio.sleep(0)",
            "await asyncio.sleep(0)",
        ],
        allow_errors=True,
    )
    assert "y is 4" in _text(nb.cells[1]) and "Error" not in str(nb.cells[1].outputs)
    assert _result(nb.cells[5]) == "42"  # the displayhook shows the last awaited value
    assert _error(nb.cells[6])["evalue"] == "after await"
    assert _text(nb.cells[7]) == "4 13 5 42\n"  # the values live in the user's namespace
    # bad options: the cell runs untracked, and still awaits
    assert "ran without tracking" in _text(nb.cells[8]) and "late 8" in _text(nb.cells[8])
    # with autoawait off, the tracked cell fails exactly as the untracked one does
    assert _error(nb.cells[10])["ename"] == _error(nb.cells[11])["ename"] == "SyntaxError"
    runs = _runs(store)
    assert runs["awaited"].status == "finished"
    assert runs["awaited"].metrics == {"x": 3.0, "y": 4.0}
    names = {a.name: a for a in runs["awaited"].artifacts}
    assert store.read_artifact(names["stdout.txt"].sha256) == b"y is 4\n"
    assert "score 13" in _text(nb.cells[2])
    assert runs["blocks"].metrics == {"total": 3.0}  # top-level assignments only, as in sync
    assert runs["loop_task"].metrics == {"v": 5.0}  # the kernel's running loop, not a new one
    assert runs["shown"].status == "finished"
    assert runs["late_error"].status == "failed" and "after await" in runs["late_error"].error
    assert runs["no_autoawait"].status == "failed"


def test_interrupting_an_awaiting_cell_kills_the_run(tmp_path, monkeypatch, store) -> None:
    """D11: a real kernel interrupt while a tracked cell awaits marks the run killed."""
    from nbclient import NotebookClient

    # many short sleeps: ipykernel only sees the interrupt when its loop wakes up
    sleeper = (
        "%%track --name sleeper\nmj.log_metric('m', 1)\n"
        "for i in range(300):\n    await asyncio.sleep(0.1)"
    )
    nb = make_notebook([LOAD, sleeper, "print('alive')"])
    monkeypatch.setenv("MLOPS_JUPYTER_NOTEBOOK", str(tmp_path / "nb.ipynb"))
    client = NotebookClient(
        nb,
        timeout=60,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    with client.setup_kernel():
        client.execute_cell(nb.cells[0], 0)
        timer = threading.Timer(2.0, lambda: asyncio.run(client.km.interrupt_kernel()))
        timer.start()
        try:
            client.execute_cell(nb.cells[1], 1)
        finally:
            timer.cancel()
        client.execute_cell(nb.cells[2], 2)
    assert _error(nb.cells[1])["ename"] in {"CancelledError", "KeyboardInterrupt"}
    assert _text(nb.cells[2]) == "alive\n"
    run = _runs(store)["sleeper"]
    assert run.status == "killed" and run.metrics == {"m": 1.0}


def test_magic_and_shell_lines_keep_params_and_metrics(run_cells, store) -> None:
    """D17: `%` and `!` lines inside a tracked cell no longer hide its Python lines."""
    cell = (
        "%%track --name with_magics\n%time q = 1\n!echo hi from the shell\n"
        "q2 = q + 1\nscaled = lr * 2"
    )
    nb = run_cells([LOAD, "lr = 0.5", cell])
    assert "hi from the shell" in _text(nb.cells[2])
    run = _runs(store)["with_magics"]
    assert run.status == "finished" and run.params == {"lr": 0.5}
    assert run.metrics == {"q2": 2.0, "scaled": 1.0}


SCOPES = """%%track --name scopes
counter = 0
def bump():
    global counter
    counter += 1
bump(); bump()
squares = list((lambda k: k * k)(i) for i in range(4))
total = sum(s for s in squares)
class Box:
    size = 3
    cells = [i for i in range(size)]
"""


def test_odd_cells_behave_as_without_tracking(run_cells, store) -> None:
    """Section 1.5 of the probe: sys.exit, syntax errors, top-level yield, huge prints, scopes."""
    nb = run_cells(
        [
            LOAD + "\nimport sys",
            "%%track --name exits\nsys.exit(3)",
            "%%track --name syntax\nx = (1,",
            "%%track --name yields\nyield 1",
            "%%track --name loud\nprint('x' * 2_000_000)",
            SCOPES,
            "print('alive', counter, total)",
        ],
        allow_errors=True,
    )
    exit_error = _error(nb.cells[1])
    assert exit_error["ename"] == "SystemExit" and exit_error["evalue"] == "3"
    assert _error(nb.cells[2])["ename"] == "SyntaxError"
    assert _error(nb.cells[3])["ename"] == "SyntaxError"
    assert "'yield' outside function" in _error(nb.cells[3])["evalue"]
    assert len(_text(nb.cells[4])) == 2_000_001  # all of it reached the user
    assert _text(nb.cells[6]) == "alive 2 14\n"
    runs = _runs(store)
    assert runs["exits"].status == "failed" and "SystemExit: 3" in runs["exits"].error
    assert runs["syntax"].status == "failed" and "SyntaxError" in runs["syntax"].error
    assert runs["yields"].status == "failed"
    stdout = {a.name: a for a in runs["loud"].artifacts}["stdout.txt"]
    kept = store.read_artifact(stdout.sha256)
    assert 64 * 1024 <= len(kept) < 65 * 1024 and kept.endswith(b"[... truncated]")
    assert runs["scopes"].status == "finished"
    assert runs["scopes"].metrics == {"counter": 2.0, "total": 14.0}
