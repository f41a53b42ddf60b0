"""`runs drift`, `check-metrics` and `report` as a user runs them: output, JSON and exit codes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import mlops_jupyter as mj
from mlops_jupyter.cli.main import main
from mlops_jupyter.store import open_store


def _run(store_url: str, name: str, acc: float, frame: pd.DataFrame) -> str:
    with mj.start_run(name, store=store_url, params={"depth": 3 if acc > 0.88 else 5}) as run:
        run.log_metric("acc", acc)
        run.log_metric("loss", 1 - acc)
        run.log_table(frame, "train")
    return run.run_id


@pytest.fixture
def two_runs(store_url: str) -> tuple[str, str]:
    rng = np.random.default_rng(5)
    base = pd.DataFrame({"x": rng.normal(size=3000), "y": rng.normal(size=3000), "z": 1})
    cur = pd.DataFrame({"x": rng.normal(0.5, 1, 3000), "y": rng.normal(size=3000)})
    cur["city"] = rng.choice(["a", "b"], 3000)
    cur["z"] = "one"  # int -> str
    return _run(store_url, "champion", 0.90, base), _run(store_url, "challenger", 0.86, cur)


def test_runs_drift_json_names_each_column_test_and_the_schema_changes(
    store_url: str, two_runs: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    base, cur = two_runs
    code = main(
        ["--store", store_url, "runs", "drift", cur[:8], "--baseline", base, "--format", "json"]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    by_column = {c["column"]: c for c in report["columns"]}
    assert set(by_column) == {"x", "y", "z"}
    assert by_column["x"]["drifted"] is True and by_column["y"]["drifted"] is False
    assert set(by_column["x"]) >= {"column", "method", "statistic", "threshold", "drifted"}
    assert by_column["x"]["method"] == "wasserstein" and by_column["x"]["threshold"] == 0.1
    # int 1 everywhere -> "one" everywhere: both categorical, every value changed
    assert (by_column["z"]["method"], by_column["z"]["drifted"]) == ("jensenshannon", True)
    changes = {(s["column"], s["change"], s["baseline"], s["current"]) for s in report["schema"]}
    assert changes == {("city", "new", None, "str"), ("z", "retyped", "int64", "str")}
    assert report["tables"][0]["dataset_drift"] is True  # 2 of 3 columns


def test_runs_drift_text_psi_option_and_fail_on_drift(
    store_url: str, two_runs: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    base, cur = two_runs
    args = ["--store", store_url, "runs", "drift", cur, "--baseline", base]
    assert main([*args, "--method", "psi", "--fail-on-drift"]) == 1
    out = capsys.readouterr().out
    assert "train: 2 of 3 columns drifted (DATASET DRIFT)" in out
    assert "psi" in out and "wasserstein" not in out
    assert "schema: train.city: new (- -> str)" in out
    assert "schema: train.z: retyped (int64 -> str)" in out
    assert main(args) == 0  # drift without --fail-on-drift is a report, not a failure


def test_drift_of_a_run_without_profiles_is_one_clear_error(
    store_url: str, two_runs: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    with mj.start_run("bare", store=store_url) as bare:
        bare.log_metric("acc", 0.5)
    code = main(["--store", store_url, "runs", "drift", bare.run_id, "--baseline", two_runs[0]])
    err = capsys.readouterr().err
    assert code == 2
    assert "has no data profiles" in err and "log_table()" in err
    code = main(
        ["--store", store_url, "runs", "drift", two_runs[1], "--baseline", "models:/m@champion"]
    )
    assert code == 2 and "models:/m@champion" in capsys.readouterr().err


def test_check_metrics_exits_1_beyond_the_drop_and_0_within_it(
    store_url: str, two_runs: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    base, cur = two_runs  # acc 0.90 -> 0.86: a drop of 0.04
    gate = ["--store", store_url, "check-metrics", cur, "--baseline", base, "--metric", "acc"]
    assert main([*gate, "--max-drop", "0.05"]) == 0
    assert capsys.readouterr().out.startswith("passed: acc 0.86")
    assert main([*gate, "--max-drop", "0.03"]) == 1
    line = capsys.readouterr().out.strip()
    assert line == "failed: acc 0.86 dropped 0.04 from baseline 0.9 (max drop 0.03)"
    tags = open_store(store_url).get_run(cur).tags
    assert tags["gate.acc"].startswith("failed: acc 0.86 dropped 0.04")
    assert (
        main(["--store", store_url, "check-metrics", cur, "--metric", "loss", "--max", "0.1"]) == 1
    )
    assert (
        main(["--store", store_url, "check-metrics", cur, "--metric", "acc", "--min", "0.8"]) == 0
    )
    assert main(["--store", store_url, "check-metrics", cur, "--metric", "f1", "--min", "0"]) == 2
    assert "has no metric 'f1' (recorded: acc, loss)" in capsys.readouterr().err
    assert main(["--store", store_url, "check-metrics", cur, "--metric", "acc"]) == 2
    assert "give --max-drop, --max-rise, --min or --max" in capsys.readouterr().err


def test_mj_check_metrics_and_mj_drift_in_python(store_url: str, two_runs: tuple[str, str]) -> None:
    base, cur = two_runs
    result = mj.check_metrics(cur, "acc", baseline=base, max_drop=0.01, store=store_url)
    assert not result and result.baseline_value == 0.9
    frame = mj.drift(cur, base, store=store_url)
    assert list(frame.columns) == [
        "table",
        "column",
        "kind",
        "method",
        "statistic",
        "threshold",
        "drifted",
    ]
    assert frame.set_index("column")["drifted"].to_dict() == {"x": True, "y": False, "z": True}
    assert {s["change"] for s in frame.attrs["schema"]} == {"new", "retyped"}


def test_report_md_and_html_show_params_metrics_drift_and_figures(
    store_url: str, two_runs: tuple[str, str], capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    import matplotlib.pyplot as plt

    base, cur = two_runs
    store = open_store(store_url)
    figure = plt.figure()
    plt.plot([1, 2, 3])
    with mj.start_run(run_id=cur, store=store) as run:
        run.log_figure(figure, "curve")
        run.log_param("note", "<script>alert(1)</script>")
    plt.close(figure)
    assert main(["--store", store_url, "report", cur, "--baseline", base, "--md"]) == 0
    md = capsys.readouterr().out
    assert "## Parameters" in md and "| depth | 5 | 3 | * |" in md
    assert "| acc | 0.86 | 0.9 | -0.04 |" in md
    assert "## Data drift" in md and "| train | x | wasserstein |" in md
    assert "| train | city | new |" in md and "curve.png" in md
    page = tmp_path / "report.html"
    assert (
        main(["--store", store_url, "report", cur, "--baseline", base, "--html", "-o", str(page)])
        == 0
    )
    text = page.read_text()
    assert "<h2>Metrics</h2>" in text and "data:image/png;base64," in text
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>" not in md


def test_the_markdown_report_renders_links_and_images_from_a_run_as_text(
    store_url: str, two_runs: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A job summary is rendered by GitHub: a value must not become an image fetch or a link."""
    _, cur = two_runs
    with mj.start_run(run_id=cur, store=open_store(store_url)) as run:
        run.log_param("note", "![x](https://example.invalid/t.png) [y](https://e.invalid) a|b")
    assert main(["--store", store_url, "report", cur, "--md"]) == 0
    md = capsys.readouterr().out
    assert (
        "| note | !\\[x\\](https://example.invalid/t.png) \\[y\\](https://e.invalid) a\\|b |" in md
    )
    assert "![x](" not in md and "[y](" not in md


