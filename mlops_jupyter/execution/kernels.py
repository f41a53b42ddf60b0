"""A pool of warm kernels: started ahead of need, each handed out once, then discarded.

Booting an IPython kernel costs most of the time of a small notebook run, so the pool starts
kernels in a background thread (its own asyncio loop) while earlier points execute; they talk
over local IPC sockets (on POSIX), so there are no TCP ports to collide. A kernel
runs exactly one notebook and is then killed, so no state leaks between points. A kernel that
fails to start (port collision, start timeout, crash at boot) is retried with fresh ports.

Given the notebook's leading imports (``preimports=``), the pool forks its kernels from a warm
template process that ran them once (fork_template.py, through the ForkProvisioner), or says in
``kernel_note`` why it starts them fresh (a module unsafe to fork, a kernelspec that is not
ipykernel).
"""

from __future__ import annotations

import asyncio
import os
import queue
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mlops_jupyter.errors import KernelStartError
from mlops_jupyter.execution.kernel_specs import handshake, manager_class, template_python
from mlops_jupyter.execution.preimports import LATER

if TYPE_CHECKING:
    from jupyter_client import AsyncKernelManager

    from mlops_jupyter.execution.fork_template import ForkTemplate


def prestart_template(
    kernel_name: str, cwd: str, env: Mapping[str, str], preimports: Sequence[str]
) -> None:
    """Begin the template a `KernelPool(kernel_name, cwd=cwd, env=env, preimports=...)` will
    use, now, in the background (a sweep calls this before recording its run)."""
    from mlops_jupyter.execution import fork_template

    python, _reason = template_python(kernel_name)
    if python is not None and preimports:
        full_env = {**os.environ, **env}
        fork_template.prestart_template(python, preimports, os.path.abspath(cwd), full_env)


