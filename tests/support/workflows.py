"""Run a GitHub Actions workflow's steps locally, in the order it lists them.

What cannot run here is left out, and only that: `uses:` actions (checkout, setup-python,
cache: the folder already is the checkout, Python and the store are already here) and the step
with id ``install`` (pip-installing mlops-jupyter from PyPI; this checkout is on PYTHONPATH).
Each `run:` script goes through bash as GitHub runs it (``bash -eo pipefail``), in the step's
working-directory with its env, ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY``; ``${{ ... }}``
expressions for the workspace, run number/id and earlier steps' outputs are substituted.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

_EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


@dataclass
class StepResult:
    """One executed step."""

    name: str
    returncode: int
    output: str


def run_workflow(workflow: Path, root: Path, run_number: int = 1) -> tuple[list[StepResult], str]:
    """Run every job's steps in order; stop at the first failing step (as GitHub does, except
    for steps marked ``if: always()``). Returns the results and the job summary written."""
    doc = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    summary = root / f".step-summary-{workflow.stem}-{run_number}.md"
    summary.write_text("")
    results: list[StepResult] = []
    for job in doc["jobs"].values():
        outputs: dict[str, dict[str, str]] = {}
        failed = False
        for index, step in enumerate(job["steps"]):
            if "uses" in step or step.get("id") == "install":
                continue
            if failed and "always()" not in str(step.get("if", "")):
                continue
            result = _run_step(step, index, root, run_number, outputs, summary)
            results.append(result)
            failed = failed or result.returncode != 0
    return results, summary.read_text()


def _run_step(
    step: dict, index: int, root: Path, run_number: int, outputs: dict, summary: Path
) -> StepResult:
    values = {
        "github.workspace": str(root),
        "github.run_number": str(run_number),
        "github.run_id": str(1000 + run_number),
    }

    def substitute(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr.startswith("steps."):
                _, step_id, _, key = expr.split(".")
                return outputs.get(step_id, {}).get(key, "")
            return values[expr]

        return _EXPR.sub(one, text)

    output_file = root / f".step-output-{index}"
    output_file.write_text("")
    env = dict(os.environ, GITHUB_OUTPUT=str(output_file), GITHUB_STEP_SUMMARY=str(summary))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update({k: substitute(str(v)) for k, v in (step.get("env") or {}).items()})
    if "PYTHONPATH" in (step.get("env") or {}) and os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] += os.pathsep + os.environ["PYTHONPATH"]
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", substitute(step["run"])],
        cwd=root / step.get("working-directory", "."),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if step.get("id"):
        lines = output_file.read_text().splitlines()
        outputs[step["id"]] = dict(line.split("=", 1) for line in lines if "=" in line)
    name = step.get("name", step["run"][:40])
    return StepResult(name, done.returncode, done.stdout + done.stderr)
