"""Execute a notebook once in a real kernel and capture each step's inputs and outputs to files."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_jupyter.convert.plan import Plan
from mlops_jupyter.errors import (
    KernelDiedError,
    NotebookExecutionError,
    NotebookTimeoutError,
    UnknownKernelError,
)

FINAL = "_final"

# Runs inside the kernel. Classes/functions hoisted to the package's module level are pickled
# as `<package>.steps.<name>` so that the generated tests can load them.
_KERNEL_SETUP = r"""
def __mlops_capture(names, directory, package, hoisted, shared=()):
    import importlib, io, json, os, pickle, sys, types
    main = sys.modules["__main__"]
    if package not in sys.modules:
        sys.modules[package] = types.ModuleType(package)
        sys.modules[package].steps = main
        sys.modules[package + ".steps"] = main
    for name in hoisted:
        obj = main.__dict__.get(name)
        if (isinstance(obj, (type, types.FunctionType))
                and getattr(obj, "__module__", None) == "__main__"):
            try:
                obj.__module__ = package + ".steps"
            except (AttributeError, TypeError):
                pass

    class _Pickler(pickle.Pickler):
        def reducer_override(self, obj):
            if isinstance(obj, type) or isinstance(obj, types.FunctionType):
                if getattr(obj, "__module__", None) == "__main__":
                    raise pickle.PicklingError(
                        f"{obj.__qualname__} is defined inside a step of the notebook")
            return NotImplemented

    def type_path(value):
        cls = type(value)
        if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
            return "Callable[..., Any]"
        module, qual = cls.__module__, cls.__qualname__
        if module == "builtins":
            if qual in {"int", "float", "str", "bool", "list", "dict", "tuple", "set",
                        "bytes", "frozenset", "complex"}:
                return qual
            return "None" if value is None else "Any"
        if module == package + ".steps":
            return qual
        parts = module.split(".")
        for end in range(1, len(parts) + 1):
            if any(p.startswith("_") for p in parts[:end]):
                break
            try:
                obj = importlib.import_module(".".join(parts[:end]))
                for part in qual.split("."):
                    obj = getattr(obj, part)
                if obj is cls:
                    return ".".join(parts[:end]) + "." + qual
            except Exception:
                pass
        if "<" in qual or module == "__main__" or any(p.startswith("_") for p in module.split(".")):
            return "Any"
        return module + "." + qual

    os.makedirs(directory, exist_ok=True)
    manifest = {}
    for index, name in enumerate(names):
        if name not in main.__dict__:
            manifest[name] = {"skipped": "not defined at this point of the notebook"}
            continue
        value = main.__dict__[name]
        entry = {"type": type_path(value)}
        try:
            entry.update(_mlops_save(value, directory, f"{index}_{name}", _Pickler))
        except Exception as err:
            entry["skipped"] = f"cannot be saved ({type(err).__name__}: {err})"[:300]
        manifest[name] = entry
    _mlops_link(manifest, directory, [n for n in names if n in shared], _Pickler)
    with open(os.path.join(directory, "manifest.json"), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1)


def _mlops_link(manifest, directory, shared, pickler):
    # Values that may share objects (alice inside bank) are re-pickled smallest first, each
    # referring to the earlier ones it contains: loaded together, they are one object again.
    import os, sys
    main = sys.modules["__main__"]
    saved = [n for n in shared if manifest[n].get("format") == "pickle"]
    if len(saved) < 2:
        return
    size = lambda n: os.path.getsize(os.path.join(directory, manifest[n]["file"]))
    refs = {}
    for name in sorted(saved, key=size):
        value = main.__dict__[name]

        class _Linked(pickler):
            def persistent_id(self, obj):
                return refs.get(id(obj)) if obj is not value else None

        with open(os.path.join(directory, manifest[name]["file"]), "wb") as handle:
            _Linked(handle, protocol=4).dump(value)
        manifest[name]["refs"] = True
        refs[id(value)] = name


