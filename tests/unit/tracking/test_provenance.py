"""Provenance capture: git state (cached only while the repository is unchanged), environment,
and that it never fails a run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import mlops_jupyter as mj
from mlops_jupyter.tracking import provenance


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.org")
    _git(repo, "config", "user.name", "t")
    _git(repo, "remote", "add", "origin", "https://git.example.org/team/proj.git")
    (repo / "train.py").write_text("print('v1')\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    monkeypatch.chdir(repo)
    provenance.git_state.cache_clear()
    yield repo
    provenance.git_state.cache_clear()


def test_git_commit_branch_remote_and_clean(repo: Path) -> None:
    state = provenance.git_state()
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    assert state["commit"] == head and state["branch"] == "main"
    assert state["remote"] == "https://git.example.org/team/proj.git"
    assert state["dirty"] is False and state["diff"] == ""


def test_dirty_tree_records_a_capped_diff(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "train.py").write_text("print('v2')\n" + "x = 1\n" * 100_000)
    monkeypatch.setattr(provenance, "DIFF_CAP_BYTES", 1000)
    state = provenance.git_state()
    assert state["dirty"] is True and state["diff_truncated"] is True
    assert len(state["diff"]) == 1000 and "+print('v2')" in state["diff"]


def test_run_records_git_and_the_project_store_lives_at_the_git_root(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLOPS_JUPYTER_STORE")
    sub = repo / "notebooks"
    sub.mkdir()
    monkeypatch.chdir(sub)
    with mj.start_run(store=None) as run:
        pass
    assert (repo / ".mlops" / "runs.db").exists()
    record = mj.open_store(repo / ".mlops" / "runs.db").get_run(run.run_id)
    assert record.provenance["git"]["commit"] == provenance.git_state()["commit"]


def test_no_git_binary_never_fails_a_run(monkeypatch: pytest.MonkeyPatch, repo: Path) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    provenance.git_state.cache_clear()
    with mj.start_run() as run:
        run.log_metric("m", 1)
    assert mj.get_run(run.run_id).provenance["git"] == {"available": False}


def test_hanging_git_times_out(monkeypatch: pytest.MonkeyPatch, repo: Path, tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "git").write_text("#!/bin/sh\nsleep 30\n")
    (fake / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:/usr/bin:/bin")
    monkeypatch.setattr(provenance, "_GIT_TIMEOUT", 0.2)
    state = provenance.git_state()
    assert state["available"] is True and state["commit"] is None


def test_environment_documents() -> None:
    assert "sqlalchemy" in provenance.packages()
    assert provenance.python_info()["version"].count(".") == 2
    host = provenance.host_info()
    assert host["cpu_count"] >= 1 and isinstance(host["gpus"], list)


# -- the git state is cached only while the repository is unchanged ---------------------------


def _out(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)
    return done.stdout.decode().strip()


def test_unchanged_repository_is_asked_once(repo: Path) -> None:
    first = provenance.git_state()
    assert provenance.git_state() is first  # no git process for the second run


def test_a_commit_between_runs_is_recorded(repo: Path) -> None:
    first = provenance.git_state()
    (repo / "train.py").write_text("print('v2')\n")
    _git(repo, "commit", "-q", "-am", "second")
    second = provenance.git_state()
    assert second["commit"] == _out(repo, "rev-parse", "HEAD") != first["commit"]
    assert second["dirty"] is False


def test_a_staged_change_and_a_checkout_are_recorded(repo: Path) -> None:
    assert provenance.git_state()["dirty"] is False
    (repo / "train.py").write_text("print('v3')\n")
    _git(repo, "add", "train.py")
    staged = provenance.git_state()
    assert staged["dirty"] is True and "+print('v3')" in staged["diff"]
    _git(repo, "commit", "-q", "-m", "third")
    _git(repo, "checkout", "-q", "-b", "feature")
    assert provenance.git_state()["branch"] == "feature"


def test_a_worktree_is_keyed_by_its_own_head(repo: Path, tmp_path: Path, monkeypatch) -> None:
    _git(repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "side"))
    monkeypatch.chdir(tmp_path / "side")
    before = provenance.git_state()
    assert before["branch"] == "side"
    (tmp_path / "side" / "train.py").write_text("print('side')\n")
    _git(tmp_path / "side", "commit", "-q", "-am", "on side")
    assert provenance.git_state()["commit"] == _out(tmp_path / "side", "rev-parse", "HEAD")
