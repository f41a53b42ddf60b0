"""The plain Python a ``%%track`` cell becomes: ``with mlops_jupyter.track_cell(...)``, which
records what the magic records (``tracking.cell_run``), so runs of the exported script have the
notebook run's param and metric keys.

The names come from the same static analysis the magic uses (``notebook.names``): the names the
cell reads become the run's params (the simple values among them, looked up at run time), the
names it assigns its metrics (and, unless ``--no-models``, the fitted models among them are
logged, as the magic logs them), and its last expression is what the notebook shows (a DataFrame
is logged as a table). ``export script`` adds the notebook's parameters to the names read.
"""

from __future__ import annotations

import ast

from mlops_jupyter.convert.codegen import indent_code
from mlops_jupyter.notebook.names import closure_reads, scan
from mlops_jupyter.notebook.scopes import BUILTINS

CellLines = list[tuple[int, str]]  # (line number in the cell, code) pairs
#: The call every translated %%track cell starts with; `export script` prepends the parameters.
TRACK_CALL = "mlops_jupyter.track_cell(["
_IGNORED = frozenset({"In", "Out", "get_ipython", "display", "print", "mlops_jupyter"})


def cell_names(code: str) -> tuple[list[str], list[str]]:
    """(names read, names assigned at top level) of a translated cell body, as the magic sees
    them; ([], []) for code that does not parse."""
    try:
        usage = scan(code)
    except (SyntaxError, ValueError, RecursionError):
        return [], []
    reads = [*usage.reads, *(n for n in closure_reads(usage) if n not in usage.reads)]
    kept = [n for n in reads if n not in _IGNORED | BUILTINS and not n.startswith("_")]
    return kept, list(usage.assigned)


def _show_last(lines: list[str]) -> list[str]:
    """Wrap the cell's last expression statement in ``_track.shown(...)``."""
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return lines
    last = tree.body[-1] if tree.body else None
    if not isinstance(last, ast.Expr) or last.end_lineno is None or last.end_col_offset is None:
        return lines
    lines = list(lines)
    first, end = last.lineno - 1, last.end_lineno - 1
    tail = lines[end].encode("utf-8")
    lines[end] = (tail[: last.end_col_offset] + b")" + tail[last.end_col_offset :]).decode("utf-8")
    head = lines[first].encode("utf-8")
    lines[first] = (head[: last.col_offset] + b"_track.shown(" + head[last.col_offset :]).decode(
        "utf-8"
    )
    return lines


def track_cell_lines(
    options: dict[str, list[str]], body: CellLines, capture: bool, models: bool = True
) -> CellLines:
    """The lines of a translated ``%%track`` cell (options parsed from its magic line);
    `models` is False for ``%%track --no-models``."""
    texts = [text for _, text in body]
    reads, assigns = cell_names("\n".join(texts))
    reads += [p for p in options["params"] if p not in reads]
    metrics = assigns + [m for m in options["metrics"] if m not in assigns]
    kwargs = [f", {key}={options[key][0]!r}" for key in ("name", "experiment") if options[key]]
    if options.get("tag"):
        kwargs.append(f", tags={dict(pair.split('=', 1) for pair in options['tag'])!r}")
    header = f"with {TRACK_CALL}{', '.join(map(repr, reads))}], locals(), globals()"
    lines: CellLines = [(1, f"{header}{''.join(kwargs)}) as _track:")]
    inner = _show_last(texts) if capture else texts
    tail = [f"_track.metrics({metrics!r}, locals(), globals())"]
    if models and assigns:
        tail.append(f"_track.models({assigns!r}, locals(), globals())")
    code = "\n".join([*inner, *tail])
    numbers = [n for n, _ in body] + [body[-1][0] if body else 1] * len(tail)
    for number, text in zip(numbers, indent_code(code).split("\n")):
        lines.append((number, text))
    return lines
