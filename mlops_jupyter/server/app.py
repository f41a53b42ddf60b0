"""The server extension application: traitlets configuration, shared context, route table."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Int, Unicode

from mlops_jupyter.server.jobs import JobRegistry
from mlops_jupyter.server.routes import route_table

if TYPE_CHECKING:
    from mlops_jupyter.store import RunStore


class ServerContext:
    """What every handler shares: the lazily opened store, the root dir, the foreground action
    pool (export, convert) and the background jobs (sweeps, re-runs) on a pool of their own."""

    def __init__(self, store_url: str | None, root_dir: str, metric_max_points: int) -> None:
        self.store_url = store_url or None
        self.root_dir = root_dir
        self.metric_max_points = metric_max_points
        self.actions = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mlops-action")
        self.jobs = JobRegistry()
        self._store: RunStore | None = None
        self._lock = threading.Lock()

    @property
    def store(self) -> RunStore:
        """The run store, opened on first use so a broken store is a clear HTTP error, not a crash."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    from mlops_jupyter.store import open_store

                    self._store = open_store(url=self.store_url)
        return self._store

    def warm_up(self) -> None:
        """Open the store (and import SQLAlchemy) ahead of the first request; errors wait for it."""
        try:
            self.store.count_runs()
        except Exception as err:  # noqa: BLE001  the first request reports it with its status
            logging.getLogger(__name__).debug("mlops-jupyter: store warm-up failed: %s", err)

    def close(self) -> None:
        """Cancel running jobs (their kernels are killed), stop the pools, release the store."""
        self.jobs.shutdown()
        self.actions.shutdown(wait=False, cancel_futures=True)
        close = getattr(self._store, "close", None)
        if callable(close):
            close()


class MlopsJupyterApp(ExtensionApp):
    """mlops-jupyter's server extension: REST routes for the Runs panel.

    Configure with ``c.MlopsJupyterApp.store_url = "postgresql://..."`` (or ``--MlopsJupyterApp.store_url``).
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
        help="Longest metric history sent to the browser; longer series are downsampled (min/max per bucket).",
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
