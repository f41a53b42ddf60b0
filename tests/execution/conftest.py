"""Fixtures for execution tests: tiny notebooks written with nbformat, kernels that import
this checkout of mlops_jupyter."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).parent / "notebooks"
_CHECKOUT = str(Path(__file__).resolve().parents[2])


@pytest.fixture(autouse=True)
def _kernel_imports_this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kernels inherit os.environ: make `import mlops_jupyter` in them load this checkout."""
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if _CHECKOUT not in paths:
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join([_CHECKOUT, *paths]))


