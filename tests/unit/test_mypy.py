"""The package type-checks clean under the [tool.mypy] configuration of pyproject.toml."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_mypy_finds_no_error_in_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """mypy as configured in pyproject.toml (``packages``, strict defs for notebook/store/
    tracking) reports nothing; on failure the assertion shows mypy's report.

    The incremental cache lives in the temp folder, one per checkout, so that a second run only
    re-checks what changed (under a second warm, about 20 s cold on this machine).
    """
    cache = Path(tempfile.gettempdir()) / (
        "mlops-jupyter-mypy-" + hashlib.sha256(str(ROOT).encode()).hexdigest()[:12])
    monkeypatch.chdir(ROOT)  # `packages` is found from the current folder, not site-packages
    report, errors, status = api.run(["--config-file", str(ROOT / "pyproject.toml"),
                                      "--cache-dir", str(cache)])
    assert status == 0, f"mypy found errors:\n{report}{errors}"
    assert "Success: no issues found" in report
