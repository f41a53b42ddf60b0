"""What every handler of the server extension shares: the store, the root dir, the pools."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from mlops_jupyter.server.jobs import JobRegistry

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
        """The run store, opened on first use so a broken store is a clear HTTP error, not a
        crash."""
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
        except Exception as err:
            logging.getLogger(__name__).debug("mlops-jupyter: store warm-up failed: %s", err)

    def close(self) -> None:
        """Cancel running jobs (their kernels are killed), stop the pools, release the store."""
        self.jobs.shutdown()
        self.actions.shutdown(wait=False, cancel_futures=True)
        if self._store is not None:
            self._store.dispose()
