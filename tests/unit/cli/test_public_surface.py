"""The public surface, enumerated and pinned: every name in `mlops_jupyter.__all__`, every CLI
command, every `python -m` entry point, the magics, and every MLOPS_JUPYTER_* variable.

Each list below is frozen on purpose. Removing or renaming something a user can reach fails
here with its name; adding something means adding it here (and to the README where it says).
The REST routes and JSON fields are pinned the same way in tests/server/test_public_surface.py.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

import mlops_jupyter
from mlops_jupyter.cli.main import build_parser, command, main
from tests.support import ROOT

PUBLIC_NAMES = [
    "MlopsJupyterError",
    "Run",
    "RunRecord",
    "RunStore",
    "__version__",
    "active_run",
    "check_metrics",
    "drift",
    "end_run",
    "get_run",
    "load_ipython_extension",
    "log_artifact",
    "log_figure",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_table",
    "open_store",
    "reproduce_run",
    "run_notebook",
    "runs",
    "set_tag",
    "set_tags",
    "start_run",
    "sweep_notebook",
    "track_cell",
    "optuna_sweep",
    "unload_ipython_extension",
    # models (issue 13)
    "alias_history",
    "delete_model_alias",
    "delete_model_tag",
    "get_model_version",
    "get_registered_model",
    "load_model",
    "log_fitted_models",
    "log_model",
    "model_versions",
    "models",
    "register_model",
    "set_model_alias",
    "set_model_description",
    "set_model_tag",
    # CT: a converted package's tracked run (issue 16)
    "track_pipeline",
]
JUPYTER_HOOKS = ["_jupyter_labextension_paths", "_jupyter_server_extension_points"]
COMMANDS = [
    "",
    "demo",
    "runs",
    "runs ls",
    "runs show",
    "runs compare",
    "runs rm",
    "runs inputs",
    "runs diff",
    "runs drift",
    "runs note",
    "store",
    "store info",
    "store migrate",
    "store gc",
    "params",
    "run",
    "sweep",
    "reproduce",
    "export",
    "export script",
    "export module",
    "export dvc",
    "export airflow",
    "convert",
    "check",
    "models",
    "models ls",
    "models show",
    "models register",
    "models alias",
    "models predict",
    "models serve",
    "check-metrics",
    "report",
]
MODULE_ENTRY_POINTS = ["mlops_jupyter.cli", "mlops_jupyter.convert"]
# what `python -m ...convert` offers
CONVERT_COMMANDS = [
    "export script",
    "export module",
    "export dvc",
    "export airflow",
    "convert",
    "check",
]
CONSOLE_SCRIPTS = {"mlops-jupyter": "mlops_jupyter.cli:command"}
MAGICS = {"line": ["runs", "track"], "cell": ["track"]}
ENV_VARIABLES = [
    "MLOPS_JUPYTER_BLOBS",
    "MLOPS_JUPYTER_BLOBS_OPTIONS",
    "MLOPS_JUPYTER_EXPERIMENT",
    "MLOPS_JUPYTER_FLUSH_INTERVAL",
    "MLOPS_JUPYTER_HEARTBEAT_TIMEOUT",
    "MLOPS_JUPYTER_INPUT_HASH_MAX",
    "MLOPS_JUPYTER_KERNEL_DEBUGGER",
    "MLOPS_JUPYTER_NOTEBOOK",
    "MLOPS_JUPYTER_PARENT_RUN",
    "MLOPS_JUPYTER_SERVE_TOKEN",
    "MLOPS_JUPYTER_SNAPSHOT_MAX",
    "MLOPS_JUPYTER_SPOOL",
    "MLOPS_JUPYTER_STORE",
    "MLOPS_JUPYTER_STORE_TIMEOUT",
]


def _differences(expected: list[str], actual: list[str]) -> str:
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    return f"missing: {missing}; new (pin them here): {extra}"


# -- the Python API ---------------------------------------------------------------------------


def test_all_lists_exactly_the_public_names() -> None:
    assert sorted(mlops_jupyter.__all__) == sorted(PUBLIC_NAMES), _differences(
        PUBLIC_NAMES, mlops_jupyter.__all__
    )


@pytest.mark.parametrize("name", PUBLIC_NAMES + JUPYTER_HOOKS)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(mlops_jupyter, name)
    assert value is not None
    if name != "__version__":
        assert callable(value), f"mlops_jupyter.{name} is {value!r}"
    else:
        assert re.fullmatch(r"\d+\.\d+\.\d+\S*", value), value


def test_jupyter_hooks_point_at_real_things() -> None:
    (server,) = mlops_jupyter._jupyter_server_extension_points()
    assert server["module"] == "mlops_jupyter.server.app" and server["app"].name == "mlops_jupyter"
    (lab,) = mlops_jupyter._jupyter_labextension_paths()
    assert lab == {"src": "labextension", "dest": "mlops-jupyter"}


# -- the command line -------------------------------------------------------------------------


def _walk(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, (*path, name))


def test_the_cli_has_exactly_the_pinned_commands() -> None:
    found = [" ".join(path) for path, _ in _walk(build_parser())]
    assert found == COMMANDS, _differences(COMMANDS, found)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c or "mlops-jupyter")
def test_every_command_answers_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([*command.split(), "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: mlops-jupyter {command}".rstrip()), out[:200]


@pytest.mark.parametrize("module", MODULE_ENTRY_POINTS)
def test_python_m_entry_points_answer_help(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: mlops-jupyter")
    offered = CONVERT_COMMANDS if module.endswith("convert") else COMMANDS[1:]
    for name in {c.split()[0] for c in offered}:
        assert name in done.stdout, f"`python -m {module} --help` does not offer {name}"


def test_console_scripts_resolve() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")  # (tomllib is 3.11+)
    section = text.split("[project.scripts]", 1)[1].split("\n[", 1)[0]
    scripts = dict(re.findall(r'^([\w-]+) = "([^"]+)"$', section, re.MULTILINE))
    assert scripts == CONSOLE_SCRIPTS
    for target in CONSOLE_SCRIPTS.values():
        module, _, attr = target.partition(":")
        assert getattr(__import__(module, fromlist=[attr]), attr) is command


# -- the magics -------------------------------------------------------------------------------


def test_load_ext_registers_the_pinned_magics() -> None:
    """`%load_ext mlops_jupyter` on an in-process IPython shell (no kernel)."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.extension_manager.load_extension("mlops_jupyter")
        registered = shell.magics_manager.magics
        for kind, names in MAGICS.items():
            assert set(names) <= set(registered[kind]), (kind, sorted(registered[kind]))
    finally:
        shell.extension_manager.unload_extension("mlops_jupyter")
        InteractiveShell.clear_instance()


