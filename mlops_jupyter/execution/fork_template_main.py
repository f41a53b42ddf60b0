"""The program of a kernel template process: import once, then fork one fresh ipykernel a request.

Run as ``python -c <this file's text> READ_FD WRITE_FD`` by execution/fork_template.py, never
imported by mlops-jupyter itself (it needs nothing but the standard library and ipykernel). The
protocol is one JSON line each way on two pipes: first the template reads its settings (the
import statements, the working directory) and answers with its verdict on fork safety; then
each request names a connection file, a working directory and an environment, and the answer
is the pid of a forked child that became an ipykernel on that connection file. The child starts
a new session (its own process group), so killing it kills what it started; SIGCHLD is ignored
here, so finished children are reaped by the OS.
"""

import gc
import json
import os
import signal
import sys
import threading
import time

_UNSAFE = ", so forking after it is unsafe"

#: What an ipykernel imports as it starts (its app, shell and kernel, and what IPython's shell
#: and tornado's loop import lazily: a debugger, completer, inspector, the storemagic
#: extension), imported once here rather than in every kernel.
_KERNEL_MODULES = (
    "from ipykernel import kernelapp, ipkernel, zmqshell, debugger\n"
    "import IPython.core.completerlib, IPython.core.debugger, IPython.core.logger, "
    "IPython.core.magics.extension, IPython.core.oinspect, IPython.extensions.storemagic\n"
    "import tornado.gen, tornado.locks, tornado.platform.asyncio, tornado.queues"
)


def _unsafe_reason(statement: str) -> str | None:
    """Why forking after `statement` ran is unsafe: a thread started, or a GPU context opened."""
    others = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    if others:
        return f"`{statement}` started thread(s) {', '.join(sorted(others))} at import{_UNSAFE}"
    try:
        devices = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")]
    except OSError:
        devices = []
    if any(path.startswith("/dev/nvidia") for path in devices):
        return f"`{statement}` opened a GPU device (/dev/nvidia*) at import{_UNSAFE}"
    torch = sys.modules.get("torch")
    cuda = getattr(torch, "cuda", None)
    try:
        if cuda is not None and cuda.is_initialized():
            return f"`{statement}` initialised CUDA at import{_UNSAFE}"
    except Exception:
        pass
    return None


def _preimport(statements: list[str], cwd: str) -> dict:
    """Execute the import statements one by one, stopping at the first that makes forks unsafe."""
    started = time.perf_counter()
    sys.path.insert(0, cwd)  # modules next to the notebook, as the kernel would find them
    done, failed, unsafe, at = 0, [], None, -1
    try:
        first = _KERNEL_MODULES
        for index, statement in enumerate([first, *statements], -1):
            at = index
            shown = statement.partition("\n")[2] if statement.startswith("#") else statement
            try:
                exec(compile(statement, "<mlops-preimport>", "exec"), {})
                done += 1
            except BaseException as err:  # the kernel will meet (and show) the same error
                failed.append(f"{shown}: {type(err).__name__}: {err}")
            unsafe = _unsafe_reason(shown)
            if unsafe:
                break
    finally:
        sys.path.remove(cwd)
    return {
        "ready": True,
        "unsafe": unsafe,
        "unsafe_at": at if unsafe else None,  # index in `statements` of the unsafe one
        "imported": done,
        "failed": failed,
        "seconds": time.perf_counter() - started,
    }


def _become_kernel(request: dict, fds: tuple[int, int]) -> None:
    """In the forked child: a fresh session, environment and working directory, then ipykernel."""
    try:
        os.setsid()
        for fd in fds:
            os.close(fd)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel waits for its subprocesses
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        gc.unfreeze()  # the kernel collects the template's objects as a fresh one would its own
        gc.enable()
        numpy = sys.modules.get("numpy")
        if numpy is not None:  # a fresh kernel seeds numpy's global generator from the OS
            numpy.random.seed()
        # the kernel exits when the template does (as a kernel does when its launcher dies)
        parent = f"--IPKernelApp.parent_handle={os.getppid()}"
        sys.argv = ["-c", "-f", request["connection_file"], parent, *request["args"]]
        if "ipywidgets" in sys.modules:  # imported with no shell to register its comm target
            sys.argv.append("--IPKernelApp.extra_extensions=ipywidgets")
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
    except BaseException as err:
        print(f"mlops-jupyter: forked kernel failed: {err!r}", file=sys.stderr)
        os._exit(1)
    os._exit(0)


def main() -> None:
    """Read settings, pre-import, then serve fork requests until the controller closes the pipe."""
    read_fd, write_fd = int(sys.argv[1]), int(sys.argv[2])
    reader, writer = os.fdopen(read_fd, "r"), os.fdopen(write_fd, "w")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the controller's to handle
    sys.modules["debugpy"] = None  # type: ignore[assignment]  # as the headless launcher does
    if sys.path and sys.path[0] == "":
        del sys.path[0]
    settings = json.loads(reader.readline())
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # no collections while importing: each full one walks the whole heap imported so far (a
    # fifth of the import time of pandas + scikit-learn + matplotlib); the kernels collect
    gc.disable()
    verdict = _preimport(settings["imports"], settings["cwd"])
    writer.write(json.dumps(verdict) + "\n")
    writer.flush()
    if verdict["unsafe"]:
        return
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    # no gc.collect() first: it costs ~0.1 s of a big heap before the first fork, and a fresh
    # kernel keeps its imports' garbage too; frozen, the template's own collections skip it all
    gc.freeze()
    controller, children = os.getppid(), []
    for line in reader:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _become_kernel(request, (read_fd, write_fd))
        children.append(pid)
        writer.write(json.dumps({"pid": pid}) + "\n")
        writer.flush()
    _outlive_kernels(controller, children)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def _outlive_kernels(controller: int, children: list[int]) -> None:
    """The controller closed the pipe: stay while its kernels run (they exit with us), but kill
    them at once when the controller itself is gone (killed: nobody will end them)."""
    while True:
        children = [pid for pid in children if _alive(pid)]
        if not children:
            return
        if os.getppid() != controller:
            for pid in children:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
            return
        time.sleep(0.1)


if __name__ == "__main__":
    main()
