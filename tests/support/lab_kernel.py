"""A real kernel driven the way front ends drive one: JupyterLab or papermill/nbclient.

JupyterLab sends each execute request with ``{"cellId": <the cell's id>}`` in the message's
metadata and saves the notebook file only when the user saves; papermill (through nbclient)
sends plain execute requests, with no cell id, of a notebook already on disk. `FrontEnd` does
either with jupyter_client's BlockingKernelClient, so a test can replay a user's session: run
cells in any order, edit a cell in the editor, save, delete a cell.
"""

from __future__ import annotations

import os
import queue
import time
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import KernelManager

from tests.support.nbhelpers import make_notebook


class FrontEnd:
    """One notebook in one fresh kernel. ``lab=True``: JupyterLab's messages (cellId metadata);
    ``lab=False``: papermill/nbclient's (none)."""

    def __init__(
        self,
        folder: Path,
        cells: list[Any],
        *,
        lab: bool,
        name: str = "nb.ipynb",
        env: dict[str, str] | None = None,
    ):
        self.path = folder / name
        self.lab = lab
        self.nb = make_notebook(cells)
        self.editor = [c.source for c in self.nb.cells]  # what the user sees, saved or not
        self.save()
        self.ids = [c.id for c in self.nb.cells]  # every id the notebook ever had
        kernel_env = {**os.environ, **(env or {}), "MLOPS_JUPYTER_NOTEBOOK": str(self.path)}
        # IPC sockets in the folder: kernels started side by side never race for a TCP port
        self.km = KernelManager(kernel_name="python3", transport="ipc", ip=str(folder / "kernel"))
        self.km.start_kernel(cwd=str(folder), env=kernel_env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def __enter__(self) -> FrontEnd:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what the user does ------------------------------------------------------------------

    def save(self) -> None:
        """Write the editor's cells to the file, as JupyterLab's save does."""
        for cell, source in zip(self.nb.cells, self.editor):
            cell.source = source
        nbformat.write(self.nb, self.path)

    def edit(self, index: int, source: str) -> None:
        """Change a cell in the editor (not saved until `save`)."""
        self.editor[index] = source

    def delete(self, index: int) -> None:
        """Delete a cell in the editor (not saved until `save`)."""
        del self.nb.cells[index]
        del self.editor[index]

    def insert(self, index: int, source: str) -> None:
        """Add a code cell (with a new id) in the editor."""
        cell = nbformat.v4.new_code_cell(source)
        self.ids.append(cell.id)
        self.nb.cells.insert(index, cell)
        self.editor.insert(index, source)

    def run(self, index: int, interrupt_after: float | None = None) -> dict[str, Any]:
        """Execute the cell at `index` as the editor shows it; returns the reply content plus
        ``outputs`` (the iopub messages' contents of this request). `interrupt_after`: seconds
        after which to interrupt the kernel, as the stop button does."""
        cell = self.nb.cells[index]
        content = {
            "code": self.editor[index],
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        metadata = {"cellId": cell.id} if self.lab else {}
        msg = self.kc.session.msg("execute_request", content, metadata=metadata)
        self.kc.shell_channel.send(msg)
        msg_id = msg["header"]["msg_id"]
        if interrupt_after is not None:
            time.sleep(interrupt_after)
            self.km.interrupt_kernel()
        outputs = self._outputs(msg_id)
        reply = self.kc.get_shell_msg(timeout=60)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=60)
        return {**reply["content"], "outputs": outputs}

    def run_all(self) -> list[dict[str, Any]]:
        return [self.run(i) for i in range(len(self.nb.cells))]

    def _outputs(self, msg_id: str) -> list[dict[str, Any]]:
        outputs: list[dict[str, Any]] = []
        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=60)
            except queue.Empty:
                raise TimeoutError("the kernel did not finish the cell in 60 s") from None
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                return outputs
            if kind in ("stream", "error", "display_data", "execute_result"):
                outputs.append({"output_type": kind, **msg["content"]})
