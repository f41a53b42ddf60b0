"""Background jobs of the server (sweeps, re-runs, conversions): their own pool, records,
progress, cancel and pruning.

Background jobs never share threads with foreground calls (export, convert), so two long sweeps
cannot make an export wait. Each job gets a CancelToken: ``DELETE /jobs/{id}`` or the server's
shutdown sets it, which stops a sweep from starting points and kills the kernels in use.
Ended jobs are kept for KEEP_SECONDS, and at most MAX_ENDED of them. A job reports its progress
through a JobProgress (``progress``: text, done, total) and ends with its links (``links``: the
run it made, the run it started from, the folder it wrote), which the panel shows as links.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from mlops_jupyter.errors import RunCancelledError, RunStateError
from mlops_jupyter.server.status import status_for

if TYPE_CHECKING:
    from mlops_jupyter.execution.cancel import CancelToken

#: Background jobs executed at once; more wait as "queued".
BACKGROUND_WORKERS = 2
#: Ended jobs are forgotten after this many seconds ...
KEEP_SECONDS = 3600.0
#: ... or when more than this many ended jobs are kept (oldest first).
MAX_ENDED = 200
ENDED = ("finished", "failed", "cancelled")


class JobProgress:
    """Where a running job says how far it is: the latest line, and done / total when countable.

    Written from the job's thread, read by the handlers' polls: each report replaces the whole
    snapshot at once, so a reader never sees half of one."""

    def __init__(self) -> None:
        self._snapshot: dict[str, Any] | None = None

    def report(self, text: str, done: int | None = None, total: int | None = None) -> None:
        """Say what the job is doing now (e.g. ``capturing: cell 2 of 5``, done=2, total=5)."""
        self._snapshot = {"text": text, "done": done, "total": total}

    def snapshot(self) -> dict[str, Any] | None:
        """The latest report (None before the first)."""
        return None if self._snapshot is None else dict(self._snapshot)


#: What a job's call returns: its one-line summary, or that and its links (run_id,
#: original_run_id, output_path; any may be missing).
JobOutcome = str | tuple[str, dict[str, str]]


class JobRegistry:
    """Records of the server's background jobs and the pool they run on."""

    def __init__(self, workers: int = BACKGROUND_WORKERS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlops-job")
        self._lock = threading.Lock()
        self._jobs: dict[str, dict[str, Any]] = {}
        self._tokens: dict[str, CancelToken] = {}
        self._futures: dict[str, Future[None]] = {}
        self._progress: dict[str, JobProgress] = {}
        self._closed = False

    def submit(
        self,
        action: str,
        call: Callable[[], JobOutcome],
        token: CancelToken,
        progress: JobProgress | None = None,
    ) -> dict[str, Any]:
        """Queue `call` (which honours `token`, reports to `progress` and returns its summary and
        links); answer the job's record at once."""
        job_id = uuid.uuid4().hex
        record: dict[str, Any] = {
            "job_id": job_id,
            "action": action,
            "status": "queued",
            "started": time.time(),
            "ended": None,
            "message": None,
            "result": None,
            "http_status": None,
            "progress": None,
            "links": {},
        }
        with self._lock:
            if self._closed:
                raise RunStateError("the server is shutting down; no new jobs are started")
            self._prune()
            self._jobs[job_id], self._tokens[job_id] = record, token
            self._progress[job_id] = progress or JobProgress()
            self._futures[job_id] = self._pool.submit(self._run, job_id, call, token)
            return dict(record)

    def _run(self, job_id: str, call: Callable[[], JobOutcome], token: CancelToken) -> None:
        with self._lock:
            if token.cancelled:
                return
            self._jobs[job_id]["status"] = "running"
        try:
            outcome = call()
            result, links = (outcome, {}) if isinstance(outcome, str) else outcome
            update: dict[str, Any] = {"status": "finished", "result": result, "links": links}
        except RunCancelledError:
            update = {"status": "cancelled", "message": token.reason or "cancelled"}
        except Exception as err:
            # the status and message a foreground call would have answered with
            update = {
                "status": "failed",
                "message": f"{type(err).__name__}: {err}",
                "http_status": status_for(err),
            }
        if token.cancelled and update["status"] != "failed":
            update["status"] = "cancelled"
            update["message"] = token.reason or "cancelled"
        with self._lock:
            self._jobs[job_id].update(update, ended=time.time())
            self._futures.pop(job_id, None)

    def get(self, job_id: str) -> dict[str, Any] | None:
        """The job's record, or None when the id is unknown (or was pruned)."""
        with self._lock:
            self._prune()
            record = self._jobs.get(job_id)
            return None if record is None else self._view(job_id, record)

    def _view(self, job_id: str, record: dict[str, Any]) -> dict[str, Any]:
        """The record as answered: with the job's latest progress report."""
        progress = self._progress.get(job_id)
        return {**record, "progress": None if progress is None else progress.snapshot()}

    def cancel(
        self, job_id: str, reason: str = "cancelled from the panel"
    ) -> dict[str, Any] | None:
        """Cancel a queued or running job; None when the id is unknown.

        Raises:
            RunStateError: the job has already ended.
        """
        with self._lock:
            record = self._jobs.get(job_id)
            if record is None:
                return None
            if record["status"] in ENDED:
                raise RunStateError(
                    f"job {job_id} already ended ({record['status']}); there is nothing to cancel"
                )
            token, future = self._tokens[job_id], self._futures.get(job_id)
            token.cancel(reason)  # under the lock: a job starting now sees it (kills are quick)
            if future is not None and future.cancel():  # never started
                record.update(status="cancelled", message=reason, ended=time.time())
            else:
                record["status"] = "cancelling"
            return self._view(job_id, record)

    def _prune(self) -> None:
        """Forget ended jobs older than KEEP_SECONDS, and all but the newest MAX_ENDED."""
        now = time.time()
        ended = sorted(
            (r for r in self._jobs.values() if r["status"] in ENDED),
            key=lambda r: r["ended"] or 0.0,
        )
        drop = [r for r in ended if now - (r["ended"] or now) > KEEP_SECONDS]
        drop += [r for r in ended[: max(0, len(ended) - MAX_ENDED)] if r not in drop]
        for record in drop:
            self._jobs.pop(record["job_id"], None)
            self._tokens.pop(record["job_id"], None)
            self._progress.pop(record["job_id"], None)

    def shutdown(self) -> None:
        """Cancel every job (kernels killed, runs ended killed) and stop the pool without
        waiting, so the server exits promptly."""
        with self._lock:
            self._closed = True
            pending = [j for j, r in self._jobs.items() if r["status"] not in ENDED]
        for job_id in pending:
            try:
                self.cancel(job_id, "cancelled: the server stopped")
            except RunStateError:
                pass  # ended meanwhile
        self._pool.shutdown(wait=False, cancel_futures=True)
