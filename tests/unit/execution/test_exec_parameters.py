"""Typed parameter conversion and validation (no kernels)."""

from __future__ import annotations

import math

import pytest

from mlops_jupyter.cli.main import main
from mlops_jupyter.errors import (
    InvalidParameterError,
    NoParametersCellError,
    ParameterValueError,
    UnknownParameterError,
)
from mlops_jupyter.execution.job import prepare_job
from mlops_jupyter.execution.parameters import (
    collect_parameters,
    convert_value,
    effective_parameters,
    load_parameters_file,
    parameters_table,
    validate_parameters,
)
from mlops_jupyter.notebook.parameters import ParamSpec
from tests.support.nbhelpers import NOTEBOOKS


@pytest.mark.parametrize(
    "kind, default, raw, expected",
    [
        ("int", 3, "7", 7),
        ("int", 3, "1e3", 1000),
        ("int", 3, 4.0, 4),
        ("int", 3, 5, 5),
        ("float", 0.1, "0.25", 0.25),
        ("float", 0.1, 2, 2.0),
        ("float", 0.1, "1e-3", 0.001),
        ("bool", False, "true", True),
        ("bool", False, "No", False),
        ("bool", True, False, False),
        ("str", "a", "hello", "hello"),
        ("str", "a", "3", "3"),
        ("str", None, "none", "none"),
        ("list", [1], "[1, 2]", [1, 2]),
        ("list", [1], (3, 4), [3, 4]),
        ("dict", {}, "{a: 1}", {"a": 1}),
        ("int", None, "null", None),
        ("int", None, None, None),
    ],
)
def test_values_are_converted_to_the_declared_type(kind, default, raw, expected):
    value = convert_value(ParamSpec("p", kind, default), raw)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    "kind, default, raw",
    [
        ("int", 3, "abc"),
        ("int", 3, "1.5"),
        ("int", 3, 1.5),
        ("int", 3, True),
        ("float", 0.1, "x"),
        ("float", 0.1, False),
        ("bool", False, "maybe"),
        ("bool", False, 1),
        ("str", "a", 3),
        ("list", [1], "{a: 1}"),
        ("dict", {}, "[1]"),
        ("int", 3, None),
        ("float", 0.1, "none"),
    ],
)
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
    with pytest.raises(UnknownParameterError, match=r"unknown parameter 'lrr'.*did you mean 'lr'"):
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


@pytest.mark.parametrize(
    "source, kind",
    [
        ("seed: Optional[int] = None", "int"),
        ("seed: int | None = None", "int"),
        ("seed: typing.Union[float, None] = None", "float"),
        ("seed: None | bool = None", "bool"),
        ("seed: Union[int, str] = None", "str"),
        ("seed: int = None", "int"),
    ],
)
def test_optional_annotations_keep_their_type(source, kind):
    from mlops_jupyter.notebook.parameters import parse_parameters_source

    (spec,) = parse_parameters_source(source)
    assert (spec.type, spec.default) == (kind, None)


@pytest.mark.parametrize(
    "kind, default, raw, expected",
    [
        ("int", 3, "1_000", 1000),
        ("int", 3, " 42 ", 42),
        ("int", 3, "-2", -2),
        ("float", 0.1, "inf", float("inf")),
        ("float", 0.1, " 2.5 ", 2.5),
        ("bool", False, "on", True),
        ("bool", False, "Y", True),
        ("bool", True, "off", False),
        ("bool", True, "0", False),
        ("str", "a", "None", "None"),  # a str parameter keeps the text 'None'
        ("list", [], "[]", []),
        ("list", [1], "[a, 2]", ["a", 2]),
        ("dict", {}, '{"lr": [0.1, 0.2]}', {"lr": [0.1, 0.2]}),
        ("dict", None, "~", None),
    ],
)
def test_more_values_are_converted(kind, default, raw, expected):
    value = convert_value(ParamSpec("p", kind, default), raw)
    assert value == expected and type(value) is type(expected)


def test_nan_is_only_the_text_nan():
    assert math.isnan(convert_value(ParamSpec("p", "float", 0.1), "nan"))


