"""The converter on other people's notebooks: papermill's, jupytext's, Kale's, soorgeon's and
nbdev's public test notebooks and examples (issue 18). Not a test: a measurement.

Usage: python bench/bench_export_corpus.py FOLDER [--soorgeon] [--json OUT]

FOLDER holds one sub-folder per peer (papermill/, jupytext/, kale/, soorgeon/, nbdev/) of
``.ipynb`` files (the vendored tests/data/peers/ ones, or fuller copies fetched from the peers'
repositories). For every notebook it records four cases:

- ``check``: check gives a verdict (a report, never a crash);
- ``export``: the exported script compiles, or export refuses with a message naming the cell;
- ``agree``: check's verdict equals convert's (both accept, or both refuse);
- ``convert``: convert writes a package whose generated tests pass, or refuses for a reason
  check reported, or (a notebook whose own cell fails under papermill too) names that cell.

A notebook whose own cells fail in a kernel here (a missing module, data file or network) is
"cannot run here": its convert and agree cases are left out, as the issue counts only the
cases that can run here. With ``--soorgeon``, soorgeon's ``refactor`` is tried on each notebook
too, and the share of packages whose tests pass is reported for both.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CANNOT_RUN = (
    "ModuleNotFoundError",
    "ImportError",
    "FileNotFoundError",
    "URLError",
    "ConnectionError",
    "HTTPError",
    "OSError",
    "gaierror",
    "NoSuchKernel",
)


def _case_check(path: Path) -> tuple[bool, bool, str]:
    from mlops_jupyter.convert import check_notebook

    try:
        report = check_notebook(path)
    except Exception as err:
        return False, False, f"check crashed: {type(err).__name__}: {err}"
    return True, report.ok, "; ".join(f.code for f in report.findings)


def _case_export(path: Path) -> tuple[bool, str]:
    from mlops_jupyter.convert import export_script
    from mlops_jupyter.errors import MlopsJupyterError

    try:
        source = export_script(path)
    except MlopsJupyterError as err:
        return "cell" in str(err) or "kernel" in str(err) or "JSON" in str(err), str(err)[:160]
    try:
        compile(source, str(path), "exec")
    except SyntaxError as err:
        return False, f"does not compile: {err}"
    return True, "compiles"


def _missing_module(path: Path) -> str | None:
    """A module the notebook imports that is not installed here: it cannot run here (found
    without starting a kernel)."""
    import ast
    import importlib.util

    from mlops_jupyter.notebook.cell_analysis import python_source
    from mlops_jupyter.notebook.read import read_notebook
    from mlops_jupyter.notebook.roles import read_cells

    try:
        cells = read_cells(read_notebook(path, python_only=True))
    except Exception:  # check and convert report these themselves
        return None
    for cell in cells:
        if cell.skip or cell.no_eval:
            continue
        try:
            tree = ast.parse(python_source(cell.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            for name in names:
                try:
                    found = importlib.util.find_spec(name.split(".")[0])
                except (ImportError, ValueError):
                    found = None
                if found is None:
                    return name
    return None


def _convert(path: Path, work: Path) -> tuple[str, str, float]:
    """``ok`` (tests pass), ``refused`` (a conversion reason) or ``cannot-run``."""
    from mlops_jupyter.convert import convert_notebook
    from mlops_jupyter.errors import MlopsJupyterError, NotebookExecutionError

    copy = work / path.name
    shutil.copy(path, copy)
    started = time.perf_counter()
    missing = _missing_module(path)
    if missing is not None:
        return "cannot-run", f"ModuleNotFoundError: {missing} is not installed here", 0.0
    try:
        convert_notebook(copy, work / "pkg_out", timeout=120)
    except NotebookExecutionError as err:
        kind = "cannot-run" if err.ename in CANNOT_RUN else "failed"
        if kind == "failed" and _fails_under_papermill(path, work):
            kind = "notebook-fails"  # its own cell fails under papermill too: named, as run does
        return kind, f"{err.ename}: {str(err)[:160]}", time.perf_counter() - started
    except MlopsJupyterError as err:
        if "generated tests do not pass" in str(err):
            return "tests-fail", str(err)[:200], time.perf_counter() - started
        return "refused", str(err)[:200], time.perf_counter() - started
    return "ok", "", time.perf_counter() - started


def _fails_under_papermill(path: Path, work: Path) -> bool:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(path), str(work / "papermill-out.ipynb"), cwd=str(work), progress_bar=False
        )
    except PapermillExecutionError:
        return True
    except Exception:  # anything else: papermill did not run it either
        return True
    return False


def _soorgeon(path: Path, work: Path) -> str:
    """soorgeon's ``refactor`` then its pipeline run with ``ploomber build``: ``ok`` when both
    succeed (soorgeon writes no tests; a pipeline that builds is its pass)."""
    folder = work / "soorgeon"
    folder.mkdir()
    shutil.copy(path, folder / "nb.ipynb")
    done = subprocess.run(
        [sys.executable, "-m", "soorgeon", "refactor", "nb.ipynb"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        return "refused"
    build = subprocess.run(
        [sys.executable, "-m", "ploomber", "build"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return "ok" if build.returncode == 0 else "build-fails"


def survey(folder: Path, with_soorgeon: bool, done: dict[str, dict]) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("*/*.ipynb")):
        if f"{path.parent.name}/{path.name}" in done:
            rows.append(done[f"{path.parent.name}/{path.name}"])
            continue
        row: dict = {"peer": path.parent.name, "notebook": path.name}
        crashed_not, ok, findings = _case_check(path)
        row["check"] = crashed_not
        row["check_ok"], row["findings"] = ok, findings
        row["export"], row["export_note"] = _case_export(path)
        with tempfile.TemporaryDirectory() as tmp:
            env_store = os.environ.get("MLOPS_JUPYTER_STORE")
            os.environ["MLOPS_JUPYTER_STORE"] = str(Path(tmp) / "user.db")
            try:
                result, note, seconds = _convert(path, Path(tmp))
            finally:
                if env_store is None:
                    os.environ.pop("MLOPS_JUPYTER_STORE", None)
                else:
                    os.environ["MLOPS_JUPYTER_STORE"] = env_store
            row["convert_result"], row["convert_note"], row["seconds"] = result, note, seconds
            if with_soorgeon:
                row["soorgeon"] = _soorgeon(path, Path(tmp))
        runs = result not in {"cannot-run", "notebook-fails"}
        row["convert"] = (
            None
            if result == "cannot-run"
            else (
                result == "notebook-fails"
                or (result in {"ok", "refused"} and (result == "ok") == ok)
            )
        )
        row["agree"] = None if not runs else (result == "ok") == ok
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def summary(rows: list[dict]) -> str:
    cases = [(r, c) for r in rows for c in ("check", "export", "agree", "convert")]
    counted = [(r, c) for r, c in cases if r[c] is not None]
    passed = sum(1 for r, c in counted if r[c])
    runnable = [r for r in rows if r["convert_result"] not in {"cannot-run", "notebook-fails"}]
    packaged = sum(1 for r in runnable if r["convert_result"] == "ok")
    lines = [
        f"notebooks: {len(rows)}; cases that can run here: {len(counted)}; behave: {passed} "
        f"({100 * passed / max(len(counted), 1):.1f}%)",
        f"mlops-jupyter convert: {packaged} of {len(runnable)} runnable notebooks become a "
        f"package whose tests pass ({100 * packaged / max(len(runnable), 1):.0f}%)",
    ]
    if rows and "soorgeon" in rows[0]:
        built = sum(1 for r in runnable if r.get("soorgeon") == "ok")
        lines.append(
            f"soorgeon refactor: {built} of {len(runnable)} become a pipeline that builds "
            f"({100 * built / max(len(runnable), 1):.0f}%)"
        )
    lines += [
        f"  failing: {r['peer']}/{r['notebook']} {c}: {r.get('convert_note') or r['findings']}"
        for r, c in counted
        if not r[c]
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--soorgeon", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--resume", type=Path, help="JSON lines of an earlier, interrupted run")
    args = parser.parse_args()
    done = {}
    if args.resume and args.resume.exists():
        for line in args.resume.read_text(encoding="utf-8").splitlines():
            if line.startswith("{"):
                row = json.loads(line)
                done[f"{row['peer']}/{row['notebook']}"] = row
    rows = survey(args.folder, args.soorgeon, done)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print(summary(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
