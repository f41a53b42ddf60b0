"""Whether the process that owns a running run is still alive (pid on this host, or heartbeat)."""

from __future__ import annotations

import functools
import socket
from collections.abc import Iterable

HOST = socket.gethostname()


@functools.lru_cache(maxsize=4)
def process_start(pid: int) -> float | None:
    """The start time of process `pid` (tells a reused pid from the original), None if unknown."""
    try:
        import psutil

        return psutil.Process(pid).create_time()
    except Exception:
        return None


def process_alive(pid: int, started: float | None) -> bool:
    """Whether `pid` runs and is the same process that started at `started`."""
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return started is None or abs(proc.create_time() - started) < 1.0
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return psutil.pid_exists(pid)  # AccessDenied: it exists


def dead_runs(
    rows: Iterable[tuple[str, int | None, float | None, str | None, float | None]],
    now: float,
    timeout: float,
) -> list[str]:
    """The ids among (run_id, pid, pid_started, host, heartbeat) rows whose owner is gone:
    a dead pid on this host, or no heartbeat for `timeout` seconds on any host."""
    return [
        run_id
        for run_id, pid, started, host, beat in rows
        if (host == HOST and pid is not None and not process_alive(pid, started))
        or (beat is not None and now - beat > timeout)
    ]
