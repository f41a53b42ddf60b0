"""Model URIs as MLflow spells them: runs:/RUN_ID/NAME, models:/NAME/VERSION, models:/NAME@ALIAS."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlops_jupyter.errors import InvalidArgumentError, ModelURIError

#: What a model name or an alias may hold (they are parts of URIs and file names).
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,255}$")
_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,255}$")


@dataclass(frozen=True)
class ModelURI:
    """A parsed URI: a run's model (`run_id`, `path`) or a registered one (`name` with
    `version`, `alias`, or `latest`)."""

    uri: str
    run_id: str | None = None
    path: str | None = None
    name: str | None = None
    version: int | None = None
    alias: str | None = None


def parse_uri(uri: str) -> ModelURI:
    """Parse a model URI, naming what is wrong with a bad one."""
    if not isinstance(uri, str):
        raise ModelURIError(repr(uri), f"a URI is a string, not {type(uri).__name__}")
    if uri.startswith("runs:/"):
        rest = uri[len("runs:/") :].strip("/")
        run_id, _, path = rest.partition("/")
        if not run_id or not path:
            raise ModelURIError(uri, "a runs:/ URI needs both the run id and the model name")
        return ModelURI(uri, run_id=run_id, path=path)
    if uri.startswith("models:/"):
        rest = uri[len("models:/") :].strip("/")
        if "@" in rest:
            name, _, alias = rest.partition("@")
            check_name(name, uri)
            return ModelURI(uri, name=name, alias=check_alias(alias, uri))
        name, _, version = rest.rpartition("/")
        check_name(name, uri)
        if version == "latest":
            return ModelURI(uri, name=name)
        if not version.isdigit() or int(version) < 1:
            raise ModelURIError(uri, f"version {version!r} is not a number 1, 2, ... or latest")
        return ModelURI(uri, name=name, version=int(version))
    raise ModelURIError(uri, "it starts with neither runs:/ nor models:/")


def check_name(name: str, uri: str | None = None) -> str:
    """A registered model name, or one error naming the allowed characters."""
    if not isinstance(name, str) or not _NAME.match(name):
        problem = (
            f"model name {name!r:.80} is not allowed: use letters, digits, spaces, '_', '.' and "
            "'-' (up to 256, starting with a letter or digit)"
        )
        raise ModelURIError(uri, problem) if uri else InvalidArgumentError(problem)
    return name


def check_alias(alias: str, uri: str | None = None) -> str:
    """An alias name (letters, digits, _ and -; not `latest` nor v1, v2, ... as in MLflow)."""
    bad = not isinstance(alias, str) or not _ALIAS.match(alias)
    if bad or alias == "latest" or re.fullmatch(r"v\d+", alias):
        problem = (
            f"alias {alias!r:.80} is not allowed: use letters, digits, '_' and '-', starting with "
            "a letter ('latest' and v1, v2, ... are reserved)"
        )
        raise ModelURIError(uri, problem) if uri else InvalidArgumentError(problem)
    return alias


def run_uri(run_id: str, path: str) -> str:
    """The runs:/ URI of a run's model."""
    return f"runs:/{run_id}/{path}"
