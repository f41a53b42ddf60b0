"""A papermill engine that executes on a kernel we started, with silent setup and teardown.

papermill's own nbclient engine is reused as is (same injected-parameters cell, same papermill
metadata, same error cells), but it runs on a pre-started kernel from a KernelPool and runs two
silent snippets around the cells: one that tells the kernel which run it belongs to (so tracked
runs inside become children), one that ends the kernel's active runs so their buffered metrics
are written before the kernel is killed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from jupyter_core.utils import ensure_async, run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from traitlets import Unicode

ENGINE_NAME = "mlops-jupyter"

#: Seconds between papermill's saves of the output notebook while it runs. papermill writes the
#: whole notebook at every cell start and end (tens of writes a run, each a validated JSON dump
#: with its images, the controller's main cost per sweep point): nobody watches a sweep point's
#: file fill up, so it is written at the start, at most this often meanwhile, and once at the
#: end (papermill's ``execute_notebook`` writes it after the engine returns; the engine's own
#: closing save is kept only for an engine that raised, after which nothing else writes).
SAVE_EVERY = 10.0

_TEARDOWN = """\
import sys as _mj_sys
_mj_t = _mj_sys.modules.get("mlops_jupyter.tracking.run")
while _mj_t is not None and _mj_t.active_run() is not None:
    try:
        _mj_t.active_run().end({status!r})
    except Exception as _mj_err:
        print("mlops-jupyter: could not end a run:", _mj_err, file=_mj_sys.stderr)
del _mj_sys, _mj_t
"""


def setup_code(environ: dict[str, str]) -> str:
    """Python that sets environment variables in the kernel, run before the first cell."""
    return f"import os as _mj_os\n_mj_os.environ.update({environ!r})\ndel _mj_os\n"


class _PooledClient(PapermillNotebookClient):
    """papermill's client, plus silent setup/teardown code around the cells."""

    setup_code = Unicode("")
    running_cell: Any = None
    kernel_info: Any = None  # the handshake's kernel_info reply

    async def async_start_new_kernel_client(self) -> Any:
        """Connect to the pool's kernel, known ready, with the quick handshake."""
        from mlops_jupyter.execution.kernel_specs import handshake

        self.kc = self.km.client()
        await ensure_async(self.kc.start_channels())
        try:
            self.kernel_info = await handshake(
                self.kc, self.startup_timeout, alive=self.km.is_alive
            )
        except Exception:
            self.kc.stop_channels()
            raise
        self.kc.allow_stdin = False
        return self.kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def execute_cell(self, cell: Any, cell_index: int, *args: Any, **kwargs: Any) -> Any:
        self.running_cell = cell  # remembered for a kernel that dies inside this cell
        return super().execute_cell(cell, cell_index, *args, **kwargs)

    def execute(self, **kwargs: Any) -> Any:
        self.reset_execution_trackers()
        with self.setup_kernel(**kwargs):
            try:
                if self.setup_code:
                    self._run_silent(self.setup_code)
                try:
                    self.papermill_execute_cells()
                except Exception as err:  # DeadKernelError, CellTimeoutError: say which cell
                    err.mlops_cell = self.running_cell  # type: ignore[attr-defined]
                    raise
                # the handshake asked already: nbclient's closing kernel_info is a round trip less
                info = self.kernel_info or self.wait_for_reply(self.kc.kernel_info())["content"]
                self.nb.metadata["language_info"] = info["language_info"]
                self.set_widgets_metadata()
            finally:
                self._teardown()
        return self.nb

    def _run_silent(self, code: str) -> None:
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        self.wait_for_reply(msg_id)

    def _kernel_alive(self) -> bool:
        async def alive() -> bool:
            return bool(await ensure_async(self.km.is_alive()))

        return bool(self.km.has_kernel and run_sync(alive)())

    def _teardown(self) -> None:
        """End runs left active in the kernel (flushing metrics), then close our channels."""
        try:
            if self.kc is not None and self.km is not None and self._kernel_alive():
                failed = any(
                    c.get("metadata", {}).get("papermill", {}).get("exception")
                    for c in self.nb.cells
                )
                self._run_silent(_TEARDOWN.format(status="failed" if failed else "finished"))
        except Exception:
            pass
        finally:
            if self.kc is not None:
                self.kc.stop_channels()
                self.kc = None


class PooledEngine(NBClientEngine):
    """papermill's NBClientEngine on a pre-started kernel (pass ``km=`` and ``setup_code=``,
    ``source_path=`` for the notebook the executed copy records as its input, and ``on_cell=``
    for a ``(k, n)`` callback as each code cell starts: see `cell_counter`)."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        kwargs.pop("input_path", None)
        source_path = kwargs.pop("source_path", None)
        on_cell = kwargs.pop("on_cell", None)
        if on_cell is not None:
            kwargs["on_cell_execute"] = cell_counter(nb_man.nb, on_cell)
        save, last = nb_man.save, [time.monotonic()]  # notebook_start has just saved

        def throttled(**save_kwargs: Any) -> None:
            now = time.monotonic()
            if now - last[0] >= SAVE_EVERY:
                last[0] = now
                save(**save_kwargs)

        nb_man.save = throttled
        try:
            result = _PooledClient(
                nb_man,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                **kwargs,
            ).execute()
        except BaseException:
            nb_man.save = save  # notebook_complete's save is the last write: keep it
            raise
        finally:
            if source_path:  # papermill recorded our temporary copy: record the real source
                nb_man.nb.metadata.setdefault("papermill", {})["input_path"] = source_path
        nb_man.save = _written_by_papermill
        return result


def _written_by_papermill(**_: Any) -> None:
    """notebook_complete's save after a normal return: papermill writes the notebook next."""


def cell_counter(nb: Any, on_cell: Callable[[int, int], None]) -> Callable[..., None]:
    """nbclient's on_cell_execute hook calling ``on_cell(k, n)`` as code cell k of n starts.

    n counts the code cells that execute (not empty, not skipped), without papermill's injected
    parameters: the user's cells, so a re-run of a notebook says "cell 3 of 7" as they see it.
    A failing callback never fails the cell (progress is only shown)."""
    counted = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and cell.source.strip()
        and not {"injected-parameters", "skip-execution"} & set(cell.metadata.get("tags", []))
    ]
    number = {index: k for k, index in enumerate(counted, start=1)}

    def hook(cell: Any, cell_index: int, **_: Any) -> None:
        k = number.get(cell_index)
        if k is not None:
            try:
                on_cell(k, len(counted))
            except Exception:
                pass

    return hook


def register() -> str:
    """Register the engine with papermill (idempotent); returns its name."""
    papermill_engines.register(ENGINE_NAME, PooledEngine)
    return ENGINE_NAME
