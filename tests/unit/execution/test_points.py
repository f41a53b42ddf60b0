"""Sweep points: `--grid` products, `--random` draws over `--range`s, and points files."""

from __future__ import annotations

import pytest

from mlops_jupyter.errors import InvalidParameterError
from mlops_jupyter.execution.points import grid_points, load_points_file, random_points
from mlops_jupyter.notebook.parameters import ParamSpec


def test_sweep_points_grid_random_and_file(tmp_path):
    assert grid_points(["a=1,2", "b=[1,2],x"]) == [
        {"a": "1", "b": "[1,2]"}, {"a": "1", "b": "x"}, {"a": "2", "b": "[1,2]"},
        {"a": "2", "b": "x"}]
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
