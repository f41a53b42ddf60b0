"""Sweep points: `--grid` products, `--random` draws over `--range`s, and points files."""

from __future__ import annotations

import pytest

from mlops_jupyter.errors import InvalidParameterError, UnknownParameterError
from mlops_jupyter.execution.points import grid_points, load_points_file, random_points
from mlops_jupyter.notebook.parameters import ParamSpec


def test_sweep_points_grid_random_and_file(tmp_path):
    assert grid_points(["a=1,2", "b=[1,2],x"]) == [
        {"a": "1", "b": "[1,2]"},
        {"a": "1", "b": "x"},
        {"a": "2", "b": "[1,2]"},
        {"a": "2", "b": "x"},
    ]
    schema = [ParamSpec("lr", "float", 0.1), ParamSpec("n", "int", 1), ParamSpec("s", "str", "")]
    drawn = random_points(5, ["lr=0.001:0.1:log", "n=2:4"], schema, seed=7)
    assert drawn == random_points(5, ["lr=0.001:0.1:log", "n=2:4"], schema, seed=7)
    assert all(0.001 <= p["lr"] <= 0.1 and p["n"] in (2, 3, 4) for p in drawn)
    with pytest.raises(InvalidParameterError, match="int or float"):
        random_points(2, ["s=1:2"], schema)
    with pytest.raises(InvalidParameterError, match="NAME=VALUES"):
        grid_points(["lr"])
    points = tmp_path / "points.json"
    points.write_text('[{"lr": 0.1}, {"lr": 0.2}]')
    assert load_points_file(points) == [{"lr": 0.1}, {"lr": 0.2}]


SCHEMA = [
    ParamSpec("lr", "float", 0.1),
    ParamSpec("n", "int", 1),
    ParamSpec("s", "str", ""),
    ParamSpec("flag", "bool", False),
]


@pytest.mark.parametrize(
    "grid, points",
    [
        (["a=1,2"], [{"a": "1"}, {"a": "2"}]),
        (
            ["a=1,2", "b=x,y"],
            [
                {"a": "1", "b": "x"},
                {"a": "1", "b": "y"},  # the last varies fastest
                {"a": "2", "b": "x"},
                {"a": "2", "b": "y"},
            ],
        ),
        (
            ["b=x,y", "a=1,2"],
            [
                {"b": "x", "a": "1"},
                {"b": "x", "a": "2"},
                {"b": "y", "a": "1"},
                {"b": "y", "a": "2"},
            ],
        ),
        (["layers=[1,2],[3]"], [{"layers": "[1,2]"}, {"layers": "[3]"}]),  # commas inside brackets
        (["opts={a: 1, b: 2}"], [{"opts": "{a: 1, b: 2}"}]),
        (["name='a,b',c"], [{"name": "'a,b'"}, {"name": "c"}]),  # ... and inside quotes
        ([" lr = 0.1 , 0.2 "], [{"lr": "0.1"}, {"lr": "0.2"}]),  # white space is trimmed
        (["lr=0.1,,0.2,"], [{"lr": "0.1"}, {"lr": "0.2"}]),  # empty values dropped
        (["expr=a=b"], [{"expr": "a=b"}]),  # split at the first '='
    ],
)
def test_grid_points(grid: list[str], points: list[dict]) -> None:
    assert grid_points(grid) == points


