"""Models against MLflow in one run: log + register + load of a scikit-learn pipeline on a SQLite
store, then serving the same model (p50/p99 latency and requests per second, 1-row and 100-row
requests) against `mlflow models serve --env-manager local`.

    python bench/bench_models.py [--repeat 5] [--requests 300] [--write bench/MODELS.md]

Both servers get the same client: http.client keep-alive connections, one for the sequential
latency run and one per thread for the 4-client throughput run (a `requests` session added
0.75 ms to each request here, which hid much of the servers' difference). On a shared machine,
run it as ``nice -n -10`` so both servers and the client get the CPU alike.

Writes nothing but temporary folders; prints markdown tables (ratio > 1: mlops-jupyter better).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import requests
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).parent))
from common import print_table, quiet_mlflow

import mlops_jupyter as mj

RNG = np.random.default_rng(0)
X = pd.DataFrame(RNG.normal(size=(2000, 10)), columns=[f"f{i}" for i in range(10)])
Y = (X.f0 + X.f1 > 0).astype(int)
PIPE = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, Y)


def ours_lifecycle(root: Path, repeat: int) -> float:
    store = mj.RunStore(str(root / "ours.db"))
    times = []
    for i in range(repeat + 1):
        start = time.perf_counter()
        with mj.start_run(f"r{i}", store=store) as run:
            info = mj.log_model(PIPE, "model", input_example=X[:5], run=run)
        version = mj.register_model(info.model_uri, "bench", store=store)
        mj.load_model(f"models:/bench/{version.version}", store=store).predict(X[:5])
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])  # the first pays the imports


def mlflow_lifecycle(root: Path, repeat: int) -> float:
    mlflow = quiet_mlflow(f"sqlite:///{root / 'mlflow.db'}")
    mlflow.set_experiment("bench")
    import mlflow.sklearn

    times = []
    for i in range(repeat + 1):
        start = time.perf_counter()
        with mlflow.start_run(run_name=f"r{i}"):
            info = mlflow.sklearn.log_model(PIPE, name="model", input_example=X[:5])
        version = mlflow.register_model(info.model_uri, "bench")
        mlflow.pyfunc.load_model(f"models:/bench/{version.version}").predict(X[:5])
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if requests.get(f"{url}/ping", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


class _Client:
    """One keep-alive HTTP/1.1 connection (http.client: a thin client, so the bench measures
    the servers rather than the client; the same client for both servers)."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)

    def post(self, body: bytes) -> None:
        self.conn.request("POST", "/invocations", body, {"Content-Type": "application/json"})
        answer = self.conn.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"status {answer.status}")


def _load(url: str, body: bytes, n: int, threads: int) -> tuple[float, float, float]:
    """p50 and p99 (ms) of `n` sequential requests, then requests/s with `threads` clients."""
    client = _Client(url)
    for _ in range(20):  # warm-up
        client.post(body)
    lat = []
    for _ in range(n):
        start = time.perf_counter()
        client.post(body)
        lat.append((time.perf_counter() - start) * 1000)
    lat.sort()
    done: list[int] = []

    def run() -> None:
        each = _Client(url)
        for _ in range(n // threads):
            each.post(body)
        done.append(n // threads)

    start = time.perf_counter()
    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    rps = sum(done) / (time.perf_counter() - start)
    return lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))], rps


def serve_and_load(cmd: list[str], env: dict[str, str], port: int, n: int) -> dict[str, float]:
    proc = subprocess.Popen(  # in a scratch folder: `mlflow models serve` leaves mlruns/ behind
        cmd,
        env=env,
        cwd=tempfile.mkdtemp(prefix="bench-serve-"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    out: dict[str, float] = {}
    try:
        _wait(url, proc)
        for rows in (1, 100):
            frame = X[:rows]
            body = json.dumps(
                {
                    "dataframe_split": {
                        "columns": list(frame.columns),
                        "data": frame.to_numpy().tolist(),
                    }
                }
            ).encode()
            out[f"p50_{rows}"], out[f"p99_{rows}"], out[f"rps_{rows}"] = _load(url, body, n, 4)
    finally:
        proc.terminate()
        proc.wait(30)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--write", help="also write the tables to this markdown file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ours_s = ours_lifecycle(root, args.repeat)
        theirs_s = mlflow_lifecycle(root, args.repeat)
        rows = [
            (
                "log_model + register_model + load_model (sklearn pipeline)",
                "ms",
                ours_s * 1000,
                theirs_s * 1000,
                ">= 10x faster",
                True,
            )
        ]
        life = print_table("Log, register, load", rows, "MLflow (SQLite store)")
        env = {
            **os.environ,
            "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
            "PYTHONWARNINGS": "ignore",
            # mlflow serve starts `uvicorn` by name: the venv's bin must be on PATH
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        }
        port = _free_port()
        ours = serve_and_load(
            [
                sys.executable,
                "-m",
                "mlops_jupyter.cli",
                "--store",
                str(root / "ours.db"),
                "models",
                "serve",
                "models:/bench/1",
                "--port",
                str(port),
            ],
            env,
            port,
            args.requests,
        )
        port = _free_port()
        theirs = serve_and_load(
            [
                sys.executable,
                "-m",
                "mlflow",
                "models",
                "serve",
                "-m",
                "models:/bench/1",
                "--env-manager",
                "local",
                "-p",
                str(port),
                "-h",
                "127.0.0.1",
            ],
            env,
            port,
            args.requests,
        )
        srows = []
        for n in (1, 100):
            srows += [
                (
                    f"{n}-row request, p50 latency",
                    "ms",
                    ours[f"p50_{n}"],
                    theirs[f"p50_{n}"],
                    "<= 1/3 of MLflow's",
                    True,
                ),
                (
                    f"{n}-row request, p99 latency",
                    "ms",
                    ours[f"p99_{n}"],
                    theirs[f"p99_{n}"],
                    "lower",
                    True,
                ),
                (
                    f"{n}-row requests/s (4 clients)",
                    "req/s",
                    ours[f"rps_{n}"],
                    theirs[f"rps_{n}"],
                    ">= 3x MLflow's",
                    False,
                ),
            ]
        serving = print_table(
            "Serving (same model, same machine)", srows, "mlflow models serve --env-manager local"
        )
    if args.write:
        import platform

        import mlflow

        footer = (
            f"One `python bench/bench_models.py --repeat {args.repeat} --requests "
            f"{args.requests}` run; Python {platform.python_version()}, {os.cpu_count()} CPUs, "
            f"mlflow {mlflow.__version__}. Ratio > 1: mlops-jupyter is better."
        )
        Path(args.write).write_text(f"{life}\n\n{serving}\n\n{footer}\n")


if __name__ == "__main__":
    main()
