"""`export script` against papermill: the script run with CLI parameters prints what papermill's
execution of the notebook prints."""

from __future__ import annotations

import json
import subprocess
import sys

from mlops_jupyter.convert import export_script
from tests.support.corpus import CORPUS_DIR, env_with_path, normalize


def test_script_with_cli_parameters_matches_papermill(tmp_path):
    import papermill

    notebook = CORPUS_DIR / "globals_functions.ipynb"
    executed = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(notebook),
        str(executed),
        parameters={"factor": 5, "offset": 1.5},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
    )
    nb = json.loads(executed.read_text())
    expected = "".join(
        "".join(o["text"])
        for c in nb["cells"]
        if c["cell_type"] == "code"
        for o in c["outputs"]
        if o.get("name") == "stdout"
    )
    script = tmp_path / "script.py"
    export_script(notebook, script)
    done = subprocess.run(
        [sys.executable, str(script), "--factor", "5", "--offset", "1.5"],
        capture_output=True,
        text=True,
        env=env_with_path(),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert normalize(done.stdout) == normalize(expected) and "[1.5, 6.5, 11.5, 16.5]" in expected