def _mlops_save(value, directory, stem, pickler):
    import io, os, pickle, sys
    if "pandas" in sys.modules:
        import pandas as pd
        if isinstance(value, pd.DataFrame):
            try:
                path = os.path.join(directory, stem + ".parquet")
                value.to_parquet(path)
                if pd.read_parquet(path).equals(value):
                    return {"file": stem + ".parquet", "format": "parquet"}
                os.remove(path)
            except Exception:
                pass
    buffer = io.BytesIO()
    pickler(buffer, protocol=4).dump(value)
    data = buffer.getvalue()
    pickle.loads(data)
    with open(os.path.join(directory, stem + ".pkl"), "wb") as handle:
        handle.write(data)
    return {"file": stem + ".pkl", "format": "pickle"}
"""


@dataclass
class Capture:
    """What ``capture_values`` saved: manifests per step (``inputs``/``outputs``) and ``_final``."""

    directory: Path
    manifests: dict[str, dict[str, dict[str, Any]]]

    def type_of(self, name: str, step: str | None = None) -> str:
        """The captured type path of ``name`` (``Any`` when unknown)."""
        places = [self.manifests.get(step, {})] if step else []
        places += list(self.manifests.values())
        for place in places:
            for phase in place.values():
                entry = phase.get(name)
                if entry and entry.get("type"):
                    return entry["type"]
        return "Any"


Progress = Callable[[int, int, int], None]  # (k, n, notebook cell index): cell k of n starts


def capture_values(
    nb: Mapping[str, Any],
    plan: Plan,
    directory: Path,
    package: str,
    workdir: Path,
    timeout: int = 600,
    kernel_name: str = "python3",
    *,
    progress: Progress | None = None,
    kernel_env: Mapping[str, str] | None = None,
) -> Capture:
    """Execute the notebook's cells (skip and test cells left out) and save step values.

    Each cell runs once, in notebook order, as the kernel ran it: a cell split into module-level
    imports and step code, and a definition cell moved to module level in the middle of a step,
    run where they are in the notebook. A step's inputs are saved before its first cell and its
    outputs after its last one. ``sys.exit()`` / ``raise SystemExit`` (status 0) ends the
    notebook successfully, as under papermill.

    Args:
        nb: The notebook dict.
        plan: Its analysis.
        directory: Where to write ``<step>/inputs``, ``<step>/outputs`` and ``_final``.
        package: Name of the generated package (pickles refer to ``<package>.steps``).
        workdir: Working directory of the kernel (the notebook's folder).
        timeout: Seconds allowed per cell.
        kernel_name: Jupyter kernel to run.
        progress: Called as each notebook cell starts, with ``(k, n, cell index)``.
        kernel_env: The kernel's environment (default: this process's).

    Returns:
        The manifests of what was captured.

    Raises:
        NotebookExecutionError: a notebook cell raised.
    """
    import nbformat
    from nbclient import NotebookClient

    hoisted = sorted(plan.module_names)
    cells = [_SETUP_CELL()]
    origin: list[int | None] = [None]  # the notebook cell each run cell comes from

    shared = sorted({n for b in plan.steps() for n in b.shared})

    def add_capture(names: list[str], where: Path) -> None:
        linked = [n for n in names if n in shared]
        call = f"__mlops_capture({names!r}, {str(where)!r}, {package!r}, {hoisted!r}, {linked!r})"
        cells.append(nbformat.v4.new_code_cell(call))
        origin.append(None)

    starts: dict[int, list[str]] = {}
    ends: dict[int, list[str]] = {}
    order: list[int] = []
    for block in plan.blocks:
        if block.kind == "test":
            continue
        indices = [p.cell.index for p in block.parts]
        order += indices
        if block.kind == "step":
            starts.setdefault(min(indices), []).append(block.name)
            ends.setdefault(max(indices), []).append(block.name)
    steps = {b.name: b for b in plan.steps()}
    for index in sorted(set(order)):
        for name in starts.get(index, ()):
            add_capture(steps[name].inputs + steps[name].params, directory / name / "inputs")
        cells.append(nbformat.v4.new_code_cell(nb["cells"][index]["source"]))
        origin.append(index)
        for name in ends.get(index, ()):
            add_capture(steps[name].outputs, directory / name / "outputs")
    final = list(dict.fromkeys(n for b in plan.steps() for n in b.outputs))
    add_capture(final, directory / FINAL / "outputs")
    run_nb = nbformat.v4.new_notebook(cells=cells)
    run_nb.metadata["kernelspec"] = {
        "name": kernel_name,
        "language": "python",
        "display_name": kernel_name,
    }
    started: list[int] = []  # the notebook cells nbclient started, in order
    client = NotebookClient(
        run_nb,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(workdir)}},
        allow_error_names=["SystemExit"],  # checked below: only a successful exit is allowed
        on_cell_start=_start_hook(progress, origin, started),
    )
    _execute(client, run_nb, origin, started, timeout, kernel_name, kernel_env)
    _check_exit(run_nb, origin)
    return _read_manifests(directory)


def _start_hook(progress: Progress | None, origin: list[int | None], started: list[int]) -> Any:
    """nbclient's on_cell_start: note each notebook cell as it starts (a kernel that dies at
    once may never report the cell's execution count) and report the progress."""
    numbered = {i: k for k, i in enumerate((i for i in origin if i is not None), start=1)}
    total = len(numbered)

    def hook(cell: Any, cell_index: int) -> None:
        index = origin[cell_index] if cell_index < len(origin) else None
        if index is not None:
            started.append(index)
            if progress is not None:
                progress(numbered[index], total, index)

    return hook


