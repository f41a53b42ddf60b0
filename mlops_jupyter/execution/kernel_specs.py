"""How a kernel of a kernelspec is started and greeted: the headless launcher and manager,
the interpreter a fork template runs, the check that a kernelspec exists, and the handshake
that says a started kernel is connected (the pool, kernels.py, builds on these).
"""

from __future__ import annotations

import sys
from typing import Any

from mlops_jupyter.errors import UnknownKernelError

#: Same as ``python -m ipykernel_launcher``, without importing debugpy (0.1-0.3 s per boot,
#: and a headless run never attaches a debugger).
HEADLESS_LAUNCHER = (
    "import sys\n"
    "if sys.path and sys.path[0] == '': del sys.path[0]\n"
    "sys.modules['debugpy'] = None\n"
    "from ipykernel import kernelapp\n"
    "kernelapp.launch_new_instance()\n"
)


_MANAGER: Any = None


def manager_class() -> Any:
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
                        cmd = [cmd[0], "-c", HEADLESS_LAUNCHER, *cmd[3:]]
                    # history in memory: concurrent kernels do not contend for one SQLite file
                    cmd.append("--HistoryManager.hist_file=:memory:")
                return cmd

        _MANAGER = HeadlessKernelManager
    return _MANAGER


def template_python(kernel_name: str) -> tuple[str | None, str]:
    """The interpreter a kernel template runs for this kernelspec, or None and the reason.

    Only a standard ipykernel spec (``python -m ipykernel_launcher``) can be forked from a
    template; with the debugger kept on (MLOPS_JUPYTER_KERNEL_DEBUGGER) kernels start fresh.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    from mlops_jupyter import env

    if env.get(env.KERNEL_DEBUGGER, "0") not in ("0", "false", "no"):
        return None, "the kernel debugger is on (MLOPS_JUPYTER_KERNEL_DEBUGGER)"
    argv = list(KernelSpecManager().get_kernel_spec(kernel_name).argv)
    if argv[1:3] != ["-m", "ipykernel_launcher"]:
        return None, f"kernelspec {kernel_name!r} does not run ipykernel_launcher"
    major, minor = sys.version_info[:2]
    if argv[0] in ("python", f"python{major}", f"python{major}.{minor}"):
        return sys.executable, ""
    return argv[0], ""


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


async def handshake(client: Any, timeout: float, alive: Any = None) -> dict[str, Any]:
    """Wait until `client` gets replies on shell and IOPub: the kernel is ready and connected.
    Returns the content of the kernel_info reply (its ``language_info`` goes in the notebook).

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
            return dict(reply["content"])
