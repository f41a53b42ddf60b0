"""Browser-test helpers: a `jupyter lab` / `jupyter notebook` subprocess on 127.0.0.1, real runs
made through the tracking API, screenshots. Imported by conftest.py and the tests (a unique module
name)."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
XSS = "<img src=x onerror=alert(1)>"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def labextension_dir() -> Path:
    """The built labextension of the mlops_jupyter being tested (fail with the fix if missing)."""
    import mlops_jupyter

    built = Path(mlops_jupyter.__file__).parent / "labextension"
    if not (built / "static" / "style.js").exists():
        pytest.fail(
            f"the JupyterLab extension is not built ({built} is missing); run "
            "`pip install -e .` or `(cd labextension && jlpm install && jlpm build)`"
        )
    return built


class LabServer:
    """A `jupyter lab` subprocess; `url(path)` adds the token."""

    def __init__(
        self,
        root: Path,
        store_url: str,
        extra_config: dict[str, Any] | None = None,
        app: str = "jupyterlab",
    ) -> None:
        self.root, self.store_url = root, store_url
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.home = root.parent / f"jupyter-home-{self.port}"
        config_dir = self.home / "config"
        settings = config_dir / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True)
        (settings / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        ext_dir = self.home / "labextensions"
        ext_dir.mkdir()
        (ext_dir / "mlops-jupyter").symlink_to(labextension_dir(), target_is_directory=True)
        config = {
            "ServerApp": {"jpserver_extensions": {"mlops_jupyter": True}},
            "MlopsJupyterApp": {"store_url": store_url},
        }
        for section, values in (extra_config or {}).items():
            config.setdefault(section, {}).update(values)
        (config_dir / "jupyter_server_config.json").write_text(json.dumps(config))
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(config_dir),
            "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
            "MLOPS_JUPYTER_STORE": store_url,
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(
                os.pathsep
            ),
        }
        self.log = open(self.home / "lab.log", "wb")  # noqa: SIM115  open while the server runs
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                app,
                "--no-browser",
                "--allow-root",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={root}",
                f"--LabServerApp.extra_labextensions_path={ext_dir}",
            ],
            cwd=root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait()

    def url(self, path: str = "lab") -> str:
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path}{sep}token={self.token}"

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(self.url(f"mlops-jupyter/{path}"), timeout=10) as response:
            return json.loads(response.read())

    def _wait(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited: {(self.home / 'lab.log').read_text()[-3000:]}"
                )
            try:
                urllib.request.urlopen(self.url("api/status"), timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("jupyter lab did not start within 60 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def make_runs(store_url: str) -> dict[str, str]:
    """Real runs through the tracking API: two experiments, curves, figures, a table, an XSS run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    import mlops_jupyter as mj

    ids = {}
    for i, (model, lr) in enumerate([("rf", 0.1), ("svm", 0.01), ("rf", 0.3), ("svm", 0.05)]):
        cell = {
            "source": f"model = make_model({model!r}, lr={lr})\nmodel.fit(X, y)",
            "hidden_state": i == 1,
            "hidden_state_reason": "read 'X', defined by a cell that was edited since it ran",
        }
        with mj.start_run(
            name=f"train-{model}-{i}",
            experiment="iris",
            store=store_url,
            source_notebook="train.ipynb",
            extra_provenance={"cell": cell},
        ) as run:
            run.log_params({"model": model, "lr": lr, "epochs": 30, "augment": i % 2 == 0})
            for step in range(30):
                run.log_metric("loss", 1.0 / (1 + lr * 10 * step) + 0.02 * i, step=step)
                run.log_metric(
                    "val_acc", 0.5 + 0.4 * (1 - 1 / (1 + step * lr * 5)) - 0.01 * i, step=step
                )
            fig, ax = plt.subplots(figsize=(3, 2))
            ax.plot(range(10), [x ** (1 + i / 4) for x in range(10)])
            ax.set_title(f"{model} lr={lr}")
            run.log_figure(fig, "learning_curve")
            plt.close(fig)
            run.log_table(pd.DataFrame({"label": [0, 1, 2], "pred": [0, 1, i % 3]}), "predictions")
            ids[run.name] = run.run_id
    with mj.start_run(name=XSS, experiment="security", store=store_url) as run:
        run.log_params({"payload": XSS, "model": XSS})
        run.log_metric("acc", 0.5)
        for step in range(3):
            run.log_metric(XSS, step / 2, step=step)  # a metric key, charted
        run.set_tags({"note": XSS, XSS: "tag key"})
        ids["xss"] = run.run_id
    return ids


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
