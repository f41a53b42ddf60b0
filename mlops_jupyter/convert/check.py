"""`check`: the pre-flight report of what would make a conversion unfaithful."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from mlops_jupyter.convert.analysis import plan_notebook
from mlops_jupyter.convert.determinism import determinism_findings
from mlops_jupyter.convert.plan import Finding
from mlops_jupyter.errors import NotebookError
from mlops_jupyter.notebook.read import NotebookLike, read_notebook

ADVISORY = frozenset({"undecided"})  # listed, but not a reason to refuse


@dataclass
class CheckReport:
    """Findings of ``check_notebook``; ``ok`` is true when conversion would be faithful."""

    notebook: str
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        """True when nothing was found that makes the conversion unfaithful (what could not be
        decided statically is listed, but does not decide the verdict)."""
        return not any(f.code not in ADVISORY for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view of the report."""
        return {
            "notebook": self.notebook,
            "ok": self.ok,
            "findings": [asdict(f) for f in self.findings],
        }

    def format(self) -> str:
        """The report as text, one line per finding and a verdict."""
        lines = [f"{self.notebook}: [{f.code}] {f.message}" for f in self.findings]
        if self.ok and self.findings:
            lines.append(
                f"{self.notebook}: conversion will be faithful as far as static analysis can "
                "decide; the generated tests will check the rest"
            )
        elif self.ok:
            lines.append(f"{self.notebook}: no problems found; conversion will be faithful")
        else:
            lines.append(
                f"{self.notebook}: {sum(f.code not in ADVISORY for f in self.findings)} "
                "problem(s); conversion would not "
                "be faithful until they are fixed"
            )
        return "\n".join(lines)


def check_notebook(notebook: NotebookLike) -> CheckReport:
    """Report out-of-order execution, names used before definition, ambiguous step dependencies
    and magics that will not convert.

    Args:
        notebook: Path to the ``.ipynb`` file, or a notebook dict.

    Returns:
        The report; nothing is written.

    A notebook that cannot be converted at all (invalid JSON, nbformat 3, not Python) is
    reported as a ``not-convertible`` finding, not raised.

    Raises:
        NotebookError: the notebook file does not exist.
    """
    name = os.fspath(notebook) if isinstance(notebook, (str, os.PathLike)) else "notebook"
    try:
        nb = read_notebook(notebook, python_only=True)
    except NotebookError as err:  # a verdict, like any other: this notebook cannot be converted
        if isinstance(notebook, (str, os.PathLike)) and not os.path.exists(notebook):
            raise
        return CheckReport(name, [Finding("not-convertible", 0, 0, f"cannot be converted: {err}")])
    findings = out_of_order(nb)
    plan = plan_notebook(nb, collect=True)
    findings += plan.findings + determinism_findings(plan)
    findings.sort(key=lambda f: (f.cell, f.line, f.code))
    return CheckReport(name, findings)


def out_of_order(nb: Mapping[str, Any]) -> list[Finding]:
    """Code cells whose execution count is lower than that of a code cell above them."""
    findings = []
    highest, highest_cell = 0, -1
    for index, cell in enumerate(nb.get("cells", [])):
        count = cell.get("execution_count") if cell.get("cell_type") == "code" else None
        if not isinstance(count, int):
            continue
        if count < highest:
            findings.append(
                Finding(
                    "out-of-order",
                    index,
                    1,
                    f"cell {index} was executed (count {count}) before cell {highest_cell} "
                    f"above it (count {highest}); the saved outputs may not match a "
                    "top-to-bottom run. "
                    "Restart the kernel and run all cells",
                )
            )
        elif count > highest:
            highest, highest_cell = count, index
    return findings
