"""The runtime of a converted package: steps in dependency order, cached by the hash of their
source, parameters and inputs, or run alone from and to files (a DVC stage, an Airflow task).

Copied verbatim into each package (see the folder's docstring): standard library only
(cloudpickle when installed), never ``mlops_jupyter``.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .outputs import PipelineError, dumps, load_blobs, load_file, sha

#: Keyword arguments of ``run()`` that are runtime options, not notebook parameters.
OPTIONS = ("cache", "force", "executor", "scheduler", "report", "check", "load_outputs")
# Values whose pickles change when merely shown or saved (renderer caches, canvases): a step
# that draws or saves a figure is not taken to change it (the generated tests compare them by
# type only, for the same reason).
_STATEFUL = {"matplotlib", "seaborn", "PIL", "IPython", "ipywidgets"}
#: What ``run_alone`` writes for a step without outputs (so later stages can depend on it).
DONE_FILE = "done.json"


@dataclass(frozen=True)
class Step:
    """One step of the pipeline: its function and what flows in and out of it."""

    name: str
    function: str  # "package.steps.name", imported when the step runs (not when it is cached)
    inputs: tuple[tuple[str, str], ...] = ()  # (name, the step that produces it)
    params: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    after: tuple[str, ...] = ()  # every step it runs after: its inputs' producers and `after:`
    shared: tuple[str, ...] = ()  # outputs that may share objects: written with references
    source: str = ""  # the hash of its code, set by graph()


@dataclass
class Outcome:
    """A step's result: its outputs as pickled bytes with their sha256, and how it was had."""

    name: str
    blobs: dict[str, bytes]
    hashes: dict[str, str]
    status: str  # "ran in 1.2 s" or "cached"
    values: dict[str, Any] | None = None  # the live values, when run in this process


def materialise(step: Step, values: Mapping[str, Any]) -> tuple[dict[str, bytes], dict[str, str]]:
    """Pickle each output of ``step``; return the bytes and their hashes by output name.

    Outputs that may share objects (``step.shared``: ``alice`` inside ``bank``) are written
    smallest first, each later one referring to the earlier ones it contains, and get one hash
    for them all (a change to ``alice`` is a change to ``bank``)."""
    blobs = {name: dumps(step.name, name, values[name]) for name in step.outputs}
    hashes = {name: sha(blob) for name, blob in blobs.items()}
    shared = [n for n in step.outputs if n in step.shared]
    if len(shared) > 1:
        refs: dict[int, str] = {}
        for name in sorted(shared, key=lambda n: len(blobs[n])):
            blobs[name] = dumps(step.name, name, values[name], refs)
            refs[id(values[name])] = name
        together = sha(b"".join(blobs[n] for n in sorted(shared)))
        hashes.update(dict.fromkeys(shared, together))
    return blobs, hashes


