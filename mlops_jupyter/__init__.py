"""mlops-jupyter: notebook-native experiment tracking, execution and conversion."""

from __future__ import annotations

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "0.1.0.dev0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt JupyterLab extension lives ("dest" is the npm package name)."""
    return [{"src": "labextension", "dest": "mlops-jupyter"}]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    """The jupyter_server extension: REST routes for the Runs panel."""
    from .server.app import MlopsJupyterApp

    return [{"module": "mlops_jupyter.server.app", "app": MlopsJupyterApp}]
