"""jupyter_server extension: authenticated REST routes under /mlops-jupyter/ over the run store."""

from __future__ import annotations

from .app import MlopsJupyterApp

__all__ = ["MlopsJupyterApp"]
