"""`export airflow` on corpus notebooks: the DAG imports on Airflow 3 and `dag.test()` runs it
end to end in a separate virtualenv (scripts/setup-airflow; Airflow stays out of this one),
tasks passing files, not values, and the notebook's parameters arriving as DAG params."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from mlops_jupyter.convert.export_airflow import export_airflow
from tests.support.corpus import CORPUS_DIR
from tests.support.pipelines import airflow_venv, golden_names, tool_env

# Airflow starts each task on its own: seconds per step, minutes per DAG on a busy machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def venv():
    return airflow_venv()


def _dag_test(venv, tmp_path, export, conf=None):
    """``python DAG.py [CONF]`` (``dag.test()``) with Airflow's interpreter and a copy of the
    migrated metadata database; the steps run with this interpreter."""
    home = tmp_path / "airflow-home"
    shutil.copytree(venv / "airflow-home", home)
    env = tool_env()
    env.pop("PYTHONPATH", None)  # nothing of this environment enters Airflow's
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(export.directory),
    )
    env[f"{export.package.upper()}_PYTHON"] = sys.executable  # the steps' libraries are here
    env[f"{export.package.upper()}_DATA"] = str(tmp_path / "data")
    args = [str(venv / "bin" / "python"), f"{export.package}_dag.py"]
    return subprocess.run(
        args + ([json.dumps(conf)] if conf else []),
        cwd=export.directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.mark.parametrize("name", ["inplace_mutation", "non_ascii", "classes"])
def test_dag_test_runs_the_notebook_end_to_end(name, venv, tmp_path):
    notebook = tmp_path / f"{name}.ipynb"
    shutil.copy(CORPUS_DIR / f"{name}.ipynb", notebook)
    export = export_airflow(notebook, tmp_path / "dags")
    dag_file = (export.directory / f"{export.package}_dag.py").read_text()
    assert "from airflow.sdk import Param, dag, get_current_context, task" in dag_file
    assert dag_file.count("@task(") == len(export.stages)
    conf = {"seuil": 0.0} if name == "non_ascii" else None
    done = _dag_test(venv, tmp_path, export, conf)
    log = done.stdout + done.stderr
    assert done.returncode == 0 and f"dag {export.package}: success" in done.stdout, log[-4000:]
    (run_dir,) = (tmp_path / "data").iterdir()  # one DAG run, its files
    if name == "non_ascii":
        assert "3 au-dessus de 0.0°C" in log  # the DAG param reached the step (default: 2)
        assert 'Returned value was: {"temp\\u00e9ratures": "' in log  # XCom holds a path
    else:
        assert golden_names(export.directory, export.package, run_dir)  # the notebook's values
    if name == "classes":  # `transact` changed `alice` in place, so `bank` too: both travelled
        assert "total=130.5" in log
