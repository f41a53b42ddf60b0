"""Runs N writer processes, readers and a polled jupyter_server against one store, with a fault.

Shared by tests/load/test_load.py and bench/bench_reliability.py, so the test and the benchmark
measure the same load. Everything is real: separate Python processes importing whatever
mlops_jupyter is first on PYTHONPATH, a real SQLite file or PostgreSQL server, a real
`jupyter server` subprocess polled over HTTP.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WORKER = Path(__file__).with_name("load_worker.py")
REPO = Path(__file__).resolve().parents[2]


def worker_env() -> dict[str, str]:
    """The environment of every child: this checkout first on the path, no inherited store."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    for name in ("MLOPS_JUPYTER_STORE", "MLOPS_JUPYTER_PARENT_RUN", "MLOPS_JUPYTER_EXPERIMENT"):
        env.pop(name, None)
    return env


def free_port() -> int:
    """A TCP port nobody listens on now, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LoadSpec:
    """One load: `writers` processes x `metrics` metrics (over `keys` keys) and `params` params.

    Writer i spreads its metrics over a duration between `spread[0]` and `spread[1]` seconds
    (linearly in i), so writers end at different moments, some of them inside an injected fault.
    """

    store: str
    workdir: Path
    writers: int = 16
    metrics: int = 20_000
    keys: int = 2
    params: int = 5
    spread: tuple[float, float] = (6.0, 16.0)
    readers: int = 2
    artifacts: int = 0
    experiment: str = "load"
    timeout: float = 240.0


@dataclass
class LoadResult:
    """Figures of one load: what was logged, what a later session finds, every error seen."""

    spec: LoadSpec
    wall_s: float
    writers: list[dict[str, Any]]
    readers: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    exit_codes: list[int]
    stderr_tracebacks: list[str]
    fault: dict[str, Any] = field(default_factory=dict)
    route: dict[str, Any] = field(default_factory=dict)
    companions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def intended(self) -> int:
        return self.spec.writers * (self.spec.metrics // self.spec.keys) * self.spec.keys

    @property
    def logged(self) -> int:
        """log_metric calls that returned normally."""
        return sum(w.get("logged", 0) for w in self.writers)

    @property
    def stored(self) -> int:
        return sum(sum(r["rows"].values()) for r in self.runs)

    @property
    def lost(self) -> int:
        """Metrics the API accepted that the store does not hold."""
        return self.logged - self.stored

    @property
    def missing(self) -> int:
        """Metrics the scripts meant to log that the store does not hold (lost or never logged)."""
        return self.intended - self.stored

    @property
    def user_errors(self) -> list[str]:
        """Every error a user would have seen: exceptions in writers, non-zero exits, tracebacks."""
        out = [
            f"{w['name']}: {e['where']}: {e['type']}: {e['message']}"
            for w in self.writers
            for e in w.get("errors", [])
        ]
        out += [
            f"writer {i} exited {rc}"
            for i, rc in enumerate(self.exit_codes)
            if rc != 0 and not self.writers[i].get("errors")
        ]
        return out + [f"traceback on stderr: {t}" for t in self.stderr_tracebacks]

    @property
    def reader_errors(self) -> list[dict[str, Any]]:
        return [e for r in self.readers for e in r.get("errors", [])]

    def reader_errors_outside_fault(self, grace: float = 1.0) -> list[dict[str, Any]]:
        """Reader errors not explained by the fault: raised before it began or `grace` s after
        the server was back (a read while the database is down may fail, with a clear error)."""
        lo, hi = self.fault.get("t_down"), self.fault.get("t_up")
        if lo is None or hi is None:
            return self.reader_errors
        return [e for e in self.reader_errors if not lo <= e["t"] <= hi + grace]

    def statuses(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for run in self.runs:
            counts[run["status"]] = counts.get(run["status"], 0) + 1
        missing_runs = self.spec.writers - len(self.runs)
        if missing_runs:
            counts["(no run)"] = missing_runs
        return counts

    def summary(self) -> dict[str, Any]:
        """The figures as one flat dict (what the benchmark tabulates and the test prints)."""
        readers = self.readers
        return {
            "intended": self.intended,
            "logged": self.logged,
            "stored": self.stored,
            "lost": self.lost,
            "missing": self.missing,
            "wall_s": round(self.wall_s, 1),
            "user_errors": len(self.user_errors),
            "statuses": self.statuses(),
            "end_s_max": max((w.get("end_s") or 0.0 for w in self.writers), default=0.0),
            "call_ms_max": max((w.get("max_call_ms") or 0.0 for w in self.writers), default=0.0),
            "reader_calls": sum(r.get("calls", 0) for r in readers),
            "reader_errors": len(self.reader_errors),
            "reader_errors_outside_fault": len(self.reader_errors_outside_fault()),
            "reader_p50_ms": _worst(readers, "runs_p50_ms"),
            "reader_max_ms": _worst(readers, "runs_max_ms"),
            "fresh_open_max_ms": _worst(readers, "fresh_open_max_ms"),
            **{f"route_{k}": v for k, v in self.route.items()},
            **{f"fault_{k}": v for k, v in self.fault.items() if not k.startswith("t_")},
        }


def _worst(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return round(max(values), 1) if values else None


def _spawn(args: list[str], out: Path, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        cwd=cwd,
        env=worker_env(),
        stdout=open(out.with_suffix(".out"), "wb"),
        stderr=open(out.with_suffix(".err"), "wb"),
    )


def _read_json(path: Path) -> dict[str, Any]:
    text = path.read_text().strip().splitlines()
    try:
        return json.loads(text[-1]) if text else {}
    except json.JSONDecodeError:
        return {"unparsable": text[-1][:300]}


def _wait_files(files: list[Path], procs: list[subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not all(f.exists() for f in files):
        dead = [p.args for p, f in zip(procs, files) if p.poll() is not None and not f.exists()]
        if dead:
            raise RuntimeError(f"a worker exited before it was ready: {dead[0]}")
        if time.monotonic() > deadline:
            raise TimeoutError("workers were not ready in time")
        time.sleep(0.05)


def verify(store: str, experiment: str, cwd: Path) -> list[dict[str, Any]]:
    """The runs a fresh process finds in the store (see load_worker.verify)."""
    done = subprocess.run(
        [sys.executable, str(WORKER), "verify", "--store", store, "--experiment", experiment],
        cwd=cwd,
        env=worker_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"verify failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["runs"]


def run_load(
    spec: LoadSpec,
    fault: Callable[[float], dict[str, Any]] | None = None,
    route: RoutePoller | None = None,
    kill: Callable[[list[subprocess.Popen[bytes]], float], None] | None = None,
    companions: tuple[str, ...] = (),
    before_verify: Callable[[], None] | None = None,
) -> LoadResult:
    """Start readers and writers, release them together, inject `fault(t_go)` in a thread,
    wait for every writer, then count what a fresh process finds in the store.

    `companions` are further load_worker commands (e.g. "gc") run beside the readers until the
    writers are done; `kill(writers, t_go)` may signal writers (it runs in this thread);
    `before_verify()` runs once everything has stopped (e.g. to free a full disk).
    """
    d = spec.workdir
    d.mkdir(parents=True, exist_ok=True)
    go, stop = d / "go", d / "stop"
    readers, reader_ready = [], []
    commands = ["read"] * spec.readers + list(companions)
    for i, cmd in enumerate(commands):
        reader_ready.append(d / f"reader{i}.ready")
        readers.append(
            _spawn(
                [cmd, "--store", spec.store, "--stop", str(stop), "--ready", str(reader_ready[-1])],
                d / f"reader{i}",
                d,
            )
        )
    _wait_files(reader_ready, readers, spec.timeout)  # warmed up, as the probe's reader was
    writers, ready = [], []
    lo, hi = spec.spread
    for i in range(spec.writers):
        ready.append(d / f"w{i}.ready")
        duration = lo + (hi - lo) * i / max(1, spec.writers - 1)
        writers.append(
            _spawn(
                [
                    "write",
                    "--store",
                    spec.store,
                    "--name",
                    f"w{i}",
                    "--experiment",
                    spec.experiment,
                    "--metrics",
                    str(spec.metrics),
                    "--keys",
                    str(spec.keys),
                    "--params",
                    str(spec.params),
                    "--duration",
                    f"{duration:.2f}",
                    "--artifacts",
                    str(spec.artifacts),
                    "--go",
                    str(go),
                    "--ready",
                    str(ready[-1]),
                    "--progress",
                    str(d / f"w{i}.progress"),
                ],
                d / f"w{i}",
                d,
            )
        )
    _wait_files(ready, writers, spec.timeout)
    fault_out: dict[str, Any] = {}
    go.touch()
    t_go = time.time()
    if route:
        route.start()
    injector = None
    if fault:
        injector = threading.Thread(target=lambda: fault_out.update(fault(t_go)), daemon=True)
        injector.start()
    if kill:
        kill(writers, t_go)
    deadline = time.monotonic() + spec.timeout
    codes = []
    for proc in writers:
        try:
            codes.append(proc.wait(max(1.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            proc.kill()
            codes.append(proc.wait())
            fault_out["writers_timed_out"] = fault_out.get("writers_timed_out", 0) + 1
    wall = time.time() - t_go
    if injector:
        injector.join(spec.timeout)
    route_out = route.stop() if route else {}
    stop.touch()
    for proc in readers:
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    tracebacks = []
    for i in range(spec.writers):
        err = (d / f"w{i}.err").read_text(errors="replace")
        if "Traceback" in err:
            tracebacks.append(f"w{i}: " + err[err.index("Traceback") :][:1500])
    others = [_read_json(d / f"reader{i}.out") for i in range(len(commands))]
    if before_verify:
        before_verify()
    return LoadResult(
        spec,
        wall,
        [_read_json(d / f"w{i}.out") for i in range(spec.writers)],
        others[: spec.readers],
        verify(spec.store, spec.experiment, d),
        codes,
        tracebacks,
        fault_out,
        route_out,
        others[spec.readers :],
    )


class RoutePoller:
    """A real `jupyter server` with our extension on a free port, its runs route polled in a loop.

    Started before the load (server boot is not part of the figures); `start()` begins polling,
    `stop()` ends it, stops the server by its pid and returns the route's figures.
    """

    def __init__(self, store: str, root: Path) -> None:
        import requests

        root.mkdir(parents=True, exist_ok=True)
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(root / "server.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                "--no-browser",
                "--allow-root",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={root}",
                f"--MlopsJupyterApp.store_url={store}",
            ],
            cwd=root,
            env=worker_env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {self.token}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if self.session.get(f"{self.base}/mlops-jupyter/runs?limit=1", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"jupyter server did not come up; see {root / 'server.log'}")
            time.sleep(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self.codes: dict[int, int] = {}
        self.latencies: list[float] = []
        self.failures: list[str] = []

    def _poll(self) -> None:
        url = f"{self.base}/mlops-jupyter/runs"
        params = {"filter": "metrics.loss < 1", "limit": "200"}
        while not self._stop.is_set():
            t = time.perf_counter()
            try:
                resp = self.session.get(url, params=params, timeout=30)
                self.codes[resp.status_code] = self.codes.get(resp.status_code, 0) + 1
                if resp.status_code >= 500:
                    self.failures.append(f"{resp.status_code}: {resp.text[:300]}")
            except Exception as err:
                self.failures.append(f"{type(err).__name__}: {err}")
            self.latencies.append(time.perf_counter() - t)
            self._stop.wait(0.1)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(60)
        self.close()
        lat = sorted(self.latencies) or [0.0]
        return {
            "calls": len(self.latencies),
            "errors": len(self.failures),
            "p50_ms": round(lat[len(lat) // 2] * 1e3, 1),
            "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3, 1),
            "max_ms": round(lat[-1] * 1e3, 1),
            "codes": dict(self.codes),
            "failures": self.failures[:5],
        }

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def postgres_pids(cluster: Any) -> list[int]:
    """The postmaster of `cluster` (a tests/conftest.py PostgresCluster) and all its children."""
    import psutil

    pid = int((cluster.data / "db" / "postmaster.pid").read_text().split()[0])
    main = psutil.Process(pid)
    return [pid, *(c.pid for c in main.children(recursive=True))]


def restart_at(cluster: Any, after: float, down: float) -> Callable[[float], dict[str, Any]]:
    """A fault: `after` s past the go signal, stop PostgreSQL (immediate), start it `down` s later
    on the same port."""

    def fault(t_go: float) -> dict[str, Any]:
        time.sleep(max(0.0, t_go + after - time.time()))
        t0 = time.time()
        cluster.stop()
        time.sleep(down)
        cluster.start()
        return {
            "down_from_s": round(t0 - t_go, 1),
            "down_s": round(time.time() - t0, 1),
            "t_down": t0,
            "t_up": time.time(),
        }

    return fault


def freeze_at(cluster: Any, after: float, frozen: float) -> Callable[[float], dict[str, Any]]:
    """A fault: `after` s past the go signal, SIGSTOP every PostgreSQL process; SIGCONT later."""

    def fault(t_go: float) -> dict[str, Any]:
        time.sleep(max(0.0, t_go + after - time.time()))
        pids = postgres_pids(cluster)
        t0 = time.time()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        time.sleep(frozen)
        for pid in set(pids) | set(postgres_pids(cluster)):
            os.kill(pid, signal.SIGCONT)
        return {
            "frozen_from_s": round(t0 - t_go, 1),
            "frozen_s": round(time.time() - t0, 1),
            "t_down": t0,
            "t_up": time.time(),
        }

    return fault
