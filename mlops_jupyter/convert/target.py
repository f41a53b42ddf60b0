"""Where `convert` may write: the marker of its packages, and the refusal of any other folder.

One rule, shared with the script exporter (whose files carry a first-line marker): mlops-jupyter
replaces only output it wrote itself. A package is recognised by its marker file; a folder
without one is the user's and is never replaced, nor is any folder that holds the notebook.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from mlops_jupyter.errors import ForeignOutputError

#: Written into every generated package; its presence is what allows replacing the folder.
PACKAGE_MARKER = ".mlops-jupyter-package"
TOOL = "mlops-jupyter"


def marker_text(notebook: str) -> str:
    """The marker file's content: which tool, which version and which notebook wrote the package."""
    from mlops_jupyter.version import __version__

    return json.dumps({"tool": TOOL, "version": __version__, "notebook": notebook}, indent=2) + "\n"


def is_package(folder: Path) -> bool:
    """True when `folder` holds a readable marker written by mlops-jupyter."""
    try:
        data = json.loads((folder / PACKAGE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("tool") == TOOL


def _inside(folder: str, path: str) -> bool:
    return os.path.commonpath([folder, path]) == folder


def check_replaceable(
    target: Path,
    notebook: str | os.PathLike[str] | None = None,
    protected: Iterable[str | os.PathLike[str]] = (),
) -> None:
    """Refuse a target that converting would destroy: anything but a package mlops-jupyter wrote.

    Args:
        target: The package folder about to be written (may not exist yet).
        notebook: The notebook being converted; no folder containing it is ever replaced.
        protected: Further folders never replaced (the server passes its root).

    Raises:
        ForeignOutputError: the target is protected, holds the notebook, is a file, or is a
            non-empty folder without the marker.
    """
    real = os.path.realpath(target)
    for folder in protected:
        if real == os.path.realpath(folder):
            raise ForeignOutputError(target, "it is the server's root folder")
    if notebook is not None and _inside(real, os.path.realpath(notebook)):
        raise ForeignOutputError(
            target,
            f"it contains the notebook being converted ({os.path.basename(os.fspath(notebook))})",
        )
    if not target.exists():
        return
    if not target.is_dir():
        raise ForeignOutputError(target, "it is a file, not a package folder")
    if any(target.iterdir()) and not is_package(target):
        raise ForeignOutputError(
            target,
            f"it is not empty and was not written by mlops-jupyter "
            f"(no {PACKAGE_MARKER} file in it)",
        )
