"""A pool of warm kernels: started ahead of need, each handed out once, then discarded.

Booting an IPython kernel costs most of the time of a small notebook run, so the pool starts
kernels in a background thread (its own asyncio loop) while earlier points execute; they talk
over local IPC sockets (on POSIX), so there are no TCP ports to collide. A kernel
runs exactly one notebook and is then killed, so no state leaks between points. A kernel that
fails to start (port collision, start timeout, crash at boot) is retried with fresh ports.
"""

from __future__ import annotations

import asyncio
import os
import queue
import shutil
import tempfile
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mlops_jupyter.errors import KernelStartError, UnknownKernelError

if TYPE_CHECKING:
    from jupyter_client import AsyncKernelManager


#: Same as ``python -m ipykernel_launcher``, without importing debugpy (0.1-0.3 s per boot,
#: and a headless run never attaches a debugger).
_HEADLESS_LAUNCHER = (
    "import sys\n"
    "if sys.path and sys.path[0] == '': del sys.path[0]\n"
    "sys.modules['debugpy'] = None\n"
    "from ipykernel import kernelapp\n"
    "kernelapp.launch_new_instance()\n"
)

_MANAGER: Any = None


def _manager_class() -> Any:
    """AsyncKernelManager that launches standard ipykernel specs headless: no debugger, and
    IPython history kept in memory rather than in the shared ``history.sqlite``."""
    global _MANAGER
    if _MANAGER is None:
        from jupyter_client import AsyncKernelManager

        from mlops_jupyter import env

        keep_debugger = env.get(env.KERNEL_DEBUGGER, "0") not in ("0", "false", "no")

        class HeadlessKernelManager(AsyncKernelManager):
            def format_kernel_cmd(self, extra_arguments: Any = None) -> list[str]:
                cmd = super().format_kernel_cmd(extra_arguments)
                if cmd[1:3] == ["-m", "ipykernel_launcher"]:
                    if not keep_debugger:
                        cmd = [cmd[0], "-c", _HEADLESS_LAUNCHER, *cmd[3:]]
                    # history in memory: concurrent kernels do not contend for one SQLite file
                    cmd.append("--HistoryManager.hist_file=:memory:")
                return cmd

        _MANAGER = HeadlessKernelManager
    return _MANAGER


def check_kernel(name: str) -> None:
    """Refuse an unknown kernelspec before anything is recorded or started.

    Raises:
        UnknownKernelError: no installed kernelspec is called `name`.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    try:
        manager.get_kernel_spec(name)
    except NoSuchKernel as err:
        raise UnknownKernelError(name, sorted(manager.find_kernel_specs())) from err


async def handshake(client: Any, timeout: float, alive: Any = None) -> None:
    """Wait until `client` gets replies on shell and IOPub: the kernel is ready and connected.

    Like jupyter_client's ``wait_for_ready`` without its trailing 0.2 s IOPub flush (which
    every papermill run pays twice): IOPub messages of this handshake are drained at once;
    stray ones later carry another parent id and are ignored by nbclient.
    """
    import time
    from queue import Empty

    deadline = time.monotonic() + timeout
    while True:
        if alive is not None and not await alive():  # killed (cancel, timeout): stop waiting
            raise RuntimeError("Kernel died before it answered kernel_info")
        client.kernel_info()
        try:
            reply = await client.shell_channel.get_msg(timeout=0.5)
        except Empty:
            reply = None
        if reply is not None and reply["msg_type"] == "kernel_info_reply":
            try:
                await client.iopub_channel.get_msg(timeout=0.1)  # IOPub subscribed?
                break
            except Empty:
                pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the kernel did not answer kernel_info within {timeout:g}s")
    while True:
        try:
            await client.iopub_channel.get_msg(timeout=0.005)
        except Empty:
            return


class KernelPool:
    """Kernels of one kernelspec, cwd and environment, kept ready for the next `acquire`.

    Args:
        kernel_name: Kernelspec to start (e.g. ``python3``).
        size: How many ready (or booting) kernels to keep ahead of demand.
        cwd: Working directory of the kernels (default: the current directory).
        env: Extra environment variables for the kernels (on top of ``os.environ``).
        start_timeout: Seconds a kernel may take to answer ``kernel_info`` once started.
        start_attempts: Tries per kernel before `acquire` raises KernelStartError.
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

    async def _boot(self) -> None:
        reason = ""
        for _attempt in range(self.start_attempts):
            km = self._new_manager()
            try:
                await km.start_kernel(cwd=self.cwd, env=self.env)
                client = km.client()
                client.start_channels()
                try:
                    await self._wait_ready(km, client)
                finally:
                    client.stop_channels()
                self.started += 1
                self._ready.put(km)
                return
            except Exception as err:
                self.start_failures += 1
                reason = f"{type(err).__name__}: {err}"
                await self._kill(km)
        self._ready.put(KernelStartError(self.kernel_name, self.start_attempts, reason))

    async def _wait_ready(self, km: AsyncKernelManager, client: Any) -> None:
        """Wait for kernel_info, but give up at once when the process exits (a port taken)."""
        ready = asyncio.ensure_future(handshake(client, self.start_timeout))
        while not ready.done():
            await asyncio.wait({ready}, timeout=0.05)
            if not ready.done() and not await km.is_alive():
                ready.cancel()
                raise RuntimeError("the kernel process exited while starting")
        ready.result()

    def _new_manager(self) -> AsyncKernelManager:
        km = _manager_class()(kernel_name=self.kernel_name)
        if self._ipc_dir is not None:  # local sockets: no TCP ports to collide, no warning
            self._count += 1
            km.transport, km.ip = "ipc", os.path.join(self._ipc_dir, f"k{self._count}")
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

    def close(self) -> None:
        """Kill every kernel still ready or shutting down, and stop the pool thread."""
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
            if self._ipc_dir is not None:
                shutil.rmtree(self._ipc_dir, ignore_errors=True)
