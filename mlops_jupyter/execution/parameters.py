"""Typed notebook parameters: values from the CLI, YAML/JSON files and Python, checked against
the schema of the notebook's ``parameters`` cell before any kernel starts.

The schema itself comes from :mod:`mlops_jupyter.notebook.parameters` (shared with the
converter, which cell is the parameters cell from :mod:`mlops_jupyter.notebook.roles`); this module
only converts and validates values, so that a typo or a wrong type costs milliseconds and one
clear message instead of a kernel boot and a traceback from inside the notebook.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any, cast

from mlops_jupyter.errors import (
    NoParametersCellError,
    ParameterValueError,
    UnknownParameterError,
)
from mlops_jupyter.formatting import table
from mlops_jupyter.notebook.parameters import (
    ParamSpec,
    find_parameters_cell,
    parameters_source,
    parse_parameters_source,
)

_TRUE = {"true", "yes", "on", "1", "y", "t"}
_FALSE = {"false", "no", "off", "0", "n", "f"}
_NONE = {"none", "null", "~"}


def notebook_schema(nb: Mapping[str, Any]) -> list[ParamSpec] | None:
    """The parameters schema of a notebook, or None when it has no ``parameters`` cell."""
    source = parameters_source(nb)
    return None if source is None else parse_parameters_source(source)


def mark_parameters_cell(nb: MutableMapping[str, Any]) -> bool:
    """Tag the parameters cell ``parameters`` in place, so papermill injects values after it.

    papermill finds the cell by that tag alone; a Kale ``pipeline-parameters`` or a
    ``#| parameters`` cell would otherwise get its values injected at the top, and then
    overwritten by the cell's own defaults. Returns whether the notebook was changed.
    """
    found = find_parameters_cell(nb)
    if found is None:
        return False
    cell = cast(MutableMapping[str, Any], found[1])
    metadata = cell.setdefault("metadata", {})
    tags = list(metadata.get("tags") or [])
    if "parameters" in tags:
        return False
    metadata["tags"] = [*tags, "parameters"]
    return True


def convert_value(spec: ParamSpec, value: Any, origin: str = "") -> Any:
    """Convert one value (CLI text, YAML/JSON value or Python object) to the declared type.

    Text is parsed (``"3"`` -> 3 for an int, ``"yes"`` -> True for a bool, ``"[1, 2]"`` for a
    list); other values must already have the type (ints are accepted for floats, whole floats
    for ints). ``None`` is accepted only when the default is ``None``.

    Raises:
        ParameterValueError: the value does not fit the type.
    """
    if value is None or (
        isinstance(value, str) and value.strip().lower() in _NONE and spec.type != "str"
    ):
        if spec.default is None:
            return None
        raise ParameterValueError(spec.name, value, spec.type, origin)
    try:
        converted = _CONVERTERS[spec.type](value)
    except (ValueError, TypeError, OverflowError) as err:
        raise ParameterValueError(spec.name, value, spec.type, origin) from err
    return converted


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(value)


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        try:
            return int(text)
        except ValueError:
            number = float(text)  # "1e3" is a whole number
            if number.is_integer():
                return int(number)
    raise ValueError(value)


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        number = float(value.strip())
        if math.isnan(number) and value.strip().lower() != "nan":
            raise ValueError(value)
        return number
    raise TypeError(value)


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(value)


def _to_any(value: Any) -> Any:
    """A parameter whose default is None: text is read as papermill reads ``-p NAME VALUE``
    (True/False/None, an int, a float, else the text); other values pass as they are."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    named = {"True": True, "False": False, "None": None}
    if text in named:
        return named[text]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return value


def _structured(kind: type) -> Any:
    def convert(value: Any) -> Any:
        if isinstance(value, str):
            import yaml

            try:
                value = yaml.safe_load(value)
            except yaml.YAMLError as err:
                raise ValueError(str(err)) from err
        if kind is list and isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, kind):
            raise TypeError(value)
        json.dumps(value)  # only JSON-able values can be injected and recorded
        return value

    return convert


_CONVERTERS = {
    "bool": _to_bool,
    "int": _to_int,
    "float": _to_float,
    "str": _to_str,
    "any": _to_any,
    "list": _structured(list),
    "dict": _structured(dict),
}


def validate_parameters(
    specs: Sequence[ParamSpec] | None,
    values: Mapping[str, Any],
    notebook: str = "",
    origin: str = "",
) -> dict[str, Any]:
    """Convert every value to its declared type; refuse unknown names.

    Args:
        specs: The notebook's schema (None: the notebook has no parameters cell).
        values: Name -> value (text from the CLI, or typed values).
        notebook: The notebook's path, for messages.
        origin: Where the values came from ("-p", a file name), for messages.

    Returns:
        The converted values, in the order given.

    Raises:
        NoParametersCellError: values were given but the notebook has no parameters cell.
        UnknownParameterError: a name the schema does not define.
        ParameterValueError: a value that does not fit its type.
    """
    if not values:
        return {}
    if specs is None:
        raise NoParametersCellError(notebook or "the notebook")
    by_name = {spec.name: spec for spec in specs}
    converted: dict[str, Any] = {}
    for name, value in values.items():
        spec = by_name.get(name)
        if spec is None:
            raise UnknownParameterError(name, list(by_name), notebook)
        converted[name] = convert_value(spec, value, origin)
    return converted


def effective_parameters(
    specs: Sequence[ParamSpec] | None, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """Defaults from the schema updated with `overrides`: every value the notebook will see."""
    values = {spec.name: spec.default for spec in specs or ()}
    values.update(overrides)
    return values


def load_parameters_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a YAML or JSON mapping of parameter values (``-f params.yaml``).

    Raises:
        InvalidParameterError: the file is missing, unparsable or not a mapping.
    """
    import yaml

    from mlops_jupyter.errors import InvalidParameterError

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise InvalidParameterError(f"parameters file {os.fspath(path)!r} not found") from err
    except yaml.YAMLError as err:
        raise InvalidParameterError(
            f"parameters file {os.fspath(path)!r} is not valid YAML/JSON: {err}"
        ) from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidParameterError(
            f"parameters file {os.fspath(path)!r} must hold a mapping "
            f"of name: value, got a {type(data).__name__}"
        )
    return {str(k): v for k, v in data.items()}


def collect_parameters(
    specs: Sequence[ParamSpec] | None,
    notebook: str,
    files: Iterable[str] = (),
    pairs: Iterable[Sequence[str]] = (),
    values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Merge and validate files (in order), then ``-p`` pairs, then Python values (last wins)."""
    merged: dict[str, Any] = {}
    for file in files:
        merged.update(validate_parameters(specs, load_parameters_file(file), notebook, file))
    cli: dict[str, Any] = {}
    for name, value in pairs:  # each `-p NAME VALUE`
        cli[name] = value
    merged.update(validate_parameters(specs, cli, notebook, "-p"))
    merged.update(validate_parameters(specs, values or {}, notebook))
    return merged


def parameters_table(specs: Sequence[ParamSpec] | None) -> str:
    """The schema as an aligned text table (name, type, default, help)."""
    if not specs:
        return (
            "no parameters (no cell is tagged 'parameters' or 'pipeline-parameters', "
            "or starts with `#| parameters`)"
        )
    return table(
        ["name", "type", "default", "help"],
        [[s.name, s.type, repr(s.default), s.help] for s in specs],
        max_width=60,
    )