@pytest.mark.parametrize(
    "spec, raw, origin, message",
    [
        (
            ParamSpec("epochs", "int", 3),
            "three",
            "-p",
            (
                r"parameter 'epochs': 'three' is not a valid int \(from -p\); "
                r"pass a value of type int, e.g. -p NAME 3"
            ),
        ),
        (
            ParamSpec("lr", "float", 0.1),
            "fast",
            "p.yaml",
            (
                r"'fast' is not a valid float \(from p.yaml\); "
                r"pass a value of type float, e.g. -p NAME 0.1"
            ),
        ),
        (ParamSpec("layers", "list", [1]), "[1, 2", "", r"is not a valid list; pass"),
        (ParamSpec("opts", "dict", {}), {"f": object()}, "", r"is not a valid dict"),  # not JSON
        (ParamSpec("n", "int", 10**400), "1e400", "", r"is not a valid int"),  # overflow
    ],
)
def test_refused_values_name_the_parameter_the_source_and_an_example(spec, raw, origin, message):
    with pytest.raises(ParameterValueError, match=message) as info:
        convert_value(spec, raw, origin)
    assert (info.value.name, info.value.expected) == (spec.name, spec.type)


SPECS = [
    ParamSpec("lr", "float", 0.1),
    ParamSpec("epochs", "int", 3),
    ParamSpec("name", "str", "base"),
]


def test_values_from_files_then_pairs_then_python_last_one_wins(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.json"
    first.write_text("lr: 0.5\nepochs: 4\n")
    second.write_text('{"epochs": 5, "name": "from-json"}')
    merged = collect_parameters(
        SPECS,
        "nb.ipynb",
        files=[str(first), str(second)],
        pairs=[("epochs", "6")],
        values={"name": "from-python"},
    )
    assert merged == {"lr": 0.5, "epochs": 6, "name": "from-python"}
    assert effective_parameters(SPECS, {"epochs": 9}) == {"lr": 0.1, "epochs": 9, "name": "base"}


def test_a_bad_value_in_a_file_names_the_file(tmp_path):
    values = tmp_path / "p.yaml"
    values.write_text("epochs: many\n")
    with pytest.raises(ParameterValueError, match=r"'many' is not a valid int \(from .*p.yaml\)"):
        collect_parameters(SPECS, "nb.ipynb", files=[str(values)])


@pytest.mark.parametrize(
    "specs, values, error, message",
    [
        (
            None,
            {"lr": 1},
            NoParametersCellError,
            r"nb.ipynb has no cell tagged 'parameters'.*start it with `#\| parameters`",
        ),
        (
            SPECS,
            {"lrr": 1},
            UnknownParameterError,
            (
                r"unknown parameter 'lrr'; the parameters cell of nb.ipynb defines "
                r"'lr', 'epochs', 'name'. "
                r"did you mean 'lr'\? List them with `mlops-jupyter params NOTEBOOK`"
            ),
        ),
        (SPECS, {"zzz": 1}, UnknownParameterError, r"defines 'lr', 'epochs', 'name'. List them"),
        ([], {"lr": 1}, UnknownParameterError, r"defines none"),
    ],
)
def test_values_a_notebook_cannot_take_are_refused(specs, values, error, message):
    with pytest.raises(error, match=message):
        validate_parameters(specs, values, "nb.ipynb")


def test_no_values_need_no_parameters_cell():
    assert validate_parameters(None, {}, "nb.ipynb") == {}


@pytest.mark.parametrize(
    "text, message",
    [
        ("- 1\n", r"must hold a mapping of name: value, got a list"),
        ("lr: [unclosed\n", r"is not valid YAML/JSON"),
        (None, r"parameters file '.*missing.yaml' not found"),
    ],
)
def test_bad_parameters_files_name_the_file(tmp_path, text, message):
    path = tmp_path / ("p.yaml" if text is not None else "missing.yaml")
    if text is not None:
        path.write_text(text)
    with pytest.raises(InvalidParameterError, match=message):
        load_parameters_file(path)


def test_an_empty_parameters_file_gives_no_values(tmp_path):
    (tmp_path / "p.yaml").write_text("# nothing yet\n")
    assert load_parameters_file(tmp_path / "p.yaml") == {}


def test_parameters_table_shows_every_field():
    lines = parameters_table([ParamSpec("lr", "float", 0.1, "learning rate")]).splitlines()
    assert lines[0].split() == ["name", "type", "default", "help"]
    assert lines[-1].split() == ["lr", "float", "0.1", "learning", "rate"]
    assert parameters_table(None).startswith("no parameters (no cell is tagged 'parameters'")