@pytest.mark.parametrize(
    "grid, message",
    [
        (["lr"], r"--grid 'lr': expected NAME=VALUES, e.g. --grid lr=0.1,0.01"),
        (["=1,2"], r"--grid '=1,2': expected NAME=VALUES"),
        (
            ["lr=1", "lr=2"],
            (
                r"--grid lr is given twice; list all its values in one option: "
                r"--grid lr=v1,v2,v3"
            ),
        ),
        (["lr="], r"--grid 'lr=' has no values"),
        (["lr=,"], r"--grid 'lr=,' has no values"),
    ],
)
def test_bad_grids_say_how_to_write_one(grid: list[str], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        grid_points(grid)


def test_random_points_are_typed_in_range_and_reproducible_from_the_seed() -> None:
    ranges = ["lr=0.001:0.1:log", "n=2:4"]
    drawn = random_points(400, ranges, SCHEMA, seed=7)
    assert random_points(400, ranges, SCHEMA, seed=7) == drawn
    assert random_points(400, ranges, SCHEMA, seed=8) != drawn
    assert all(type(p["n"]) is int and type(p["lr"]) is float for p in drawn)
    assert {p["n"] for p in drawn} == {2, 3, 4}  # both ends of an int range are drawn
    assert all(0.001 <= p["lr"] <= 0.1 for p in drawn)
    below_middle = sum(p["lr"] < 0.01 for p in drawn) / len(drawn)  # 0.01: the log midpoint
    assert 0.4 < below_middle < 0.6, below_middle


def test_random_points_without_log_are_uniform() -> None:
    drawn = [p["lr"] for p in random_points(400, ["lr=0:1"], SCHEMA, seed=1)]
    assert all(0 <= v <= 1 for v in drawn) and 0.4 < sum(v < 0.5 for v in drawn) / 400 < 0.6


def test_an_int_range_with_fractional_ends_draws_the_whole_numbers_inside() -> None:
    assert {p["n"] for p in random_points(100, ["n=1.5:3.5"], SCHEMA, seed=0)} == {2, 3}


@pytest.mark.parametrize(
    "count, ranges, error, message",
    [
        (0, ["lr=0:1"], InvalidParameterError, r"--random 0: expected a number of points >= 1"),
        (2, [], InvalidParameterError, r"--random needs at least one --range NAME=LO:HI"),
        (2, ["s=1:2"], InvalidParameterError, r"for an int or float parameter \(s is str\)"),
        (2, ["flag=0:1"], InvalidParameterError, r"\(flag is bool\)"),
        (2, ["lr=1"], InvalidParameterError, r"expected NAME=LO:HI or NAME=LO:HI:log"),
        (2, ["lr=1:2:lin"], InvalidParameterError, r"expected NAME=LO:HI or NAME=LO:HI:log"),
        (2, ["lr=a:b"], InvalidParameterError, r"LO and HI must be numbers"),
        (2, ["lr=2:1"], InvalidParameterError, r"need LO <= HI"),
        (2, ["lr=0:1:log"], InvalidParameterError, r"LO > 0 for log"),
        (2, ["lr"], InvalidParameterError, r"--range 'lr': expected NAME=VALUES"),
        (2, ["depth=1:3"], UnknownParameterError, r"unknown parameter 'depth'"),
    ],
)
def test_bad_random_sweeps_name_the_problem(count, ranges, error, message) -> None:
    with pytest.raises(error, match=message):
        random_points(count, ranges, SCHEMA, seed=0)


@pytest.mark.parametrize(
    "name, text, points",
    [
        ("p.json", '[{"lr": 0.1}, {"lr": 0.2, "n": 3}]', [{"lr": 0.1}, {"lr": 0.2, "n": 3}]),
        ("p.yaml", "- {lr: 0.1}\n- lr: 0.2\n  n: 3\n", [{"lr": 0.1}, {"lr": 0.2, "n": 3}]),
        ("p.yml", "- {1: one}\n", [{"1": "one"}]),  # names are always text
        ("p.txt", '[{"lr": 0.1}]', [{"lr": 0.1}]),  # JSON is YAML too
    ],
)
def test_points_files(tmp_path, name: str, text: str, points: list[dict]) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert load_points_file(path) == points


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("p.json", "{lr: 0.1}", r"points file '.*p.json' is not valid YAML/JSON"),
        ("p.yaml", "- [unclosed\n", r"is not valid YAML/JSON"),
        ("p.yaml", "lr: 0.1\n", r"must hold a non-empty list of mappings, e.g. \[\{lr: 0.1\}"),
        ("p.yaml", "[]\n", r"must hold a non-empty list of mappings"),
        ("p.yaml", "- 0.1\n- 0.2\n", r"must hold a non-empty list of mappings"),
        ("p.yaml", "", r"must hold a non-empty list of mappings"),
        (None, "", r"points file '.*missing.yaml' not found"),
    ],
)
def test_bad_points_files_name_the_file(tmp_path, name, text, message) -> None:
    path = tmp_path / (name or "missing.yaml")
    if name:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidParameterError, match=message):
        load_points_file(path)
