"""A cancel token for long executions: stops a sweep from starting points and kills its kernels.

The server hands one to each background job (``DELETE /mlops-jupyter/jobs/{id}`` and server
shutdown set it); ``run_notebook`` and ``sweep_notebook`` accept it as ``cancel=``. Kernels in
use are registered with the token, so cancelling kills them at once instead of waiting for the
running cell to end; the runs they executed end ``killed``.
"""

from __future__ import annotations

import threading
from typing import Any


class CancelToken:
    """Set once, from any thread; executions poll `cancelled` and register their kernels."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._kernels: set[Any] = set()
        self.reason = ""
        self.status = "killed"  # how the runs it stopped end ("pruned" for early stopping)
        self._grace = 0.0

    @property
    def cancelled(self) -> bool:
        """True once `cancel` was called."""
        return self._event.is_set()

    def cancel(
        self, reason: str = "cancelled", *, status: str = "killed", grace: float = 0
    ) -> None:
        """Stop: no new work starts, and every kernel in use is killed now.

        With `grace` seconds, the kernels are interrupted first (KeyboardInterrupt in the
        running cell, so runs tracked inside end and write their metrics) and killed only
        when still alive after `grace`; the runs end with `status`.
        """
        with self._lock:
            if not self._event.is_set():
                self.reason, self.status, self._grace = reason, status, grace
            self._event.set()
            kernels = list(self._kernels)
        for km in kernels:
            self._stop(km)

    def _stop(self, km: Any) -> None:
        if self._grace <= 0:
            _kill(km)
            return
        from mlops_jupyter.execution.kernels import KernelPool

        KernelPool.interrupt_now(km)
        timer = threading.Timer(self._grace, _kill, (km,))
        timer.daemon = True
        timer.start()

    def watch(self, km: Any) -> None:
        """Register a kernel in use; one acquired after the cancel is killed at once."""
        with self._lock:
            self._kernels.add(km)
            late = self._event.is_set()
        if late:
            self._stop(km)

    def unwatch(self, km: Any) -> None:
        """The kernel's execution ended (the pool discards it)."""
        with self._lock:
            self._kernels.discard(km)


def _kill(km: Any) -> None:
    from mlops_jupyter.execution.kernels import KernelPool

    KernelPool.kill_now(km)