def test_a_registry_alias_is_a_baseline(store_url: str, two_runs: tuple[str, str]) -> None:
    """models:/NAME@ALIAS resolves through the model registry (the run behind the version)."""
    from sklearn.dummy import DummyClassifier

    base, cur = two_runs
    store = open_store(store_url)
    with mj.start_run(run_id=base, store=store):
        mj.log_model(DummyClassifier().fit([[0], [1]], [0, 1]), "model")
    version = mj.register_model(f"runs:/{base}/model", "clf", store=store)
    mj.set_model_alias("clf", "champion", version.version, store=store)
    result = mj.check_metrics(
        cur, "acc", baseline="models:/clf@champion", max_drop=0.05, store=store
    )
    assert result and result.baseline_run_id == base


def test_promote_moves_the_alias_only_through_a_passing_gate(
    store_url: str, two_runs: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    base, cur = two_runs  # acc 0.90, then 0.86
    gate = ["--store", store_url, "check-metrics", "--metric", "acc", "--max-drop", "0.01"]
    champion = ["--baseline", "models:/pkg@champion", "--promote"]
    assert main([*gate[:3], base, *gate[3:], *champion]) == 0  # no champion yet: the first
    assert "first holder of models:/pkg@champion" in capsys.readouterr().out
    assert main([*gate[:3], cur, *gate[3:], *champion]) == 1  # dropped 0.04: stays with base
    store = open_store(store_url)
    assert store.get_run(base).tags["alias.pkg"] == "champion"
    assert "alias.pkg" not in store.get_run(cur).tags
    assert main([*gate[:3], cur, "--metric", "acc", "--max-drop", "0.05", *champion]) == 0
    assert store.get_run(cur).tags["alias.pkg"] == "champion"
    assert store.get_run(base).tags["alias.pkg"] == "was champion"
