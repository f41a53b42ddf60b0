"""Typed parameter conversion and validation (no kernels)."""

from __future__ import annotations

import pytest

from mlops_jupyter.cli.main import main
from mlops_jupyter.errors import (
    InvalidParameterError,
    NoParametersCellError,
    ParameterValueError,
    UnknownParameterError,
)
from mlops_jupyter.execution.job import prepare_job
from mlops_jupyter.execution.parameters import convert_value, load_parameters_file
from mlops_jupyter.notebook.parameters import ParamSpec
from tests.support.nbhelpers import NOTEBOOKS


@pytest.mark.parametrize("kind, default, raw, expected", [
    ("int", 3, "7", 7), ("int", 3, "1e3", 1000), ("int", 3, 4.0, 4), ("int", 3, 5, 5),
    ("float", 0.1, "0.25", 0.25), ("float", 0.1, 2, 2.0), ("float", 0.1, "1e-3", 0.001),
    ("bool", False, "true", True), ("bool", False, "No", False), ("bool", True, False, False),
    ("str", "a", "hello", "hello"), ("str", "a", "3", "3"), ("str", None, "none", "none"),
    ("list", [1], "[1, 2]", [1, 2]), ("list", [1], (3, 4), [3, 4]),
    ("dict", {}, "{a: 1}", {"a": 1}), ("int", None, "null", None), ("int", None, None, None),
])
def test_values_are_converted_to_the_declared_type(kind, default, raw, expected):
    value = convert_value(ParamSpec("p", kind, default), raw)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("kind, default, raw", [
    ("int", 3, "abc"), ("int", 3, "1.5"), ("int", 3, 1.5), ("int", 3, True), ("float", 0.1, "x"),
    ("float", 0.1, False), ("bool", False, "maybe"), ("bool", False, 1), ("str", "a", 3),
    ("list", [1], "{a: 1}"), ("dict", {}, "[1]"), ("int", 3, None), ("float", 0.1, "none"),
])
def test_wrong_types_are_refused_with_the_name_and_the_type(kind, default, raw):
    with pytest.raises(ParameterValueError, match=rf"parameter 'p': .* not a valid {kind}"):
        convert_value(ParamSpec("p", kind, default), raw)


def test_prepare_job_validates_names_and_merges_sources(tmp_path):
    path = NOTEBOOKS / "typed.ipynb"
    values = tmp_path / "p.yaml"
    values.write_text("lr: 0.5\nepochs: 4\nlayers: [1, 2, 3]\n")
    job = prepare_job(path, {"flag": "yes"}, files=[str(values)], pairs=[("epochs", "9")])
    assert job.parameters == {"lr": 0.5, "epochs": 9, "layers": [1, 2, 3], "flag": True}
    assert job.all_parameters["name"] == "base" and job.all_parameters["seed"] is None
    with pytest.raises(UnknownParameterError, match="unknown parameter 'lrr'.*did you mean 'lr'"):
        prepare_job(path, {"lrr": 1})
    with pytest.raises(NoParametersCellError, match="no cell tagged 'parameters'"):
        prepare_job(NOTEBOOKS / "noparams.ipynb", {"x": 1})
    values.write_text("- 1\n")
    with pytest.raises(InvalidParameterError, match="must hold a mapping"):
        load_parameters_file(values)


def test_params_command_prints_the_schema(capsys):
    assert main(["params", str(NOTEBOOKS / "typed.ipynb")]) == 0
    out = capsys.readouterr().out
    assert "lr" in out and "float" in out and "learning rate" in out and "optional seed" in out
    assert main(["run", str(NOTEBOOKS / "typed.ipynb"), "-p", "epochs", "three"]) == 2
    assert "parameter 'epochs': 'three' is not a valid int" in capsys.readouterr().err


@pytest.mark.parametrize("source, kind", [
    ("seed: Optional[int] = None", "int"), ("seed: int | None = None", "int"),
    ("seed: typing.Union[float, None] = None", "float"), ("seed: None | bool = None", "bool"),
    ("seed: Union[int, str] = None", "str"), ("seed: int = None", "int"),
])
def test_optional_annotations_keep_their_type(source, kind):
    from mlops_jupyter.notebook.parameters import parse_parameters_source

    (spec,) = parse_parameters_source(source)
    assert (spec.type, spec.default) == (kind, None)
