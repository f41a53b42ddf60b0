"""A failing %%track cell shows and stores the traceback of the user's own code: it begins at
their line as `Cell In[N]` (N the cell's execution count, lines as the cell shows them), names
cells rather than temporary files, and holds none of this package's frames."""

from __future__ import annotations

import re
from pathlib import Path

from mlops_jupyter.store import RunStore
from tests.support.lab_kernel import FrontEnd

ANSI = re.compile(r"\x1b\[[0-9;]*m")
CELLS = [
    "%load_ext mlops_jupyter",
    "def check(rows):\n    if rows < 3:\n        raise ValueError(f'only {rows} rows')",
    "%%track --name boom\nrows = 2\ncheck(rows)",
    "%%track --name stopped\nimport time\nfor _ in range(300):\n    time.sleep(0.05)",
]


def _shown(reply: dict) -> str:
    (error,) = [o for o in reply["outputs"] if o["output_type"] == "error"]
    return ANSI.sub("", "\n".join(error["traceback"]))


def test_tracebacks_begin_at_the_users_line(tmp_path: Path) -> None:
    store_url = str(tmp_path / "runs.db")
    with FrontEnd(tmp_path, CELLS, lab=True, env={"MLOPS_JUPYTER_STORE": store_url}) as lab:
        lab.run(0)
        lab.run(1)
        failed = lab.run(2)
        interrupted = lab.run(3, interrupt_after=1.5)
    assert failed["status"] == "error" and failed["execution_count"] == 3
    shown = _shown(failed)
    first = shown.split("Traceback (most recent call last)")[1].strip().splitlines()[0]
    assert first == "Cell In[3], line 3", shown  # the user's line, the cell's own count
    assert "----> 3 check(rows)" in shown and "Cell In[2], line 3, in check" in shown
    assert "mlops_jupyter" not in shown and "run_cell_magic" not in shown
    assert shown.rstrip().endswith("ValueError: only 2 rows")
    lines = [o["data"]["text/plain"] for o in failed["outputs"] if o["output_type"] != "error"]
    assert len(lines) == 1 and lines[0].endswith("(boom) failed")

    assert interrupted["execution_count"] == 4 and interrupted["ename"] == "KeyboardInterrupt"
    stopped = _shown(interrupted)
    assert "Cell In[4], line 4" in stopped and "mlops_jupyter" not in stopped

    store = RunStore(store_url)
    runs = {r.name: store.get_run(r.run_id) for r in store.search_runs()}
    assert runs["boom"].status == "failed" and runs["stopped"].status == "killed"
    stored = runs["boom"].error
    assert stored.splitlines() == [
        "Traceback (most recent call last):",
        "  Cell In[3], line 3",
        "    check(rows)",
        "  Cell In[2], line 3, in check",
        "    raise ValueError(f'only {rows} rows')",
        "ValueError: only 2 rows",
    ]
    assert "Cell In[4], line 4" in runs["stopped"].error
    for text in (stored, runs["stopped"].error):
        assert "mlops_jupyter" not in text and "ipykernel" not in text and ".py" not in text
