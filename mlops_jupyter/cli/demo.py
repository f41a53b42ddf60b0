"""``mlops-jupyter demo``: record a few real training runs in the store and show them."""

from __future__ import annotations

import argparse

import numpy as np

from mlops_jupyter import tracking
from mlops_jupyter.store import RunStore, open_store
from mlops_jupyter.tracking import fluent

_LEARNING_RATES = (0.03, 0.1, 0.3)


def _train(lr: float, epochs: int, seed: int) -> None:
    """Logistic regression by gradient descent on a generated two-class problem."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    rng = np.random.default_rng(seed)
    x = np.vstack([rng.normal(-1.0, 1.0, (200, 2)), rng.normal(1.0, 1.0, (200, 2))])
    y = np.r_[np.zeros(200), np.ones(200)]
    w, b = np.zeros(2), 0.0
    fluent.log_params({"lr": lr, "epochs": epochs, "seed": seed, "model": "logreg"})
    losses = []
    for epoch in range(epochs):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        loss = float(-np.mean(y * np.log(p + 1e-9) + (1 - y) * np.log(1 - p + 1e-9)))
        w -= lr * x.T @ (p - y) / len(y)
        b -= lr * float(np.mean(p - y))
        fluent.log_metrics({"loss": loss, "accuracy": float(np.mean((p > 0.5) == y))}, step=epoch)
        losses.append(loss)
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(losses)
    ax.set(xlabel="epoch", ylabel="log loss", title=f"lr={lr}")
    fluent.log_figure(fig, "loss_curve")
    plt.close(fig)
    fluent.log_table(
        pd.DataFrame(
            {"x0": x[:, 0], "x1": x[:, 1], "label": y, "p": 1 / (1 + np.exp(-(x @ w + b)))}
        ).head(50),
        "predictions",
    )


def _sweep_and_reproduce(target: RunStore) -> None:
    """A 4-point sweep of the classifier notebook on warm kernels, then `reproduce` of a point."""
    from mlops_jupyter.cli.examples import example_notebooks
    from mlops_jupyter.execution import reproduce_run, sweep_notebook

    notebook = next((p for p in example_notebooks() if p.name == "train_classifier.ipynb"), None)
    if notebook is None:
        return
    points = [
        {"learning_rate": lr, "alpha": alpha} for lr in (0.01, 0.1) for alpha in (0.0001, 0.01)
    ]
    print(
        f"\nsweeping {notebook.name} over {len(points)} points, 2 at a time (papermill, "
        "warm kernels)"
    )
    result = sweep_notebook(
        notebook, points, jobs=2, store=target, experiment="demo-sweep", cwd=str(notebook.parent)
    )
    print(result.summary())
    point = result.points[0]
    if point.run_id is None:  # the point never started a run (e.g. its kernel did not come up)
        print(f"\nsweep point 0 recorded no run ({point.error}); nothing to reproduce")
        return
    print(f"\nreproducing sweep point {point.run_id[:8]} in a fresh kernel")
    verdict = reproduce_run(point.run_id, store=target)
    print(f"  verdict: {verdict.verdict}" + (f" ({verdict.reason})" if verdict.reason else ""))


def _export() -> None:
    """`check` the classifier notebook, then export it as a script with a typed CLI."""
    import tempfile
    from pathlib import Path

    from mlops_jupyter.cli.examples import example_notebooks
    from mlops_jupyter.convert import check_notebook, export_script

    notebook = next((p for p in example_notebooks() if p.name == "train_classifier.ipynb"), None)
    if notebook is None:
        return
    print(f"\nchecking {notebook.name} before conversion")
    print("  " + check_notebook(notebook).format().replace("\n", "\n  "))
    out = Path(tempfile.mkdtemp(prefix="mlops-demo-")) / "train_classifier.py"
    source = export_script(notebook, out)
    import re

    options = re.findall(r"add_argument\('(--[\w-]+)'.*?help='([^']*)'", source)
    print(f"  exported {out} ({len(source.splitlines())} lines); python {out.name} --help:")
    for flag, text in options:
        print(f"    {flag:<18} {text}")
    print(
        f"  next: mlops-jupyter convert {notebook} -o train_pipeline/  (package + pipeline + tests)"
    )


def run_demo(store: str | None = None, quick: bool = False) -> int:
    """Record one run per learning rate (plus the example notebooks unless `quick`), print them."""
    target = open_store(store)
    print(f"recording demo runs in {target.location}")
    ids = []
    for lr in _LEARNING_RATES:
        with tracking.start_run(f"demo-logreg-lr{lr}", experiment="demo", store=target) as run:
            _train(lr, epochs=60, seed=0)
        ids.append(run.run_id)
        print(f"  run {run.run_id[:8]}  lr={lr}  accuracy={run.record().metrics['accuracy']:.3f}")
    if not quick:
        from mlops_jupyter.cli.examples import run_examples

        print("executing the example notebooks (each %%track cell becomes a run)")
        ids += run_examples(target)
        _sweep_and_reproduce(target)
        _export()
    from mlops_jupyter.cli.runs import runs_compare, runs_ls

    print()
    runs_ls(
        argparse.Namespace(
            store=store, filter=None, sort=None, limit=10, experiment=None, format="table"
        )
    )
    print()
    runs_compare(argparse.Namespace(store=store, run_ids=ids[:3]))
    print("\nnext: mlops-jupyter runs show " + ids[-1][:8])
    return 0