class KernelPool:
    """Kernels of one kernelspec, cwd and environment, kept ready for the next `acquire`.

    Args:
        kernel_name: Kernelspec to start (e.g. ``python3``).
        size: How many ready (or booting) kernels to keep ahead of demand.
        cwd: Working directory of the kernels (default: the current directory).
        env: Extra environment variables for the kernels (on top of ``os.environ``).
        start_timeout: Seconds a kernel may take to answer ``kernel_info`` once started.
        start_attempts: Tries per kernel before `acquire` raises KernelStartError.
        preimports: Import statements for a kernel template (None: plain fresh kernels).
        start_template: Start a template when none is warm (False: use one only if warm).
        on_note: Called once with `kernel_note` when it is known (the sweep's log).
        keep_template: Keep the template warm after this pool closes (for later runs).
    """

    def __init__(
        self,
        kernel_name: str = "python3",
        size: int = 1,
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        start_timeout: float = 60.0,
        start_attempts: int = 3,
        preimports: Sequence[str] | None = None,
        start_template: bool = True,
        on_note: Callable[[str], None] | None = None,
        keep_template: bool = False,
    ) -> None:
        self.kernel_name, self.size = kernel_name, max(1, size)
        self.cwd = os.path.abspath(cwd or os.getcwd())
        self.env = {**os.environ, **(env or {})}
        self.start_timeout, self.start_attempts = start_timeout, max(1, start_attempts)
        self.started = 0  # kernels booted successfully (for tests and the bench)
        self.start_failures = 0  # failed boots that were retried or reported
        self._ready: queue.Queue[Any] = queue.Queue()
        self._demand = 0  # kernels that callers will still acquire
        self._in_flight = 0  # ready in the queue + booting
        self._lock = threading.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="mlops-kernel-pool", daemon=True
        )
        self._thread.start()
        self._closed = False
        self._count = 0
        self._ipc_dir = None if os.name == "nt" else tempfile.mkdtemp(prefix="mlops-kernels-")
        self._preimports = None if preimports is None else tuple(preimports)
        self._start_template, self._on_note = start_template, on_note
        self.keep_template = keep_template
        self._held_template: ForkTemplate | None = None
        self._template_task: asyncio.Future[ForkTemplate | None] | None = None
        self.kernel_note = ""  # how kernels start, for the sweep's log ("" without preimports)
        self.forked = 0  # kernels forked from a template (the others booted fresh)
        self._spec_manager: Any = None  # the first kernel manager's, shared by the others

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- demand ---------------------------------------------------------------------------

    def expect(self, count: int = 1) -> None:
        """Announce `count` more `acquire` calls, so kernels for them start booting now."""
        with self._lock:
            self._demand += count
        self._loop.call_soon_threadsafe(self._refill)

    def _refill(self) -> None:
        """In the pool loop: boot kernels until `size` are ahead, without exceeding demand."""
        with self._lock:
            wanted = min(self.size, self._demand) - self._in_flight
            self._in_flight += max(0, wanted)
        for _ in range(max(0, wanted)):
            self._track(self._loop.create_task(self._boot()))

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def acquire(self, timeout: float | None = None) -> AsyncKernelManager:
        """A ready kernel of its own for the caller (call `expect` first); blocks until ready.

        Raises:
            KernelStartError: the kernel could not be started after `start_attempts` tries.
        """
        item = self._ready.get(timeout=timeout)
        with self._lock:
            self._demand -= 1
            self._in_flight -= 1
        self._loop.call_soon_threadsafe(self._refill)
        if isinstance(item, KernelStartError):
            raise item
        return item

    # -- lifecycle of one kernel ----------------------------------------------------------

    async def _template(self) -> ForkTemplate | None:
        """The pool's template, started once in a worker thread (its imports take seconds)."""
        if self._preimports is None:
            return None
        if self._template_task is None:
            self._template_task = self._loop.run_in_executor(None, self._make_template)
        while not self._template_task.done():  # a pool closed meanwhile stops waiting
            await asyncio.wait({self._template_task}, timeout=0.05)
            if self._closed:
                return None
        return self._template_task.result()

    def _make_template(self) -> ForkTemplate | None:
        template = self._find_template()
        with self._lock:  # a pool closed while the template imported releases it here
            late = self._closed
            if not late:
                self._held_template = template
        if late and template is not None:
            from mlops_jupyter.execution.fork_template import release_template

            release_template(template)
            return None
        if self._on_note is not None and self.kernel_note:
            self._on_note(self.kernel_note)
        return template

    def _find_template(self) -> ForkTemplate | None:
        from mlops_jupyter.execution.fork_template import warm_template

        python, reason = template_python(self.kernel_name)
        template = None
        if python is not None:
            template = warm_template(
                python, self._preimports or (), self.cwd, self.env, start=self._start_template
            )
            reason = template.reason if template is not None else ""
        if template is not None and template.usable:
            later = sum(s.startswith(LATER) for s in template.imports)
            self.kernel_note = (
                f"kernels forked from a template that pre-imported "
                f"{len(template.imports)} import statement(s) in {template.seconds:.1f}s"
                f" ({later} from later cells or warm-ups)"
            )
            if template.skipped:
                self.kernel_note += "; a later cell's import is left to the kernels: "
                self.kernel_note += template.skipped
            return template
        if reason:
            self.kernel_note = f"kernels start fresh, without pre-imports: {reason}"
        return None

    async def _boot(self) -> None:
        reason = ""
        try:
            template = await self._template()
        except Exception as err:  # a template that cannot start: fresh kernels, said in the log
            template, self.kernel_note = None, f"kernels start fresh: template failed: {err}"
        for _attempt in range(self.start_attempts):
            if self._closed:
                break
            km = self._new_manager(template if _attempt == 0 else None)
            try:
                await km.start_kernel(cwd=self.cwd, env=self.env)
                client = km.client()
                client.start_channels()
                try:
                    await self._wait_ready(km, client)
                finally:
                    client.stop_channels()
                self.started += 1
                self.forked += bool(getattr(km.provisioner, "forked", False))
                self._ready.put(km)
                return
            except Exception as err:
                self.start_failures += 1
                reason = f"{type(err).__name__}: {err}"
                await self._kill(km)
                if self._closed:  # closing (Ctrl-C, cancel): no retry
                    break
        self._ready.put(KernelStartError(self.kernel_name, self.start_attempts, reason))

    async def _wait_ready(self, km: AsyncKernelManager, client: Any) -> None:
        """Wait for kernel_info, but give up at once when the process exits (a port taken)."""
        ready = asyncio.ensure_future(handshake(client, self.start_timeout))
        while not ready.done():
            await asyncio.wait({ready}, timeout=0.05)
            if not ready.done() and not await km.is_alive():
                ready.cancel()
                raise RuntimeError("the kernel process exited while starting")
            if not ready.done() and self._closed:  # nobody will use it: kill it, do not wait
                ready.cancel()
                raise RuntimeError("the pool closed while the kernel was starting")
        ready.result()

    def _new_manager(self, template: ForkTemplate | None = None) -> AsyncKernelManager:
        # one kernelspec manager for all: each new one searches the kernel folders again
        shared = {} if self._spec_manager is None else {"kernel_spec_manager": self._spec_manager}
        km = manager_class()(kernel_name=self.kernel_name, **shared)
        self._spec_manager = km.kernel_spec_manager
        if self._ipc_dir is not None:  # local sockets: no TCP ports to collide, no warning
            self._count += 1
            km.transport, km.ip = "ipc", os.path.join(self._ipc_dir, f"k{self._count}")
        if template is not None and template.usable:  # jupyter_client's provisioner hook
            from mlops_jupyter.execution.fork_provisioner import ForkProvisioner

            km.kernel_id = str(uuid.uuid4())
            provisioner = ForkProvisioner(
                kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km
            )
            provisioner.template = template
            km.provisioner = provisioner
        return km

    @staticmethod
    async def _kill(km: AsyncKernelManager) -> None:
        try:
            if km.has_kernel:
                await km.shutdown_kernel(now=True)
            else:
                await km.cleanup_resources()
        except Exception:
            pass

    def discard(self, km: AsyncKernelManager) -> None:
        """Kill a used kernel in the background (it never runs a second notebook)."""
        if not self._closed:
            self._loop.call_soon_threadsafe(
                lambda: self._track(self._loop.create_task(self._kill(km)))
            )

    @staticmethod
    def kill_now(km: AsyncKernelManager) -> None:
        """SIGKILL a kernel's process at once, from any thread (timeouts); `discard` cleans up."""
        process = getattr(km.provisioner, "process", None)
        if process is not None:
            try:
                process.kill()
            except OSError:
                pass

    def _obtained_template(self) -> ForkTemplate | None:
        with self._lock:
            template, self._held_template = self._held_template, None
        return template

    def drop_template(self) -> None:
        """Close this pool's template now, even if kept warm (after a cancelled sweep)."""
        template = self._obtained_template()
        self.keep_template = False
        if template is not None:
            from mlops_jupyter.execution.fork_template import discard_template

            discard_template(template)

    def _release_template(self) -> None:
        template = self._obtained_template()
        if template is not None:
            from mlops_jupyter.execution.fork_template import release_template

            release_template(template, keep=self.keep_template)

    @staticmethod
    def interrupt_now(km: AsyncKernelManager) -> None:
        """SIGINT a kernel from any thread: a KeyboardInterrupt in its running cell."""
        import signal

        process = getattr(km.provisioner, "process", None)
        if process is not None:
            try:
                process.send_signal(signal.SIGINT)
            except OSError:
                pass

    def close(self) -> None:
        """Kill every kernel still ready or shutting down, and stop the pool thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True

        async def drain() -> None:
            while self._tasks:  # boots finish (a cancelled boot could orphan a process)
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
            while not self._ready.empty():
                item = self._ready.get_nowait()
                if not isinstance(item, Exception):
                    await self._kill(item)

        try:
            asyncio.run_coroutine_threadsafe(drain(), self._loop).result(timeout=60)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()
            self._release_template()
            if self._ipc_dir is not None:
                shutil.rmtree(self._ipc_dir, ignore_errors=True)
