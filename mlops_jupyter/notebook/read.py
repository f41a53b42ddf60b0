"""Reading notebooks: the one function every command, magic and route uses, with one set of
messages.

nbformat is not imported for an nbformat 4 file (it costs about a second, which `export script`
and `params` should not pay); older formats are upgraded in memory with nbformat's converter.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Union

from mlops_jupyter.errors import NotebookError

NotebookLike = Union[str, "os.PathLike[str]", Mapping[str, Any]]


def fast_nbformat() -> None:
    """Make the next nbformat import skip its 1-second cost.

    nbformat imports jsonschema, whose optional ``rfc3987_syntax`` format checker builds a lark
    grammar at import (about 1 s on this machine); nbformat never validates that format, so
    the import is skipped in this process. Called before nbformat/papermill are imported.
    """
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # -> ImportError


def read_notebook(source: NotebookLike, *, python_only: bool = False) -> dict[str, Any]:
    """Load a notebook from a path (or accept an already loaded dict), as nbformat 4, validated.

    Args:
        source: Path to a ``.ipynb`` file, or a notebook dict / NotebookNode.
        python_only: Refuse a notebook whose kernel is not Python (export and convert only
            understand Python; running a notebook works with any kernel).

    Returns:
        The notebook as a nbformat 4 dict, with every cell's ``source`` joined into one string
        and a ``metadata`` dict on every cell. nbformat 1-3 notebooks are upgraded.

    Raises:
        NotebookError: the path is missing or a directory, the file is not JSON, not a
            notebook, or written by a newer nbformat; or (``python_only``) not a Python notebook.
    """
    if isinstance(source, Mapping):
        nb, where = dict(source), "the notebook"
    else:
        nb, where = _load_json(source), str(source)
    return parse_notebook(nb, where, python_only=python_only)


def parse_notebook(nb: Any, where: str, *, python_only: bool = False) -> dict[str, Any]:
    """``read_notebook`` for already decoded JSON; ``where`` names it in messages."""
    nb = _upgraded(nb, where)
    _validate(nb, where)
    if python_only:
        _require_python(nb, where)
    cells = []
    for cell in nb["cells"]:
        cell = dict(cell)
        src = cell.get("source", "")
        cell["source"] = "".join(src) if isinstance(src, list) else str(src)
        cell.setdefault("metadata", {})
        cells.append(cell)
    nb["cells"] = cells
    nb.setdefault("metadata", {})
    return nb


def _load_json(path: str | os.PathLike[str]) -> Any:
    where = str(path)
    if Path(path).is_dir():
        raise NotebookError(f"{where} is a directory; expected a .ipynb notebook file")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise NotebookError(f"notebook {where} does not exist; check the path") from err
    except (OSError, UnicodeDecodeError) as err:
        raise NotebookError(
            f"cannot read notebook {where}: {err}; expected a UTF-8 .ipynb file"
        ) from err
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise NotebookError(
            f"{where} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}); "
            "expected a Jupyter .ipynb file: restore it from version control or re-save it "
            "from JupyterLab"
        ) from err


def _upgraded(nb: Any, where: str) -> Any:
    """nbformat 1-3 -> 4 with nbformat's own converter; anything else is returned as is."""
    if not isinstance(nb, dict):
        return nb
    version = nb.get("nbformat")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version < 4:
        return nb
    fast_nbformat()
    import nbformat

    try:
        upgraded = nbformat.convert(nbformat.from_dict(nb), 4)
    except Exception as err:  # nbformat raises many types on a malformed file
        raise NotebookError(
            f"{where} is nbformat {version} and could not be upgraded to nbformat 4 ({err}); "
            "open it in JupyterLab and save it again"
        ) from err
    return json.loads(json.dumps(upgraded))


def _validate(nb: Any, where: str) -> None:
    if not isinstance(nb, dict) or ("cells" not in nb and "worksheets" not in nb):
        raise NotebookError(
            f"{where} is JSON but not a notebook (no 'cells'); expected an .ipynb file"
        )
    version = nb.get("nbformat")
    if version != 4 or "worksheets" in nb:
        raise NotebookError(
            f"{where} is nbformat {version!r}, which this version of mlops-jupyter cannot read; "
            "expected nbformat 4 (1-3 are upgraded): save it from JupyterLab 4 or Notebook 7"
        )
    if not isinstance(nb.get("cells"), list):
        raise NotebookError(f"{where} has a malformed 'cells' entry; expected a list of cells")
    for index, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in {"code", "markdown", "raw"}:
            raise NotebookError(
                f"{where}: cell {index} is malformed (expected an object whose cell_type is "
                "'code', 'markdown' or 'raw'); re-save the notebook from JupyterLab"
            )
        if not isinstance(cell.get("source", ""), (str, list)):
            raise NotebookError(
                f"{where}: cell {index} has a source that is not text; "
                "re-save the notebook from JupyterLab"
            )


def _require_python(nb: Mapping[str, Any], where: str) -> None:
    language = kernel_language(nb)
    if language is not None and language.lower() not in {"python", "python3", "ipython"}:
        raise NotebookError(
            f"{where} uses a {language!r} kernel; expected a Python kernel. Only Python notebooks "
            "can be exported or converted: change the kernel to Python 3 and re-save"
        )


def kernel_language(nb: Mapping[str, Any]) -> str | None:
    """Return the notebook's kernel language from its metadata, or None when unrecorded."""
    meta = nb.get("metadata") or {}
    spec = meta.get("kernelspec") or {}
    info = meta.get("language_info") or {}
    language = spec.get("language") or info.get("name")
    return str(language) if language else None
