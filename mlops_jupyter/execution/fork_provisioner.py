"""A jupyter_client kernel provisioner that forks kernels from a warm template process.

jupyter_client's provisioners are its extension point for how a kernel process comes to be;
this one asks a ForkTemplate (execution/fork_template.py) for a forked ipykernel instead of
``Popen``-ing a new interpreter, and otherwise behaves as the LocalProvisioner it extends: the
same connection file, environment and working directory, signals sent to the kernel's process
group. Without a usable template (no template given, or it failed) it launches a fresh kernel
the usual way, so it is safe to name in a kernelspec (entry point ``mlops-fork``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import Any

from jupyter_client.provisioning import LocalProvisioner


class ForkedProcess:
    """The ``Popen``-like handle LocalProvisioner expects, for a forked kernel (not our child:
    the template's, which reaps it), so liveness is asked of the OS by pid."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -signal.SIGKILL
            except PermissionError:  # the pid was reused by another user's process
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"kernel {self.pid} still running after {timeout}s")
            time.sleep(0.02)
        return int(self.returncode or 0)

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.killpg(self.pid, signum)  # its session: the kernel and what it started
            except OSError:
                os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkProvisioner(LocalProvisioner):
    """LocalProvisioner whose kernels are forked from `template` when it is usable."""

    template: Any = None  # a ForkTemplate, set by the KernelPool before the kernel starts
    forked = False

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        template = self.template
        if template is None or not template.usable or "-f" not in cmd:
            return await super().launch_kernel(cmd, **kwargs)
        at = cmd.index("-f")
        env = {**(kwargs.get("env") or os.environ), "JPY_PARENT_PID": str(os.getpid())}
        cwd = str(kwargs.get("cwd") or os.getcwd())
        try:
            pid = await asyncio.get_running_loop().run_in_executor(
                None, template.fork, cmd[at + 1], cwd, env, cmd[at + 2 :]
            )
        except RuntimeError:  # the template is gone: a fresh kernel, as without one
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedProcess(pid)  # type: ignore[assignment]  # Popen-like
        self.pid, self.pgid, self.cwd, self.forked = pid, pid, cwd, True
        return self.connection_info

    async def wait(self) -> int | None:
        if isinstance(self.process, ForkedProcess):
            while self.process.poll() is None:
                await asyncio.sleep(0.02)  # forked kernels die fast: poll finer than 0.1 s
        return await super().wait()
