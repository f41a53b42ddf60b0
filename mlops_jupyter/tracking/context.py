"""Which run is active where (a stack per thread and asyncio task) and which runs are open in the
process (the registry the background flusher and the exit hook work through).

The active-run stack is a ContextVar holding an immutable tuple, as MLflow keeps its fluent stack
thread-local: three threads each inside their own ``with start_run()`` each log to their own run,
and concurrent server actions never become each other's parent. A context that never set the
variable falls back to the last stack set on its thread, because some notebook kernels run each
cell in a fresh copy of the context (ipykernel 7.0.0, ipykernel#1457; cells with ``await``,
ipykernel#749) and a run started in one cell must stay active in the next.

The registry of open runs is process-global: one background thread flushes every open run, and
at exit the runs still open are ended after that thread has stopped. So is each store's health
(did its last write succeed), and the replay of what was spooled while a store was away.
"""

from __future__ import annotations

import atexit
import contextvars
import sys
import threading
import time
from typing import Any, Protocol

from mlops_jupyter import env
from mlops_jupyter.store import RunStore, spool

_HEARTBEAT_SECONDS = 15.0
_JOIN_SECONDS = 10.0


def warn(message: str) -> None:
    """One line on stderr, prefixed so users can tell tracking's messages from their own."""
    print(f"mlops-jupyter: {message}", file=sys.stderr)


class StoreHealth:
    """Whether each store answered its last write, shared by all runs of the process, so an
    outage is warned about once and the user's thread does not keep retrying a dead store."""

    def __init__(self) -> None:
        self.down_since: dict[str, float] = {}
        self.lock = threading.Lock()

    def ok(self, url: str) -> bool:
        return url not in self.down_since

    def down_for(self, url: str) -> float:
        since = self.down_since.get(url)
        return 0.0 if since is None else time.monotonic() - since

    def failed(self, url: str) -> bool:
        """Note a failed write; True for the first one of an outage (warn then)."""
        with self.lock:
            first = url not in self.down_since
            self.down_since.setdefault(url, time.monotonic())
            return first

    def answered(self, url: str) -> bool:
        """Note a successful write; True when it ends an outage."""
        with self.lock:
            return self.down_since.pop(url, None) is not None


#: The health of every store this process writes to.
health = StoreHealth()


def replay_spool(store: RunStore, quiet: bool = True) -> spool.ReplayReport | None:
    """Write the metrics and run ends that processes spooled while `store` was away.

    Called at every start_run and successful flush (and by runs()/get_run()); cheap when nothing
    waits (one directory listing). Returns what was written, or None when nothing waited or the
    store is still away (`quiet`: no exception then; the spool stays for the next time).
    """
    if not spool.pending(store.url):
        return None
    try:
        report = spool.replay(store)
    except Exception:
        if quiet:
            return None
        raise
    if report.refused:
        print(spool.describe_refused(report.refused), file=sys.stderr)
    if report.files:
        ended = f"; ended {len(report.ended)} run(s)" if report.ended else ""
        warn(
            f"wrote {report.metrics} spooled metric points of {report.files} file(s) into "
            f"{store.location}{ended}"
        )
    return report


class OpenRun(Protocol):
    """What the context needs of a run (tracking.Run); kept structural to avoid an import cycle."""

    run_id: str
    parent_run_id: str | None
    status: str

    def background_flush(self, heartbeat: bool) -> None: ...

    def end(self, status: str = "finished", error: str | None = None) -> None: ...


_stack: contextvars.ContextVar[tuple[Any, ...] | None] = contextvars.ContextVar(
    "mlops_jupyter_active_runs", default=None
)
_thread_stack = threading.local()


def _current() -> tuple[Any, ...]:
    found = _stack.get()
    if found is None:
        found = getattr(_thread_stack, "runs", ())
    return found


def _set(runs: tuple[Any, ...]) -> None:
    _stack.set(runs)
    _thread_stack.runs = runs


def active() -> Any | None:
    """The innermost run of this thread/task that has not ended, if any."""
    for run in reversed(_current()):
        if run.status == "running":
            return run
    return None


class _Registry:
    """Every open run of the process, the flusher thread, and the exit hook."""

    def __init__(self) -> None:
        self.runs: list[Any] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.failed_exit = False

    def add(self, run: OpenRun) -> None:
        with self.lock:
            self.runs.append(run)
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._flush_loop, name="mlops-flush", daemon=True
                )
                self.thread.start()
                atexit.register(close)
                _install_excepthook()

    def discard(self, run: OpenRun) -> None:
        with self.lock:
            if run in self.runs:
                self.runs.remove(run)

    def snapshot(self) -> list[Any]:
        with self.lock:
            return list(self.runs)

    def _flush_loop(self) -> None:
        interval = env.get_float(env.FLUSH_INTERVAL, 0.5)
        last_beat = time.monotonic()
        while not self.stop.wait(interval):
            beat = time.monotonic() - last_beat > _HEARTBEAT_SECONDS
            for run in self.snapshot():
                if self.stop.is_set():
                    return
                try:
                    run.background_flush(beat)
                except Exception as err:
                    print(f"mlops-jupyter: background flush failed ({err})", file=sys.stderr)
            if beat:
                last_beat = time.monotonic()


_registry = _Registry()


def push(run: OpenRun) -> None:
    """Make `run` the active run of this thread/task and register it as open."""
    _set((*(r for r in _current() if r.status == "running"), run))
    _registry.add(run)


def forget(run: OpenRun) -> None:
    """`run` has ended: it leaves the open runs, and this thread's/task's stack."""
    _registry.discard(run)
    stack = _current()
    if run in stack:
        _set(tuple(r for r in stack if r is not run))


def open_runs() -> list[Any]:
    """Every run of this process not yet ended, in start order (any thread)."""
    return _registry.snapshot()


def children_of(run_id: str) -> list[Any]:
    """Open runs (any thread) whose parent is `run_id`, newest first."""
    return [r for r in reversed(_registry.snapshot()) if r.parent_run_id == run_id]


def close() -> None:
    """At exit: stop the flusher thread and wait for it (so no flush runs while the interpreter
    tears down), then end the runs still open, which writes or spools what they buffered."""
    _registry.stop.set()
    thread = _registry.thread
    if thread is not None and thread is not threading.current_thread():
        thread.join(_JOIN_SECONDS)
    status = "failed" if _registry.failed_exit else "finished"
    error = "the process exited with an uncaught exception" if _registry.failed_exit else None
    for run in reversed(_registry.snapshot()):
        try:
            run.end(status, error)
        except Exception as err:
            print(f"mlops-jupyter: could not close run {run.run_id[:8]}: {err}", file=sys.stderr)


def _install_excepthook() -> None:
    previous = sys.excepthook

    def hook(exc_type: Any, exc: Any, tb: Any) -> None:
        _registry.failed_exit = True
        previous(exc_type, exc, tb)

    sys.excepthook = hook
