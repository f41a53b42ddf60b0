"""A run's metric buffer: points kept in memory, written in batches, spooled while the store
is away.

Metrics are validated at the call, appended to an in-memory buffer (a lock and a list append:
about a microsecond) and written in batches by a background thread every ~0.5 s, at run end and
at interpreter exit, so a training loop never waits on the database. Tracking never raises a
store failure into the loop: while the store is away the buffer grows up to a cap and then
moves to a local spool file (store/spool.py), written into the store when it answers again.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from mlops_jupyter.store import RunStore, spool
from mlops_jupyter.store.values import check_metric
from mlops_jupyter.tracking.context import health, replay_spool, warn

#: Buffered points at which log_metric writes the buffer itself (while the store answers).
_BUFFER_LIMIT = 50_000
#: Buffered points at which, the store being away, the buffer moves to the spool file.
_SPOOL_LIMIT = 200_000
#: Seconds of outage after which the background flusher spools the buffer (a crash then loses
#: nothing either).
_SPOOL_AFTER_SECONDS = 5.0
#: Seconds end() retries the store before it spools the run's last points and its end.
_END_RETRY_SECONDS = 5.0


class MetricBuffer:
    """The metric points of one run not yet in the store, and the run's last write (its end).

    One buffer per Run; the run's name appears in the warnings a user sees about it.
    """

    def __init__(
        self, store: RunStore, run_id: str, name: str, next_steps: dict[str, int] | None = None
    ) -> None:
        self.store, self.run_id, self.name = store, run_id, name
        self._pending: list[tuple[str, str, int, float, float]] = []
        self._lock = threading.Lock()  # guards the buffer: held for microseconds
        self._flush_lock = threading.Lock()  # one flush at a time, so end() waits for in-flight
        self._next_step: dict[str, int] = dict(next_steps or {})
        self._spool_warned = False

    def add(self, key: str, value: Any, step: int | None, timestamp: float | None) -> None:
        """Buffer one point (`step` None: the key's next step); never raises because of the
        store.

        Raises:
            InvalidMetricError: the key, value or step cannot be stored (checked now, on every
                call, so one bad point cannot poison the batch it would have joined).
        """
        value, step = check_metric(key, value, step)
        with self._lock:
            if step is None:
                step = self._next_step.get(key, 0)
            self._next_step[key] = max(step + 1, self._next_step.get(key, 0))
            self._pending.append((self.run_id, key, step, value, timestamp or time.time()))
            full = len(self._pending) >= _BUFFER_LIMIT
        if full:
            self._relieve()

    def logged_keys(self) -> set[str]:
        """The metric keys buffered so far (by this process, since the run started or resumed)."""
        with self._lock:
            return set(self._next_step)

    def flush(self) -> None:
        """Write buffered metrics now; points the store refuses are dropped with one warning.

        Raises:
            StoreUnavailableError: the store is away; the metrics stay buffered (or spooled).
        """
        with self._flush_lock:
            self._write_pending()

    def _write_pending(self) -> None:
        """Write the buffer (the caller holds the flush lock); on failure it is put back. Then
        write what the spool holds for this store (an empty buffer proves nothing about the
        store, so then only a waiting spool is tried)."""
        with self._lock:
            batch, self._pending = self._pending, []
        if batch:
            try:
                refused = spool.write_metrics(self.store, batch)
            except BaseException:
                with self._lock:
                    self._pending[:0] = batch
                raise
            if refused:
                print(spool.describe_refused(refused), file=sys.stderr)
            self._store_answered()
        elif not spool.pending(self.store.url):
            return
        replay_spool(self.store, quiet=False)
        self._store_answered()

    def _store_answered(self) -> None:
        """The store took a write: the outage (if any) is over."""
        if health.answered(self.store.url):
            warn(f"the store at {self.store.location} answers again; writing what was kept")

    def _store_failed(self, err: BaseException) -> None:
        if health.failed(self.store.url):
            warn(
                f"cannot write metrics to the store yet ({err}). Your code goes on: metrics "
                f"stay buffered, then spooled to {spool.spool_folder(self.store.url)}, and "
                "are written when the store is back"
            )

    def _relieve(self) -> None:
        """add() found the buffer full: write it while the store answers, else keep
        buffering up to _SPOOL_LIMIT points and then move them to the spool. Never raises."""
        if health.ok(self.store.url):
            if self._flush_lock.acquire(timeout=5.0):
                try:
                    self._write_pending()
                    return
                except Exception as err:
                    self._store_failed(err)
                finally:
                    self._flush_lock.release()
            else:  # a write in flight for 5 s: a hung store; stop waiting on it
                self._store_failed(TimeoutError("a write has not returned for 5 s"))
        with self._lock:
            full = len(self._pending) >= _SPOOL_LIMIT
        if full:
            self._spool_pending()

    def _spool_pending(
        self, end: dict[str, Any] | None = None, batch: list[Any] | None = None
    ) -> bool:
        """Move the buffer (or `batch`) and the run's `end` to its spool file; False (and the
        points kept in memory) when the spool cannot be written either."""
        if batch is None:
            with self._lock:
                batch, self._pending = self._pending, []
        try:
            spool.append(self.store.url, self.run_id, batch, end)
            return True
        except OSError as err:
            with self._lock:
                self._pending[:0] = batch
            if not self._spool_warned:
                self._spool_warned = True
                warn(
                    f"cannot spool metrics of run {self.run_id[:8]} either ({err}); they "
                    "stay in memory until the store is back"
                )
            return False

    def background_flush(self, heartbeat: bool) -> None:
        """One tick of the background flusher: write (and with `heartbeat` tell the store the
        run's writer is alive), or note the outage and spool the buffer once the store has been
        away for _SPOOL_AFTER_SECONDS. Never raises."""
        try:
            self.flush()
            if heartbeat:
                self.store.heartbeat([self.run_id])
        except Exception as err:
            self._store_failed(err)
            if health.down_for(self.store.url) > _SPOOL_AFTER_SECONDS and self._pending:
                self._spool_pending()

    def finish(self, status: str, error: str | None) -> None:
        """Write the last points and the run's end in one transaction (after any flush in
        flight). When the store is away it retries for a few seconds, then saves both to the
        spool (written at the store's next open): it never raises because of the store."""
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            self._finish(batch, status, error)

    def _finish(self, batch: list[Any], status: str, error: str | None) -> None:
        ended = time.time()
        deadline, delay = time.monotonic() + _END_RETRY_SECONDS, 0.1
        if not health.ok(self.store.url):
            deadline = time.monotonic() + 1.0  # an outage already known: one short retry
        while True:
            try:
                refused = spool.end_run(self.store, self.run_id, status, error, batch, ended)
            except Exception as err:
                self._store_failed(err)
                if time.monotonic() + delay > deadline:
                    break
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            except BaseException:  # Ctrl-C while retrying: keep the points, then stop
                self._spool_pending({"status": status, "error": error, "end_time": ended}, batch)
                raise
            if refused:
                print(spool.describe_refused(refused), file=sys.stderr)
            self._store_answered()
            replay_spool(self.store)
            return
        end = {"status": status, "error": error, "end_time": ended}
        if self._spool_pending(end, batch):
            warn(
                f"run {self.run_id[:8]} ({self.name}) ended while the store was away: its "
                f"last {len(batch)} points and its end ({status}) were saved to "
                f"{spool.spool_folder(self.store.url)} and are written when a run starts or "
                "the store is read again"
            )
        else:
            warn(
                f"run {self.run_id[:8]} ({self.name}) could not be ended: the store and the "
                f"spool are both unavailable; {len(batch)} points are lost"
            )