# -- configuration by environment --------------------------------------------------------------


def _documented_variables() -> dict[str, str]:
    """MLOPS_JUPYTER_* constants of env.py -> the `#:` comment above each."""
    source = (ROOT / "mlops_jupyter" / "env.py").read_text(encoding="utf-8")
    lines = source.splitlines()
    found = {}
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and str(node.value.value).startswith("MLOPS_JUPYTER_")
        ):
            above = []
            for line in reversed(lines[: node.lineno - 1]):
                if not line.startswith("#:"):
                    break
                above.insert(0, line[2:].strip())
            found[node.value.value] = " ".join(above) + f" [{node.targets[0].id}]"
    return found


def test_env_py_lists_exactly_the_pinned_variables_each_with_its_meaning() -> None:
    documented = _documented_variables()
    assert sorted(documented) == ENV_VARIABLES, _differences(ENV_VARIABLES, list(documented))
    undocumented = [name for name, doc in documented.items() if doc.startswith(" [")]
    assert undocumented == [], "no `#:` comment in env.py says what these mean"


@pytest.mark.parametrize("variable", ENV_VARIABLES)
def test_every_variable_is_read_by_the_package_and_named_in_the_readme(variable: str) -> None:
    constant = _documented_variables()[variable].rsplit("[", 1)[1].rstrip("]")
    users = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "mlops_jupyter").rglob("*.py"))
        if path.name != "env.py"
        and re.search(
            rf"\benv\.{constant}\b|['\"]{variable}['\"]", path.read_text(encoding="utf-8")
        )
    ]
    assert users, f"nothing in mlops_jupyter/ reads {variable} (env.{constant})"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    mentioned = re.search(rf"\b{variable}\b", readme) is not None
    assert mentioned, f"README.md does not mention {variable}"


def test_the_exception_tree_is_one_and_drawn_whole() -> None:
    """Every error the package exports is in the tree its docstring draws, descends from the one
    root, and is drawn under its own parent (the tree is what users read to catch errors)."""
    import re

    from mlops_jupyter import errors

    tree = r"^(\s*(?:[│ ]*[├└]── )?)([A-Z]\w+Error)\b(?! ->)"  # not the closing prose
    drawn = [name for _, name in re.findall(tree, errors.__doc__ or "", re.M)]
    assert sorted(drawn) == sorted(errors.__all__)
    drawn_at: dict[int, str] = {}  # the last class drawn at each depth: the next one's parent
    for line in (errors.__doc__ or "").splitlines():
        found = re.match(tree, line)
        if not found:
            continue
        level, name = len(found.group(1)) // 4, found.group(2)
        drawn_at[level] = name
        cls = getattr(errors, name)
        assert issubclass(cls, errors.MlopsJupyterError)
        if level - 1 in drawn_at:
            assert issubclass(cls, getattr(errors, drawn_at[level - 1])), name
