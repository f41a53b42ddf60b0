"""The server extension application: traitlets configuration, shared context, route table."""

from __future__ import annotations

from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Int, Unicode

from mlops_jupyter.server.context import ServerContext
from mlops_jupyter.server.routes import route_table


class MlopsJupyterApp(ExtensionApp):
    """mlops-jupyter's server extension: REST routes for the Runs panel.

    Configure with ``c.MlopsJupyterApp.store_url = "postgresql://..."`` (or
    ``--MlopsJupyterApp.store_url``).
    """

    name = "mlops_jupyter"
    load_other_extensions = True

    store_url = Unicode(
        None,
        allow_none=True,
        config=True,
        help=(
            "URL or path of the run store. Empty: the same store kernels and the CLI use "
            "(MLOPS_JUPYTER_STORE, else <project root>/.mlops/runs.db)."
        ),
    )
    metric_max_points = Int(
        1000,
        config=True,
        help=(
            "Longest metric history sent to the browser; longer series are downsampled "
            "(min/max per bucket)."
        ),
    )

    def initialize_settings(self) -> None:
        root_dir = getattr(self.serverapp, "root_dir", ".") if self.serverapp else "."
        self.context = ServerContext(self.store_url, root_dir, self.metric_max_points)
        self.settings["mlops_jupyter"] = self.context
        # Open the store in the background now, so the panel's first request does not pay for it;
        # an error here is reported by that first request instead.
        self.context.actions.submit(self.context.warm_up)
        self.log.info("mlops-jupyter: run store %s", self.store_url or "(project default)")

    def initialize_handlers(self) -> None:
        self.handlers.extend(route_table())

    async def stop_extension(self) -> None:
        context: Any = getattr(self, "context", None)
        if context is not None:
            context.close()
