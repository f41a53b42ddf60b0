"""jupyter_server extension: authenticated REST routes under /mlops-jupyter/ over the run store."""

from __future__ import annotations

from mlops_jupyter.server.app import MlopsJupyterApp

__all__ = ["MlopsJupyterApp"]
