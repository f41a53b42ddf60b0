"""A validated notebook job: the source, its typed parameters and kernel, ready to execute.

A job holds the notebook's text rather than its path, so that what runs is what was validated
(a notebook edited during a sweep does not change later points) and so that it can travel to a
Dask worker on another machine.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_jupyter.execution.parameters import (
    collect_parameters,
    effective_parameters,
    mark_parameters_cell,
    notebook_schema,
    validate_parameters,
)
from mlops_jupyter.notebook.parameters import ParamSpec
from mlops_jupyter.notebook.read import fast_nbformat, parse_notebook, read_notebook

DEFAULT_KERNEL = "python3"


@dataclass(frozen=True)
class NotebookJob:
    """One notebook with validated parameter overrides (picklable).

    Attributes:
        path: Absolute path of the source notebook (recorded on the run).
        source: The notebook's JSON text, as read when the job was prepared.
        parameters: Validated overrides, injected by papermill.
        schema: The parameters schema (None: no parameters cell).
        kernel_name: Kernelspec from the notebook metadata (or the caller).
    """

    path: str
    source: str
    parameters: dict[str, Any]
    schema: tuple[ParamSpec, ...] | None
    kernel_name: str = DEFAULT_KERNEL
    cell_keys: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    language: str = "python"

    @property
    def all_parameters(self) -> dict[str, Any]:
        """Every value the notebook sees: the schema's defaults updated with the overrides."""
        return effective_parameters(self.schema, self.parameters)

    def with_parameters(self, values: Mapping[str, Any], origin: str = "") -> NotebookJob:
        """The same notebook with other overrides (validated); used for sweep points."""
        checked = validate_parameters(self.schema, values, self.path, origin)
        return NotebookJob(
            self.path,
            self.source,
            {**self.parameters, **checked},
            self.schema,
            self.kernel_name,
            self.cell_keys,
            self.language,
        )

    def source_cell_index(self, cell: Mapping[str, Any]) -> int | None:
        """Index in the source notebook of an executed cell (by id, else by source text)."""
        text = _text(cell.get("source", ""))
        for index, (cell_id, _source) in enumerate(self.cell_keys):
            if cell.get("id") and cell.get("id") == cell_id:
                return index
        for index, (_cell_id, source) in enumerate(self.cell_keys):
            if source == text:
                return index
        return None


def _text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def prepare_job(
    path: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    *,
    files: Iterable[str] = (),
    pairs: Iterable[Sequence[str]] = (),
    kernel_name: str | None = None,
) -> NotebookJob:
    """Read a notebook and validate parameters against its schema; no kernel is started.

    Args:
        path: The notebook file.
        parameters: Python values (override files and pairs).
        files: YAML/JSON files of values, applied in order.
        pairs: ``(name, text)`` pairs from ``-p``.
        kernel_name: Kernelspec to use instead of the notebook's.

    Returns:
        The job, ready for `execute_job`.

    Raises:
        NotebookError: the notebook cannot be read or its parameters cell is not Python.
        InvalidParameterError: an unknown name, a wrong type, or no parameters cell.
    """
    fast_nbformat()
    import nbformat

    full = str(Path(path).expanduser().resolve())
    nb = read_notebook(full)
    mark_parameters_cell(nb)
    schema = notebook_schema(nb)
    values = collect_parameters(schema, os.fspath(path), files, pairs, parameters)
    keys = tuple((c.get("id", ""), _text(c.get("source", ""))) for c in nb["cells"])
    return NotebookJob(
        full,
        nbformat.writes(nbformat.from_dict(nb)),
        values,
        None if schema is None else tuple(schema),
        *_kernel(nb, kernel_name, keys),
    )


def job_from_source(
    path: str, source: str, parameters: Mapping[str, Any], kernel_name: str | None = None
) -> NotebookJob:
    """A job from recorded notebook text (reproduce), validated like `prepare_job`."""
    fast_nbformat()
    import nbformat

    nb = parse_notebook(json.loads(source), path)
    if mark_parameters_cell(nb):
        source = nbformat.writes(nbformat.from_dict(nb))
    schema = notebook_schema(nb)
    known = {s.name for s in schema or ()}
    values = validate_parameters(schema, {k: v for k, v in parameters.items() if k in known}, path)
    keys = tuple((c.get("id", ""), _text(c.get("source", ""))) for c in nb["cells"])
    return NotebookJob(
        path,
        source,
        values,
        None if schema is None else tuple(schema),
        *_kernel(nb, kernel_name, keys),
    )


def _kernel(
    nb: Any, kernel_name: str | None, keys: tuple[tuple[str, str], ...]
) -> tuple[str, tuple[tuple[str, str], ...], str]:
    """(kernel name, cell keys, language); a notebook without metadata runs on python3."""
    metadata = nb.get("metadata") or {}
    spec = metadata.get("kernelspec") or {}
    language = spec.get("language") or (metadata.get("language_info") or {}).get("name")
    return kernel_name or spec.get("name") or DEFAULT_KERNEL, keys, language or "python"


def source_bytes(job: NotebookJob) -> bytes:
    """The job's notebook as bytes (for the ``source.ipynb`` artifact)."""
    return job.source.encode("utf-8")


def point_key(values: Mapping[str, Any]) -> str:
    """A canonical text key of a point's values (to match points across sweep resumes)."""
    return json.dumps(values, sort_keys=True, default=str)
