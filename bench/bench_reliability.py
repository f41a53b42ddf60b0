"""Reliability under load and faults: metrics lost, errors seen and wall time, beside MLflow's.

    python bench/bench_reliability.py [--only load-sqlite,pg-restart] [--mlflow-procs 8]
                                      [--mlflow-metrics 1000] [--write bench/RELIABILITY.md]

The load is the one of tests/load/test_load.py (shared code: tests/load/harness.py): 16 writer
processes x 20,000 metrics (2 keys x 10,000 steps) + 5 params, ending 6 to 16 s after a common
start, with 2 reader processes calling mj.runs() in a loop. The scenarios add one fault each:
a PostgreSQL restart, a PostgreSQL freeze (SIGSTOP), a full disk (a 5 MB tmpfs; needs root),
`store gc` looping while artifacts are logged, a SIGKILLed writer. MLflow gets the issue's load
(8 processes x 1,000 metrics + 100 params, one call per value, SQLite) in the same run, and so
do we. Counts come from a fresh process opening the store afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import quiet_mlflow

from tests.load.harness import (
    LoadResult,
    LoadSpec,
    RoutePoller,
    freeze_at,
    restart_at,
    run_load,
    worker_env,
)

SCENARIOS = (
    "load-sqlite",
    "load-postgres",
    "pg-restart",
    "pg-freeze",
    "full-disk",
    "gc-artifacts",
    "sigkill-writer",
)


def _row(name: str, store: str, load: str, r: LoadResult, note: str = "") -> dict[str, Any]:
    s = r.summary()
    errors = r.user_errors
    ok = (
        r.lost == 0
        and r.missing == 0
        and not errors
        and s["statuses"] == {"finished": r.spec.writers}
    )
    return {
        "scenario": name,
        "store": store,
        "load": load,
        **s,
        "errors": errors[:3],
        "reader_error_sample": [f"{e['type']}: {e['message']}" for e in r.reader_errors[:2]],
        "verdict": "PASS" if ok else "FAIL",
        "note": note,
    }


def _pg_db(cluster: Any) -> str:
    import psycopg

    db = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{cluster.url}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    return f"{cluster.url}/{db}"


def load_sqlite(root: Path, spec: dict[str, Any], _pg: Any) -> dict[str, Any]:
    store = str(root / "sqlite" / "runs.db")
    route = RoutePoller(store, root / "server")
    spec = {**spec, "spread": (0.0, 0.0)}
    r = run_load(LoadSpec(store=store, workdir=root / "load-sqlite", **spec), route=route)
    return _row("load, burst", "SQLite", _load_text(spec) + ", runs route polled", r)


def load_postgres(root: Path, spec: dict[str, Any], pg: Any) -> dict[str, Any]:
    spec = {**spec, "spread": (0.0, 0.0)}
    r = run_load(LoadSpec(store=_pg_db(pg), workdir=root / "load-pg", **spec))
    return _row("load, burst", "PostgreSQL", _load_text(spec), r)


def pg_restart(root: Path, spec: dict[str, Any], pg: Any) -> dict[str, Any]:
    r = run_load(
        LoadSpec(store=_pg_db(pg), workdir=root / "pg-restart", **spec),
        fault=restart_at(pg, after=5.0, down=4.0),
    )
    return _row(
        "restart (stop -m immediate at 5 s, start 4 s later)",
        "PostgreSQL",
        _load_text(spec),
        r,
        f"down {r.fault.get('down_s')} s from "
        f"{r.fault.get('down_from_s')} s; reader errors outside the outage: "
        f"{len(r.reader_errors_outside_fault())}",
    )


#: The store timeout the freeze scenario runs with: shorter than the freeze, so a run end
#: that waits for the thaw instead of timing out (and spooling) is a failure.
FREEZE_STORE_TIMEOUT = 5


def pg_freeze(root: Path, spec: dict[str, Any], pg: Any) -> dict[str, Any]:
    previous = os.environ.get("MLOPS_JUPYTER_STORE_TIMEOUT")
    os.environ["MLOPS_JUPYTER_STORE_TIMEOUT"] = str(FREEZE_STORE_TIMEOUT)  # the writers inherit it
    try:
        r = run_load(
            LoadSpec(store=_pg_db(pg), workdir=root / "pg-freeze", **spec),
            fault=freeze_at(pg, after=5.0, frozen=15.0),
        )
    finally:
        if previous is None:
            os.environ.pop("MLOPS_JUPYTER_STORE_TIMEOUT", None)
        else:
            os.environ["MLOPS_JUPYTER_STORE_TIMEOUT"] = previous
    hung = sum(1 for w in r.writers if (w.get("end_s") or 0) > 5)
    frozen = r.fault.get("frozen_s", 15.0)
    longest = r.summary()["end_s_max"]
    row = _row(
        f"freeze (SIGSTOP at 5 s for 15 s; MLOPS_JUPYTER_STORE_TIMEOUT={FREEZE_STORE_TIMEOUT})",
        "PostgreSQL",
        _load_text(spec),
        r,
        f"frozen {frozen} s; {hung} of {r.spec.writers} run ends blocked > 5 s, the "
        f"longest {longest:.1f} s; the longest reader call "
        f"{(r.summary()['reader_max_ms'] or 0) / 1e3:.1f} s",
    )
    if longest >= 0.9 * (frozen - 1.0):  # blocked until SIGCONT: no timeout fired
        row["verdict"] = "FAIL (run end hangs until the server thaws)"
    return row


def full_disk(root: Path, spec: dict[str, Any], _pg: Any) -> dict[str, Any]:
    small = root / "small"
    small.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=5m", "tmpfs", str(small)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        return {
            "scenario": "full disk",
            "store": "SQLite",
            "verdict": "SKIPPED",
            "note": f"cannot mount a tmpfs: {mounted.stderr.strip()}",
        }
    try:

        def free_space() -> None:  # the user frees space, then looks at the store
            subprocess.run(["mount", "-o", "remount,size=256m", str(small)], check=True)

        r = run_load(
            LoadSpec(store=str(small / "runs.db"), workdir=root / "full-disk", **spec),
            before_verify=free_space,
        )
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)
    return _row(
        "full disk (store on a 5 MB tmpfs)",
        "SQLite",
        _load_text(spec),
        r,
        f"reader errors: {len(r.reader_errors)}; counted after growing the tmpfs",
    )


def gc_artifacts(root: Path, spec: dict[str, Any], _pg: Any) -> dict[str, Any]:
    spec = {
        **spec,
        "writers": 4,
        "metrics": 2_000,
        "artifacts": 75,
        "spread": (1.0, 2.0),
        "readers": 0,
    }
    r = run_load(
        LoadSpec(store=str(root / "gc" / "runs.db"), workdir=root / "gc", **spec),
        companions=("gc",),
    )
    logged = sum(w.get("artifacts", 0) for w in r.writers)
    broken = sum(run["broken_artifacts"] for run in r.runs)
    gc = r.companions[0] if r.companions else {}
    row = _row(
        "`store gc` in a loop while 4 writers log 75 artifacts each",
        "SQLite",
        "4 x (2,000 metrics + 75 artifacts)",
        r,
        f"{broken} of {logged} artifacts lost their blob; gc ran {gc.get('calls')} "
        f"times, removed {gc.get('removed')} blobs",
    )
    row["artifacts_lost"] = broken
    if broken:
        row["verdict"] = "FAIL"
    return row


def sigkill_writer(root: Path, spec: dict[str, Any], _pg: Any) -> dict[str, Any]:
    spec = {**spec, "writers": 4, "spread": (10.0, 10.0)}
    work = root / "sigkill"

    def kill(writers: list[subprocess.Popen[bytes]], t_go: float) -> None:
        time.sleep(max(0.0, t_go + 5.0 - time.time()))
        writers[0].send_signal(signal.SIGKILL)

    r = run_load(
        LoadSpec(store=str(root / "sigkill-store" / "runs.db"), workdir=work, **spec), kill=kill
    )
    progress = (work / "w0.progress").read_text().split()
    before_kill = int(progress[-1]) if progress else 0
    r.writers[0] = {"name": "w0", "logged": before_kill}  # it printed nothing: it was killed
    killed = next((run for run in r.runs if run["name"] == "w0"), None)
    kept = sum(killed["rows"].values()) if killed else 0
    others = [run for run in r.runs if run["name"] != "w0"]
    others_lost = sum(r.spec.metrics - sum(run["rows"].values()) for run in others)
    ok = (
        killed is not None
        and killed["status"] == "killed"
        and killed["contiguous"]
        and others_lost == 0
        and all(run["status"] == "finished" for run in others)
        and len(r.user_errors) == 1
    )
    row = _row(
        "SIGKILL of 1 of 4 writers 5 s into 10 s of logging",
        "SQLite",
        _load_text(spec),
        r,
        f"killed run: {killed and killed['status']}, kept {kept:,} "
        f"of >= {before_kill:,} logged before the kill (the last 0.5 s may go, by "
        f"design), steps contiguous: {killed and killed['contiguous']}; the 3 others "
        f"lost {others_lost}",
    )
    row.update(lost=max(0, before_kill - kept) + others_lost, verdict="PASS" if ok else "FAIL")
    return row


def _load_text(spec: dict[str, Any]) -> str:
    lo, hi = spec.get("spread", (6.0, 16.0))
    pace = "burst" if hi == 0 else f"paced over {lo:g}-{hi:g} s"
    return (
        f"{spec['writers']} x {spec['metrics']:,} metrics + {spec['params']} params, "
        f"{pace}, {spec['readers']} readers"
    )


# -- MLflow ---------------------------------------------------------------------------------


def mlflow_worker(args: argparse.Namespace) -> None:
    """One MLflow writer: 100 params and `metrics` metrics, one call per value."""
    mlflow = quiet_mlflow(args.uri)
    out: dict[str, Any] = {"errors": [], "logged": 0}
    Path(args.ready).touch()
    while not Path(args.go).exists():
        time.sleep(0.01)
    t0 = time.time()
    try:
        with mlflow.start_run(experiment_id=args.experiment_id, run_name=args.name):
            for i in range(args.params):
                mlflow.log_param(f"p{i}", i * 0.5)
            for step in range(args.metrics // 2):
                for i, key in enumerate(("loss", "acc")):
                    mlflow.log_metric(key, 1.0 / (step + 1) + i, step=step)
                    out["logged"] += 1
    except Exception as err:
        out["errors"].append(f"{type(err).__name__}: {str(err)[:300]}")
    out["run_s"] = time.time() - t0
    print(json.dumps(out), flush=True)
    sys.exit(1 if out["errors"] else 0)


def mlflow_side(root: Path, procs: int, metrics: int, params: int) -> dict[str, Any]:
    db = root / "mlflow" / "mlflow.db"
    db.parent.mkdir(parents=True)
    uri = f"sqlite:///{db}"
    mlflow = quiet_mlflow(uri)
    exp = mlflow.MlflowClient().create_experiment("load", artifact_location=str(db.parent / "a"))
    go = db.parent / "go"
    cmds = []
    with contextlib.ExitStack() as stack:  # the children keep their own copies of the fds
        for i in range(procs):
            ready, log = db.parent / f"w{i}.ready", db.parent / f"w{i}"
            cmds.append(
                (
                    ready,
                    subprocess.Popen(
                        [
                            sys.executable,
                            __file__,
                            "mlflow-worker",
                            "--uri",
                            uri,
                            "--experiment-id",
                            exp,
                            "--name",
                            f"w{i}",
                            "--metrics",
                            str(metrics),
                            "--params",
                            str(params),
                            "--go",
                            str(go),
                            "--ready",
                            str(ready),
                        ],
                        env=worker_env(),
                        stdout=stack.enter_context(open(log.with_suffix(".out"), "w")),
                        stderr=stack.enter_context(open(log.with_suffix(".err"), "w")),
                    ),
                )
            )
    while not all(ready.exists() for ready, _ in cmds):  # imports are not part of the figures
        if any(p.poll() is not None for _, p in cmds):
            break
        time.sleep(0.05)
    go.touch()
    t0 = time.time()
    for _, p in cmds:
        p.wait()
    wall = time.time() - t0
    outs = [
        ((db.parent / f"w{i}.out").read_text(), (db.parent / f"w{i}.err").read_text())
        for i in range(procs)
    ]
    results = [json.loads(o.strip().splitlines()[-1]) if o.strip() else {} for o, _ in outs]
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT count(*) FROM metrics").fetchone()[0]
        statuses = dict(conn.execute("SELECT status, count(*) FROM runs GROUP BY status"))
    errors = [e for r in results for e in r.get("errors", [])]
    errors += [
        f"traceback on stderr: {e[e.index('Traceback') :][:300]}"
        for _, e in outs
        if "Traceback" in e
    ]
    logged = sum(r.get("logged", 0) for r in results)
    return {
        "wall_s": wall,
        "logged": logged,
        "stored": stored,
        "lost": logged - stored,
        "missing": procs * metrics - stored,
        "user_errors": len(errors),
        "errors": errors[:3],
        "statuses": statuses,
        "run_s_max": max((r.get("run_s", 0) for r in results), default=0),
        "version": mlflow.__version__,
    }


def ours_same_load(root: Path, procs: int, metrics: int, params: int) -> dict[str, Any]:
    r = run_load(
        LoadSpec(
            store=str(root / "ours-vs-mlflow" / "runs.db"),
            workdir=root / "ours-vs-mlflow-load",
            writers=procs,
            metrics=metrics,
            params=params,
            spread=(0.0, 0.0),
            readers=0,
        )
    )
    return {**r.summary(), "errors": r.user_errors[:3]}


# -- report ---------------------------------------------------------------------------------


def markdown(
    rows: list[dict[str, Any]],
    ml: dict[str, Any] | None,
    ours: dict[str, Any] | None,
    args: argparse.Namespace,
    context: str,
) -> str:
    lines = [
        "### Load and faults",
        "",
        (
            "| scenario | store | load | logged | stored | lost | user-visible errors | "
            "runs | wall s | longest run end s | readers: calls / errors | verdict |"
        ),
        "|---|---|---|---:|---:|---:|---:|---|---:|---:|---|---|",
    ]
    for r in rows:
        if r["verdict"] == "SKIPPED":
            lines.append(
                f"| {r['scenario']} | {r['store']} | – | – | – | – | – | – | – | – | – "
                f"| SKIPPED: {r['note']} |"
            )
            continue
        runs = ", ".join(f"{n} {k}" for k, n in r["statuses"].items())
        lost = f"**{r['lost']:,}**" + (
            f" (+ **{r['artifacts_lost']}** artifacts)" if "artifacts_lost" in r else ""
        )
        lines.append(
            f"| {r['scenario']} | {r['store']} | {r['load']} | {r['logged']:,} | "
            f"{r['stored']:,} | {lost} | {r['user_errors']} | {runs} | "
            f"{r['wall_s']:.1f} | {r['end_s_max']:.1f} | {r['reader_calls']} / "
            f"{r['reader_errors']} | {r['verdict']} |"
        )
    lines += [
        "",
        (
            "Wall: from the common start signal to the last writer's exit (imports and "
            "store opening excluded). Lost: metrics `log_metric` accepted that a fresh process "
            "does not find. User-visible errors: exceptions raised into the writer, non-zero "
            "exits, tracebacks on stderr."
        ),
        "",
    ]
    for r in rows:
        detail = [r.get("note", "")]
        if r.get("route_calls") is not None:
            detail.append(
                f"runs route: {r['route_calls']} calls, {r['route_errors']} errors, "
                f"p50 {r['route_p50_ms']} / p99 {r['route_p99_ms']} / max "
                f"{r['route_max_ms']} ms, codes {r['route_codes']}"
            )
        if r.get("reader_p50_ms") is not None:
            detail.append(
                f"reader mj.runs() p50 {r['reader_p50_ms']} / max {r['reader_max_ms']}"
                f" ms, fresh open max {r['fresh_open_max_ms']} ms"
            )
        detail += [f"error: `{e[:240]}`" for e in r.get("errors", [])[:2]]
        detail += [f"reader error: `{e[:200]}`" for e in r.get("reader_error_sample", [])[:1]]
        if r["verdict"] != "SKIPPED":
            lines.append(
                f"- **{r['scenario']}, {r['store']}**: " + "; ".join(d for d in detail if d)
            )
    if ml and ours:
        lines += [
            "",
            (
                f"### The issue's load beside MLflow {ml['version']} (SQLite, "
                f"{args.mlflow_procs} processes x {args.mlflow_metrics:,} metrics + "
                f"{args.mlflow_params} params)"
            ),
            "",
            "| measure | mlops-jupyter | MLflow | ratio |",
            "|---|---:|---:|---:|",
        ]
        for what, a, b in (
            ("wall s", ours["wall_s"], ml["wall_s"]),
            ("metrics lost", ours["lost"], ml["lost"]),
            ("user-visible errors", ours["user_errors"], ml["user_errors"]),
        ):
            ratio = f"{b / a:,.0f}x" if what == "wall s" and a else "–"
            lines.append(f"| {what} | {a:,.4g} | {b:,.4g} | {ratio} |")
        lines += [
            "",
            f"MLflow: one `log_param`/`log_metric` call per value (it has no buffer); "
            f"its longest run took {ml['run_s_max']:.1f} s; runs {ml['statuses']}. "
            "mlops-jupyter: the same metrics, one `Run.log_metric` call per value, and "
            "the params in one `log_params` call."
            + (f" MLflow errors: {ml['errors'][:2]}" if ml["errors"] else ""),
        ]
    lines += ["", context]
    return "\n".join(lines) + "\n"


def _git(*args: str) -> str:
    repo = Path(__file__).resolve().parents[1]
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    ).stdout.strip()


def _context(head: str, code: str, dirty: str, load_before: float) -> str:
    """Which code was measured: taken at the start, so commits made meanwhile do not count."""
    import mlops_jupyter

    return (
        f"One `python bench/bench_reliability.py` run on commit `{head}` (mlops_jupyter/ as "
        f"of `{code}`{', with uncommitted changes' if dirty else ''}), code imported from "
        f"`{Path(mlops_jupyter.__file__).parent}`; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {load_before:.1f} at the start and "
        f"{os.getloadavg()[0]:.1f} at the end; {time.strftime('%Y-%m-%d %H:%M')}."
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "mlflow-worker":
        p = argparse.ArgumentParser()
        for name in ("uri", "experiment-id", "name", "go", "ready"):
            p.add_argument(f"--{name}", required=True)
        p.add_argument("--metrics", type=int, required=True)
        p.add_argument("--params", type=int, required=True)
        mlflow_worker(p.parse_args(sys.argv[2:]))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(SCENARIOS)}")
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--metrics", type=int, default=20_000, help="per writer")
    parser.add_argument("--mlflow-procs", type=int, default=8, help="0 skips the MLflow part")
    parser.add_argument("--mlflow-metrics", type=int, default=1_000, help="per process")
    parser.add_argument("--mlflow-params", type=int, default=100, help="per process")
    parser.add_argument("--write", help="also write the markdown to this file")
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else list(SCENARIOS)
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario {sorted(unknown)}; choose from {', '.join(SCENARIOS)}")
    funcs: dict[str, Callable[[Path, dict[str, Any], Any], dict[str, Any]]] = {
        "load-sqlite": load_sqlite,
        "load-postgres": load_postgres,
        "pg-restart": pg_restart,
        "pg-freeze": pg_freeze,
        "full-disk": full_disk,
        "gc-artifacts": gc_artifacts,
        "sigkill-writer": sigkill_writer,
    }
    spec = {"writers": args.writers, "metrics": args.metrics, "keys": 2, "params": 5, "readers": 2}
    load_before = os.getloadavg()[0]
    measured = (
        _git("rev-parse", "--short", "HEAD"),
        _git("log", "-1", "--format=%h", "--", "mlops_jupyter"),
        _git("status", "--porcelain", "mlops_jupyter"),
    )
    rows: list[dict[str, Any]] = []
    ml = ours = None
    with tempfile.TemporaryDirectory(prefix="bench-rel-") as tmp:
        root = Path(tmp)
        pg = None
        if any(name.startswith("pg") or name == "load-postgres" for name in chosen):
            from tests.conftest import PostgresCluster

            pg = PostgresCluster()
            pg.start()
        try:
            for name in chosen:
                t = time.time()
                rows.append(funcs[name](root, spec, pg))
                print(
                    f"{name}: {json.dumps(rows[-1], default=str)} ({time.time() - t:.0f} s)",
                    flush=True,
                )
        finally:
            if pg:
                pg.remove()
        if args.mlflow_procs:
            ours = ours_same_load(root, args.mlflow_procs, args.mlflow_metrics, args.mlflow_params)
            print(f"ours, MLflow's load: {json.dumps(ours, default=str)}", flush=True)
            ml = mlflow_side(root, args.mlflow_procs, args.mlflow_metrics, args.mlflow_params)
            print(f"MLflow: {json.dumps(ml, default=str)}", flush=True)
    text = markdown(rows, ml, ours, args, _context(*measured, load_before))
    print(text)
    if args.write:
        Path(args.write).write_text(text)


if __name__ == "__main__":
    main()
