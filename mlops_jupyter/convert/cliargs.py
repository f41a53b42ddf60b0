"""Source of the argparse command line generated from a notebook's parameters schema."""

from __future__ import annotations

from mlops_jupyter.notebook.parameters import ParamSpec

_BOOL = '''\
def _bool(text):
    """Parse a command-line boolean."""
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


_bool.__name__ = "bool"
'''
_JSON = '''\
def _json(kind):
    """Return a converter parsing a JSON value of the type ``kind`` (list or dict)."""
    import json

    def convert(text):
        value = json.loads(text)
        if not isinstance(value, kind):
            raise ValueError(f"expected a JSON {kind.__name__}, got {text!r}")
        return value

    convert.__name__ = kind.__name__
    return convert
'''
_ANY = '''\
def _any(text):
    """Parse a value whose default is None as papermill reads -p: bool, None, int, float, text."""
    named = {"True": True, "False": False, "None": None}
    if text.strip() in named:
        return named[text.strip()]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


_any.__name__ = "value"
'''
_TYPES = {
    "any": "_any",
    "int": "int",
    "float": "float",
    "str": "str",
    "bool": "_bool",
    "list": "_json(list)",
    "dict": "_json(dict)",
}


def argparse_source(specs: list[ParamSpec], description: str, prog: str | None = None) -> str:
    """Return the source of ``_parse_args(argv=None) -> dict`` for these parameters.

    Only options given on the command line appear in the returned dict, so the defaults stay
    those of the code (the parameters cell).

    Args:
        specs: The parameters schema.
        description: The ``--help`` description.
        prog: The program name shown in usage lines (default: the script's file name).

    Returns:
        Python source defining the converters and ``_parse_args``.
    """
    lines = [
        "def _parse_args(argv=None):",
        '    """Parse the command line; only the options given are returned."""',
        "    import argparse",
        "",
        f"    parser = argparse.ArgumentParser(description={description!r}"
        + (f", prog={prog!r})" if prog else ")"),
    ]
    for spec in specs:
        flags = [f"--{spec.name}"]
        if "_" in spec.name:
            flags.insert(0, f"--{spec.name.replace('_', '-')}")
        text = spec.help or spec.name
        help_text = f"{text} ({spec.type}, default: {spec.default!r})".replace("%", "%%")
        lines.append(
            f"    parser.add_argument({', '.join(repr(f) for f in flags)}, dest={spec.name!r}, "
            f"type={_TYPES.get(spec.type, 'str')}, default=argparse.SUPPRESS, help={help_text!r})"
        )
    lines.append("    return vars(parser.parse_args(argv))")
    kinds = {s.type for s in specs}
    converters = (
        ([_BOOL] if "bool" in kinds else [])
        + ([_ANY] if "any" in kinds else [])
        + ([_JSON] if kinds & {"list", "dict"} else [])
    )
    return "\n\n".join([*converters, "\n".join(lines) + "\n"])
