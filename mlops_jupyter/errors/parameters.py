"""Errors about parameters and limits: names, values, the parameters cell, caps."""

from __future__ import annotations

from mlops_jupyter.errors.base import MlopsJupyterError


class InvalidParameterError(MlopsJupyterError, ValueError):
    """A parameter name or value that the notebook's schema refuses."""


class UnknownParameterError(InvalidParameterError):
    """A parameter name that the notebook's ``parameters`` cell does not define."""

    def __init__(self, name: str, known: list[str], notebook: str = "") -> None:
        import difflib

        self.name, self.known = name, list(known)
        where = f" of {notebook}" if notebook else ""
        close = difflib.get_close_matches(name, self.known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        choices = ", ".join(repr(k) for k in self.known) or "none"
        super().__init__(
            f"unknown parameter {name!r}; the parameters cell{where} defines {choices}. {hint}"
            "List them with `mlops-jupyter params NOTEBOOK`"
        )


class ParameterValueError(InvalidParameterError):
    """A parameter value that cannot be converted to the type the notebook declares."""

    def __init__(self, name: str, value: object, expected: str, origin: str = "") -> None:
        self.name, self.value, self.expected = name, value, expected
        source = f" (from {origin})" if origin else ""
        super().__init__(
            f"parameter {name!r}: {value!r:.80} is not a valid {expected}{source}; "
            f"pass a value of type {expected}, e.g. {_EXAMPLES.get(expected, 'a literal')}"
        )


_EXAMPLES = {
    "int": "-p NAME 3",
    "float": "-p NAME 0.1",
    "bool": "-p NAME true",
    "str": "-p NAME text",
    "list": "-p NAME '[1, 2]'",
    "dict": "-p NAME '{a: 1}'",
}


class NoParametersCellError(InvalidParameterError):
    """Parameters were given for a notebook that has no cell tagged ``parameters``."""

    def __init__(self, notebook: str) -> None:
        self.notebook = notebook
        super().__init__(
            f"{notebook} has no cell tagged 'parameters', so it takes no parameters; tag the "
            "cell that assigns the defaults with 'parameters' (or start it with `#| parameters`)"
        )


class LimitExceededError(InvalidParameterError):
    """A request over one of mlops-jupyter's caps (parallel jobs, sweep points, value sizes)."""

    def __init__(self, what: str, value: object, cap: object, fix: str) -> None:
        self.what, self.value, self.cap = what, value, cap
        super().__init__(f"{what} {value} is over the limit of {cap}; {fix}")


class ValueLimitError(InvalidParameterError):
    """A param/tag/metric key or value beyond the limits both store backends share."""

    def __init__(self, what: str, key: str, problem: str) -> None:
        self.what, self.key, self.problem = what, key, problem
        super().__init__(f"{what} {key!r:.80}: {problem}")
