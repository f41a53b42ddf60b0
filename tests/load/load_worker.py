"""One process of the load and fault scenarios: a writer, a reader, or the after-the-fact check.

    python load_worker.py write  --store URL --name w3 --metrics 20000 --go FILE --ready FILE
    python load_worker.py read   --store URL --stop FILE --ready FILE
    python load_worker.py verify --store URL --experiment load
    python load_worker.py gc     --store URL --stop FILE --ready FILE

Each prints one JSON object on stdout with its own figures. A writer behaves like a user's
training script (``with mj.start_run(): ... log_metric``): any exception the tracking API raises
into it is a user-visible error, reported in the JSON and the exit status (1). A writer is paced
to a schedule (its metrics spread over --duration seconds after the go file appears), so faults
injected by the harness land in the middle of the logging; the metrics are the same either way.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

KEYS = ("loss", "acc", "lr", "grad", "m4", "m5", "m6", "m7")


def _error(where: str, err: BaseException) -> dict[str, Any]:
    from mlops_jupyter.errors import MlopsJupyterError

    message = str(err).strip().splitlines()[0][:300] if str(err).strip() else ""
    return {
        "where": where,
        "type": type(err).__name__,
        "message": message,
        "t": time.time(),
        "clear": isinstance(err, MlopsJupyterError),  # the library's own, with its advice
        "traceback": "".join(traceback.format_exception(err))[-2000:],
    }


def _wait_for(path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear within {timeout:.0f} s")
        time.sleep(0.01)


def write(args: argparse.Namespace) -> dict[str, Any]:
    """Log --params params then --metrics metrics (--keys keys x steps), on schedule, in one run."""
    import mlops_jupyter as mj

    keys = KEYS[: args.keys]
    steps = args.metrics // len(keys)
    out: dict[str, Any] = {
        "name": args.name,
        "run_id": None,
        "logged": 0,
        "params": 0,
        "errors": [],
        "max_call_ms": 0.0,
        "end_s": None,
    }
    progress = open(args.progress, "w") if args.progress else None  # noqa: SIM115
    where = "start_run"
    t_go = t_body = None
    try:
        with mj.start_run(name=args.name, experiment=args.experiment, store=args.store) as run:
            out["run_id"] = run.run_id
            where = "log_params"
            run.log_params({f"p{i}": i * 0.5 for i in range(args.params)})
            out["params"] = args.params
            Path(args.ready).touch()
            _wait_for(Path(args.go), 600)
            t_go = out["t_go"] = time.time()
            where = "log_metric"
            worst = 0.0
            for step in range(steps):
                if step % 50 == 0:
                    due = t_go + args.duration * step / steps
                    if due > time.time():
                        time.sleep(due - time.time())
                    if progress:
                        progress.write(f"{out['logged']}\n")
                        progress.flush()
                for i, key in enumerate(keys):
                    t = time.perf_counter()
                    run.log_metric(key, 1.0 / (step + 1) + i, step=step)
                    worst = max(worst, time.perf_counter() - t)
                    out["logged"] += 1
            out["max_call_ms"] = worst * 1e3
            if args.artifacts:
                where = "log_artifact"
                for i in range(args.artifacts):
                    run.log_artifact(
                        f"{args.name} artifact {i} {time.time()}".encode(), name=f"a{i}.txt"
                    )
                    out["artifacts"] = i + 1
            where = "end"
            t_body = out["t_end_begin"] = time.time()
        out["end_s"] = time.time() - t_body
    except BaseException as err:
        out["max_call_ms"] = max(out["max_call_ms"], 0.0)
        if t_body is not None:
            out["end_s"] = time.time() - t_body
        out["errors"].append(_error(where, err))
    out["t_done"] = time.time()
    out["wall_s"] = out["t_done"] - t_go if t_go else None
    return out


def read(args: argparse.Namespace) -> dict[str, Any]:
    """Call mj.runs() in a loop until the stop file appears; every 10th call on a fresh store."""
    import mlops_jupyter as mj

    lat: list[float] = []
    fresh: list[float] = []
    errors: list[dict[str, Any]] = []
    calls = 0
    first = True
    while first or not Path(args.stop).exists():
        t = time.perf_counter()
        try:
            if calls % 10 == 9:
                store = mj.RunStore(args.store)
                store.runs_frame(limit=100)
                store.dispose()
                fresh.append(time.perf_counter() - t)
            else:
                mj.runs(store=args.store, limit=100)
                if not first:  # the first call imports pandas and opens the store: warm-up
                    lat.append(time.perf_counter() - t)
        except Exception as err:
            errors.append(_error("runs", err))
            time.sleep(0.05)
        calls += 1
        if first:
            Path(args.ready).touch()
            first = False
        time.sleep(args.pause)
    return {
        "calls": calls,
        "errors": errors,
        **_quantiles("runs", lat),
        **_quantiles("fresh_open", fresh),
    }


def _quantiles(name: str, samples: list[float]) -> dict[str, float | None]:
    if not samples:
        return {f"{name}_p50_ms": None, f"{name}_p99_ms": None, f"{name}_max_ms": None}
    s = sorted(samples)
    return {
        f"{name}_p50_ms": s[len(s) // 2] * 1e3,
        f"{name}_p99_ms": s[min(len(s) - 1, int(len(s) * 0.99))] * 1e3,
        f"{name}_max_ms": s[-1] * 1e3,
    }


def verify(args: argparse.Namespace) -> dict[str, Any]:
    """What a later session finds: every run of the experiment, its status, rows per key, params.

    A fresh process opening the store, as the user's next command would (so anything a client
    keeps locally and replays on open is counted).
    """
    import mlops_jupyter as mj

    store = mj.RunStore(args.store)
    mj.runs(store=store, limit=1)  # the user's first look (it writes what was spooled meanwhile)
    runs = []
    for record in store.search_runs(experiment=args.experiment):
        rec = store.get_run(record.run_id)
        rows, contiguous = {}, True
        for key in store.metric_keys(rec.run_id):
            steps = [p.step for p in store.metric_history(rec.run_id, key)]
            rows[key] = len(steps)
            contiguous = contiguous and steps == list(range(len(steps)))
        broken = 0
        for art in rec.artifacts:
            try:
                store.read_artifact(art.sha256)
            except Exception:
                broken += 1
        runs.append(
            {
                "run_id": rec.run_id,
                "name": rec.name,
                "status": rec.status,
                "rows": rows,
                "contiguous": contiguous,
                "params": len(rec.params),
                "artifacts": len(rec.artifacts),
                "broken_artifacts": broken,
                "error": (rec.error or "")[-300:],
            }
        )
    return {"runs": runs}


def gc(args: argparse.Namespace) -> dict[str, Any]:
    """Run the store's gc in a loop until the stop file appears (the probe's F8)."""
    import mlops_jupyter as mj

    store = mj.RunStore(args.store)
    Path(args.ready).touch()
    calls = removed = 0
    errors: list[dict[str, Any]] = []
    while not Path(args.stop).exists():
        try:
            removed += store.gc()["removed"]
        except Exception as err:
            errors.append(_error("gc", err))
        calls += 1
        time.sleep(args.pause)
    return {"calls": calls, "removed": removed, "gc_errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("--store", required=True)
    w.add_argument("--name", required=True)
    w.add_argument("--experiment", default="load")
    w.add_argument("--metrics", type=int, default=20_000)
    w.add_argument("--keys", type=int, default=2)
    w.add_argument("--params", type=int, default=5)
    w.add_argument("--duration", type=float, default=0.0, help="spread the metrics over this")
    w.add_argument("--artifacts", type=int, default=0, help="log this many small artifacts")
    w.add_argument("--go", required=True)
    w.add_argument("--ready", required=True)
    w.add_argument("--progress", help="write the count logged so far here, every 50 steps")
    r = sub.add_parser("read")
    r.add_argument("--store", required=True)
    r.add_argument("--stop", required=True)
    r.add_argument("--ready", required=True)
    r.add_argument("--pause", type=float, default=0.05)
    v = sub.add_parser("verify")
    v.add_argument("--store", required=True)
    v.add_argument("--experiment", default="load")
    g = sub.add_parser("gc")
    g.add_argument("--store", required=True)
    g.add_argument("--stop", required=True)
    g.add_argument("--ready", required=True)
    g.add_argument("--pause", type=float, default=0.0)
    args = parser.parse_args()
    out = {"write": write, "read": read, "verify": verify, "gc": gc}[args.cmd](args)
    print(json.dumps(out), flush=True)
    sys.exit(1 if out.get("errors") and args.cmd == "write" else 0)


if __name__ == "__main__":
    main()
