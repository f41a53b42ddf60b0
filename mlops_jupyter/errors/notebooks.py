"""Errors of reading, converting and executing notebooks, and of their kernels."""

from __future__ import annotations

from mlops_jupyter.errors.base import MlopsJupyterError


class NotebookError(MlopsJupyterError, ValueError):
    """A notebook that cannot be read, analysed or converted."""


class UnsupportedMagicError(NotebookError):
    """An IPython magic with no faithful plain-Python translation."""

    def __init__(self, magic: str, cell_index: int, line: int) -> None:
        self.magic, self.cell_index, self.line = magic, cell_index, line
        super().__init__(
            f"cell {cell_index}, line {line}: the magic {magic!r} has no plain-Python equivalent; "
            "rewrite it in Python or tag the cell `skip`"
        )


class ForeignOutputError(NotebookError):
    """A conversion target mlops-jupyter did not write (or that holds the notebook): never
    replaced."""

    def __init__(self, target: object, reason: str) -> None:
        self.target, self.reason = target, reason
        super().__init__(
            f"refusing to write the package into {target}: {reason}, so replacing it could destroy "
            "files that are not ours; nothing was changed. Choose another output folder "
            "(-o/--output, or output_dir from the panel), or remove that folder yourself"
        )


class NotebookExecutionError(MlopsJupyterError):
    """A cell raised while a notebook was executed (modelled on papermill's
    PapermillExecutionError).

    The fields say where and why, so the CLI, the server and the panel can show the same thing:
    ``cell_index`` (in the source notebook; -1 when unknown), ``execution_count``, ``source``
    (of the failing cell), ``ename``/``evalue``/``traceback`` (the kernel's error), ``run_id``
    (the run that recorded the execution, when there is one) and ``output_path``.
    """

    def __init__(
        self,
        cell_index: int,
        ename: str,
        evalue: str,
        output_path: str | None = None,
        *,
        run_id: str | None = None,
        execution_count: int | None = None,
        source: str = "",
        traceback: str = "",
        message: str | None = None,
    ) -> None:
        self.cell_index, self.ename, self.evalue = cell_index, ename, evalue
        self.output_path, self.run_id, self.execution_count = output_path, run_id, execution_count
        self.source, self.traceback = source, traceback
        msg = message or f"cell {cell_index} raised {ename}: {evalue}"
        if output_path:
            msg += f" (executed notebook: {output_path})"
        super().__init__(msg)


class KernelDiedError(NotebookExecutionError):
    """The kernel died (crashed, was killed, ran out of memory) while a cell was running."""

    def __init__(
        self,
        cell_index: int,
        output_path: str | None = None,
        *,
        run_id: str | None = None,
        source: str = "",
    ) -> None:
        super().__init__(
            cell_index,
            "DeadKernelError",
            "the kernel died while this cell was running (crash, kill or out of memory)",
            output_path,
            run_id=run_id,
            source=source,
            message=f"kernel died while running cell {cell_index}; run the notebook by hand to "
            "see why (out of memory is the usual cause)",
        )


class NotebookTimeoutError(NotebookExecutionError):
    """A notebook ran longer than its per-run timeout and was stopped."""

    def __init__(
        self,
        timeout: float,
        cell_index: int,
        output_path: str | None = None,
        *,
        run_id: str | None = None,
        source: str = "",
    ) -> None:
        self.timeout = timeout
        super().__init__(
            cell_index,
            "TimeoutError",
            f"the run exceeded its timeout of {timeout:g}s",
            output_path,
            run_id=run_id,
            source=source,
            message=f"timed out after {timeout:g}s while running cell {cell_index}; raise "
            "--timeout or make the notebook faster",
        )


class RunCancelledError(NotebookExecutionError):
    """An execution stopped because its job was cancelled (from the panel or at server shutdown)."""

    def __init__(self, cell_index: int = -1) -> None:
        # through the base, so it has every field (run_id, source, traceback...) readers use
        super().__init__(
            cell_index,
            "Cancelled",
            "the job was cancelled; its kernel was stopped",
            message="cancelled: the job was stopped and its kernel shut down; "
            "start it again to finish it",
        )


class KernelStartError(MlopsJupyterError):
    """A kernel could not be started, even after retrying."""

    def __init__(self, kernel_name: str, attempts: int, reason: str) -> None:
        self.kernel_name, self.attempts, self.reason = kernel_name, attempts, reason
        super().__init__(
            f"could not start kernel {kernel_name!r} after {attempts} attempt(s): {reason}; "
            "check `jupyter kernelspec list` and that the kernel's python has ipykernel"
        )


class UnknownKernelError(MlopsJupyterError, LookupError):
    """A kernelspec name that no installed kernel has."""

    def __init__(self, name: str, available: list[str]) -> None:
        self.name, self.available = name, list(available)
        super().__init__(
            f"no kernel named {name!r}; installed kernels: "
            f"{', '.join(repr(k) for k in self.available) or 'none'}. Pass one with --kernel, "
            "or install it (python -m ipykernel install --user --name NAME)"
        )

    def __str__(self) -> str:
        return str(self.args[0])
