"""Reading and validating notebook files without importing nbformat (keeps `export script` fast)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Union

from mlops_jupyter.errors import NotebookError

NotebookLike = Union[str, "os.PathLike[str]", Mapping[str, Any]]


def read_notebook(source: NotebookLike) -> dict[str, Any]:
    """Load a notebook from a path (or accept an already loaded dict) and validate it.

    Args:
        source: Path to a ``.ipynb`` file, or a notebook dict / NotebookNode.

    Returns:
        The notebook as a dict, with every cell's ``source`` joined into one string.

    Raises:
        NotebookError: the file is missing, is not JSON, is not nbformat 4, or is not Python.
    """
    if isinstance(source, Mapping):
        nb, where = dict(source), "the notebook"
    else:
        where = str(source)
        try:
            text = Path(source).read_text(encoding="utf-8")
        except FileNotFoundError as err:
            raise NotebookError(f"notebook {where} does not exist; check the path") from err
        except (OSError, UnicodeDecodeError) as err:
            raise NotebookError(f"cannot read notebook {where}: {err}; expected a UTF-8 .ipynb file") from err
        try:
            nb = json.loads(text)
        except json.JSONDecodeError as err:
            raise NotebookError(
                f"{where} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}); "
                "expected a Jupyter .ipynb file: restore it from version control or re-save it "
                "from JupyterLab"
            ) from err
    _validate(nb, where)
    cells = []
    for cell in nb["cells"]:
        cell = dict(cell)
        src = cell.get("source", "")
        cell["source"] = "".join(src) if isinstance(src, list) else str(src)
        cell.setdefault("metadata", {})
        cells.append(cell)
    nb["cells"] = cells
    return nb


def _validate(nb: Any, where: str) -> None:
    if not isinstance(nb, dict) or "cells" not in nb and "worksheets" not in nb:
        raise NotebookError(f"{where} is JSON but not a notebook (no 'cells'); expected an .ipynb file")
    version = nb.get("nbformat")
    if version != 4 or "worksheets" in nb:
        raise NotebookError(
            f"{where} is nbformat {version!r}; expected nbformat 4. Upgrade it with "
            f"`jupyter nbconvert --to notebook --nbformat 4 --output upgraded.ipynb {where}`"
        )
    if not isinstance(nb.get("cells"), list):
        raise NotebookError(f"{where} has a malformed 'cells' entry; expected a list of cells")
    for index, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in {"code", "markdown", "raw"}:
            raise NotebookError(
                f"{where}: cell {index} is malformed (expected an object whose cell_type is "
                "'code', 'markdown' or 'raw'); re-save the notebook from JupyterLab")
        if not isinstance(cell.get("source", ""), (str, list)):
            raise NotebookError(f"{where}: cell {index} has a source that is not text; "
                                "re-save the notebook from JupyterLab")
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
