"""Parameters read as papermill reads them (issue 18 item 4), on papermill's own
complex_parameters example, and a None default typed as papermill injects it."""

from __future__ import annotations

from mlops_jupyter.execution.parameters import convert_value
from mlops_jupyter.notebook.parameters import ParamSpec, parse_parameters_source

COMPLEX = """msg = None
a: float = 2.25 # Variable a
b = [
    'Hello', # First element
# Dummy comment
    'World'
] # type: List[str] Nice list

# Interesting c variable
c: "NoneType" = None
# Not introspectable line
d = a == 3
# Broken name definition
= 2
"""


def test_papermills_complex_parameters():
    """papermill's own complex_parameters cell, its broken last line included (papermill's
    parser skips it)."""
    specs = {s.name: s for s in parse_parameters_source(COMPLEX)}
    assert list(specs) == ["msg", "a", "b", "c"]  # `d = a == 3` is computed, not a parameter
    assert specs["b"] == ParamSpec("b", "list", ["Hello", "World"], "Nice list")
    assert specs["a"] == ParamSpec("a", "float", 2.25, "Variable a")
    assert specs["msg"].type == specs["c"].type == "any"


def test_a_type_comment_gives_the_type_and_the_rest_is_help():
    (spec,) = parse_parameters_source("a = 'text'  # type: int Nice variable a")
    assert (spec.type, spec.help) == ("int", "Nice variable a")


def test_a_none_default_takes_what_papermill_would_inject():
    (spec,) = parse_parameters_source("seed = None")
    assert convert_value(spec, "5") == 5
    assert convert_value(spec, "0.5") == 0.5
    assert convert_value(spec, "True") is True
    assert convert_value(spec, "name") == "name"
    assert convert_value(spec, "None") is None
