"""The git state recorded with each run is cached only while the repository is unchanged: a
commit, a branch checkout or a `git add` between two runs is what the next run records."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mlops_jupyter.tracking import provenance


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)
    return done.stdout.decode().strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.org")
    _git(repo, "config", "user.name", "t")
    (repo / "train.py").write_text("print('v1')\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    monkeypatch.chdir(repo)
    provenance.git_state.cache_clear()
    yield repo
    provenance.git_state.cache_clear()


def test_unchanged_repository_is_asked_once(repo: Path) -> None:
    first = provenance.git_state()
    assert provenance.git_state() is first  # no git process for the second run


def test_a_commit_between_runs_is_recorded(repo: Path) -> None:
    first = provenance.git_state()
    (repo / "train.py").write_text("print('v2')\n")
    _git(repo, "commit", "-q", "-am", "second")
    second = provenance.git_state()
    assert second["commit"] == _git(repo, "rev-parse", "HEAD") != first["commit"]
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
    assert provenance.git_state()["commit"] == _git(tmp_path / "side", "rev-parse", "HEAD")