def _check_exit(run_nb: Any, origin: list[int | None]) -> None:
    """A ``SystemExit`` with a non-zero status is a failure, as papermill reports it."""
    for cell, index in zip(run_nb.cells, origin):
        for output in cell.get("outputs", []):
            failed = str(output.get("evalue", "")) not in ("", "0", "None")
            if (
                output.get("output_type") == "error"
                and output.get("ename") == "SystemExit"
                and failed
            ):
                raise NotebookExecutionError(
                    -1 if index is None else index,
                    "SystemExit",
                    str(output.get("evalue")),
                    source=cell.get("source", ""),
                )


def _execute(
    client: Any,
    run_nb: Any,
    origin: list[int | None],
    started: list[int],
    timeout: int,
    kernel_name: str,
    kernel_env: Mapping[str, str] | None,
) -> None:
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    try:  # the kernel's own log (e.g. ipykernel's TCP warning) is not the user's business
        if kernel_env is None:
            client.execute(stderr=subprocess.DEVNULL)
        else:
            client.execute(stderr=subprocess.DEVNULL, env=dict(kernel_env))
    except CellExecutionError as err:
        index = _failed_cell(run_nb, origin)
        raise NotebookExecutionError(
            index,
            err.ename,
            _first_line(err.evalue),
            source=_source(run_nb, origin, index),
            traceback=str(err.traceback or ""),
        ) from err
    except CellTimeoutError as err:  # the same errors as `run`, so every face says the same
        raise NotebookTimeoutError(timeout, started[-1] if started else -1) from err
    except DeadKernelError as err:
        raise KernelDiedError(started[-1] if started else -1) from err
    except NoSuchKernel as err:
        from jupyter_client.kernelspec import KernelSpecManager

        raise UnknownKernelError(
            kernel_name, sorted(KernelSpecManager().find_kernel_specs())
        ) from err


def _source(run_nb: Any, origin: list[int | None], index: int) -> str:
    return next((cell.source for cell, i in zip(run_nb.cells, origin) if i == index), "")


def _SETUP_CELL() -> Any:
    import nbformat

    return nbformat.v4.new_code_cell(_KERNEL_SETUP)


def _failed_cell(run_nb: Any, origin: list[int | None]) -> int:
    for cell, index in zip(run_nb.cells, origin):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return index if index is not None else -1
    return -1


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def _read_manifests(directory: Path) -> Capture:
    manifests: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted(directory.glob("*/*/manifest.json")):
        step, phase = path.parent.parent.name, path.parent.name
        manifests.setdefault(step, {})[phase] = json.loads(path.read_text(encoding="utf-8"))
    return Capture(directory, manifests)