def function_of(step: Step) -> Callable[..., Any]:
    """The step's function (importing the steps module, and the notebook's libraries)."""
    module, _, attribute = step.function.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def call(step: Step, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Call the step's function and name its results."""
    result = function_of(step)(
        **{n: arguments[n] for n in [i for i, _ in step.inputs] + [*step.params]}
    )
    if not step.outputs:
        return {}
    if len(step.outputs) == 1:
        return {step.outputs[0]: result}
    return dict(zip(step.outputs, result))


def graph(module: str, steps: Iterable[Step]) -> tuple[Step, ...]:
    """The steps of ``module`` (their functions as dotted paths) with their source hashes: each
    step's function and the module code around it (imports, helpers, classes) but not the other
    steps, so editing one step re-runs only that step and what comes after it. The module's file
    is parsed, not imported: a fully cached run never imports the notebook's libraries."""
    steps = list(steps)
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise PipelineError(f"cannot find the steps module {module!r}")
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    names = {s.function for s in steps}
    common = [
        ast.dump(node)
        for node in tree.body
        if not (isinstance(node, ast.FunctionDef) and node.name in names)
    ]
    shared = sha("\n".join(common).encode())
    functions = {
        node.name: sha(f"{shared}\n{ast.dump(node)}".encode())
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }
    return tuple(
        replace(s, function=f"{module}.{s.function}", source=functions.get(s.function, shared))
        for s in steps
    )


def write_code_hashes(graph: Iterable[Step], folder: str | os.PathLike[str]) -> list[Path]:
    """Write each step's source hash (its function and the module code around it) to
    ``FOLDER/STEP.sha256``, the file its DVC stage depends on: editing one step's code changes
    only that step's file. A file whose hash is unchanged is left as it is."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for step in graph:
        path = root / f"{step.name}.sha256"
        text = f"{step.source}\n"
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            scratch = path.with_name(f".{path.name}.{os.getpid()}")
            scratch.write_text(text, encoding="utf-8")
            os.replace(scratch, path)
        written.append(path)
    return written


def _value_hash(value: Any) -> str:
    try:
        return sha(json.dumps(value, sort_keys=True).encode())
    except (TypeError, ValueError):
        return sha(pickle.dumps(value))


def step_key(step: Step, params: Mapping[str, Any], input_hashes: Mapping[str, str]) -> str:
    """The cache key: source, parameter values and input contents (not their producers' keys,
    so a re-run upstream step that gives the same outputs leaves the rest cached)."""
    doc = {
        "step": step.name,
        "source": step.source,
        "params": {p: _value_hash(params[p]) for p in step.params},
        "inputs": {n: input_hashes[n] for n, _ in step.inputs},
        "python": list(sys.version_info[:2]),
    }
    return sha(json.dumps(doc, sort_keys=True).encode())[:32]


class Cache:
    """Step outputs by key under one folder: ``STEP/KEY/NAME.pkl`` and a manifest."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def load(self, step: str, key: str) -> Outcome | None:
        """The cached outcome, or None when absent or damaged (then the step runs again)."""
        folder = self.root / step / key
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            blobs = {n: (folder / f"{n}.pkl").read_bytes() for n in manifest["outputs"]}
            files = manifest["files"]
        except (OSError, ValueError, KeyError):
            return None
        if {n: sha(b) for n, b in blobs.items()} != files:
            return None
        return Outcome(step, blobs, manifest["outputs"], "cached")

    def save(self, outcome: Outcome, key: str) -> None:
        """Write the outcome atomically (a folder renamed into place)."""
        parent = self.root / outcome.name
        parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=parent, prefix=".tmp-"))
        for name, blob in outcome.blobs.items():
            (scratch / f"{name}.pkl").write_bytes(blob)
        files = {n: sha(b) for n, b in outcome.blobs.items()}
        manifest = {"step": outcome.name, "outputs": outcome.hashes, "files": files}
        (scratch / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        try:
            os.replace(scratch, parent / key)
        except OSError:  # another process cached the same key first
            _remove(scratch)


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def downstream(graph: Iterable[Step], names: Iterable[str]) -> set[str]:
    """``names`` and every step that runs after one of them, directly or not."""
    steps = list(graph)
    known = [s.name for s in steps]
    wanted = [names] if isinstance(names, str) else list(names)
    for name in wanted:
        if name not in known:
            raise PipelineError(
                f"--force {name!r}: no such step; expected one of {', '.join(known) or '(none)'}"
            )
    found = set(wanted)
    for step in steps:  # the graph is in dependency order
        if found & set(step.after):
            found.add(step.name)
    return found


def run_step(
    step: Step,
    arguments: Mapping[str, Any],
    input_hashes: Mapping[str, str],
    cache: Cache | None,
    forced: bool,
) -> Outcome:
    """Run one step, or load it from the cache when its key is there (and it is not forced)."""
    key = step_key(step, arguments, input_hashes) if cache is not None else ""
    if cache is not None and not forced:
        hit = cache.load(step.name, key)
        if hit is not None:
            return hit
    function_of(step)  # imported before the clock starts: the line reports the step's own time
    start = time.perf_counter()
    values = call(step, arguments)
    seconds = time.perf_counter() - start
    blobs, hashes = materialise(step, values)
    outcome = Outcome(step.name, blobs, hashes, f"ran in {seconds:.1f} s", values)
    if cache is not None:
        cache.save(outcome, key)
    return outcome


def input_hashes(step: Step, ns: Mapping[str, Any], made: Mapping[str, str]) -> dict[str, str]:
    """The sha256 of each earlier step output (``made``: name -> producer) in ``ns`` that the
    step does not return, pickled alone (``--check``): its inputs, and the values that may
    share objects with them (``bank`` holding the ``alice`` a step changes)."""
    return {
        name: sha(dumps(step.name, name, ns[name]))
        for name in made
        if name in ns
        and name not in step.outputs
        and type(ns[name]).__module__.split(".")[0] not in _STATEFUL
    }


def check_inputs_unchanged(
    step: Step, ns: Mapping[str, Any], before: Mapping[str, str], made: Mapping[str, str]
) -> None:
    """Fail when ``step`` changed an earlier step's output in place without returning it
    (``before``: their ``input_hashes`` before it ran): run from files (a DVC stage, an Airflow
    task, a cached step) the steps after it would not see the change."""
    inputs = {n for n, _ in step.inputs}
    for name, hashed in before.items():
        if sha(dumps(step.name, name, ns[name])) == hashed:
            continue
        what = "its input" if name in inputs else "a value that shares objects with its inputs,"
        raise PipelineError(
            f"step {step.name!r} changes {what} {name!r} (from step {made[name]!r}) in place "
            "without returning it, so when steps run from files (a DVC stage, an Airflow "
            "task, a cached step) the steps after it would not see the change; make the "
            f"change in step {made[name]!r}, or merge the two steps"
        )


def report_line(outcome: Outcome) -> None:
    """The one line per step: ``step NAME: ran in 1.2 s`` or ``step NAME: cached``."""
    print(f"step {outcome.name}: {outcome.status}", file=sys.stderr, flush=True)


def execute_local(
    graph: tuple[Step, ...],
    ns: dict[str, Any],
    *,
    stop_before: str | None,
    cache: str | os.PathLike[str] | None,
    forced: set[str],
    report: bool,
    check: bool,
    load_outputs: bool,
) -> dict[str, Any]:
    """Run the graph here, in dependency order, on the namespace ``ns``; return it.

    Without a cache, ``forced``, ``report`` or ``check`` the steps are plain calls, as in the
    notebook. ``check`` fails on a step that changes an input in place without returning it.
    ``load_outputs=False`` leaves cached outputs no later step needs out of ``ns`` (the command
    line, which returns nothing, so a fully cached run imports none of the notebook's libraries).
    """
    if cache is None and not forced and not report and not check:
        for step in graph:
            if step.name == stop_before:
                return ns
            ns.update(call(step, ns))
        return ns
    store = Cache(cache) if cache is not None else None
    outcomes: dict[str, Outcome] = {}
    pending: dict[str, Outcome] = {}  # cached outputs, unpickled when a step or caller needs them
    made: dict[str, str] = {}  # every output so far -> the step that last produced it
    for step in graph:
        if step.name == stop_before:
            break
        hashes = {n: outcomes[p].hashes[n] for n, p in step.inputs}
        hit = None
        if store is not None and step.name not in forced:
            hit = store.load(step.name, step_key(step, ns, hashes))
        if hit is None:  # unpickled only for a step that runs
            _unpickle(ns, pending, [n for n, _ in step.inputs if n in pending])
        before = input_hashes(step, ns, made) if check and hit is None else {}
        outcome = hit or run_step(step, ns, hashes, store, True)
        if check and outcome.values is not None:
            check_inputs_unchanged(step, ns, before, made)
        outcomes[step.name] = outcome
        made.update(dict.fromkeys(step.outputs, step.name))
        if outcome.values is None:
            pending.update(dict.fromkeys(outcome.blobs, outcome))
        else:
            ns.update(outcome.values)
            for name in outcome.values:
                pending.pop(name, None)
        if report:
            report_line(outcome)
    if load_outputs:
        _unpickle(ns, pending, list(pending))
    return ns


def _unpickle(ns: dict[str, Any], pending: dict[str, Outcome], names: list[str]) -> None:
    """Unpickle cached outputs into ``ns``, those of one step together (one object stays one)."""
    by_step: dict[int, tuple[Outcome, list[str]]] = {}
    for name in names:
        outcome = pending.pop(name)
        by_step.setdefault(id(outcome), (outcome, []))[1].append(name)
    for outcome, wanted in by_step.values():
        ns.update(load_blobs(outcome.blobs, wanted))


def run_alone(
    graph: tuple[Step, ...],
    name: str,
    ns: dict[str, Any],
    data: str | os.PathLike[str],
    inputs: Mapping[str, str] | None = None,
) -> Outcome:
    """Run one step from files: inputs from ``DATA/PRODUCER/NAME.pkl`` (or the paths given),
    outputs to ``DATA/STEP/NAME.pkl`` (``done.json`` when it has none). A DVC stage, an Airflow
    task."""
    steps = {s.name: s for s in graph}
    if name not in steps:
        raise PipelineError(f"--step {name!r}: no such step; expected one of {', '.join(steps)}")
    step, root = steps[name], Path(data)
    arguments = dict(ns)
    memo: dict[Path, Any] = {}  # one per stage: inputs a step shared stay one object
    for value, producer in step.inputs:
        path = (
            Path(inputs[value]) if inputs and value in inputs else root / producer / f"{value}.pkl"
        )
        if not path.is_file():
            raise PipelineError(
                f"step {name!r}: input {value!r} is missing ({path}); run step {producer!r} first"
            )
        arguments[value] = load_file(path, memo)
    outcome = run_step(step, arguments, {}, None, True)
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    files = {f"{n}.pkl": b for n, b in outcome.blobs.items()}
    if not files:
        files[DONE_FILE] = json.dumps({"step": name, "outputs": []}).encode()
    for file, blob in files.items():
        scratch = folder / f".{file}.{os.getpid()}"
        scratch.write_bytes(blob)
        os.replace(scratch, folder / file)
    return outcome
