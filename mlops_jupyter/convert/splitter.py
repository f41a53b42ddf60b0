"""Steps for a notebook with neither step tags nor headings between its code cells: split where
the dataflow allows (a cell whose names later cells use ends a step, as Kale treats each cell),
each step named after what it produces (``load_data``, ``fit_model``)."""

from __future__ import annotations

import ast
import re

from mlops_jupyter.convert.plan import Part

# called function (its last dotted part, lower case) -> the verb of the step's name
_VERBS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("split", ("train_test_split", "split", "kfold", "stratifiedkfold")),
    ("fit", ("fit", "partial_fit", "train", "fit_predict", "compile")),
    ("load", ("read_", "load", "fetch", "download", "open", "get_data", "loadtxt")),
    ("scale", ("transform", "fit_transform", "scale", "normalize", "standardscaler")),
    ("predict", ("predict", "predict_proba", "forward")),
    ("evaluate", ("score", "evaluate", "accuracy", "loss", "error", "metric", "auc", "f1")),
    ("clean", ("dropna", "fillna", "drop", "clean", "copy", "replace", "astype", "qcut")),
    ("plot", ("plot", "subplots", "hist", "bar", "barh", "scatter", "imshow", "savefig")),
)
_NOUNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("model", re.compile(r"^(model|clf|estimator|regressor|classifier|pipe(line)?|net)\w*$")),
    ("features", re.compile(r"^(x|features?)(_\w+)?$", re.IGNORECASE)),
    ("labels", re.compile(r"^(y|labels?|targets?)(_\w+)?$", re.IGNORECASE)),
    ("data", re.compile(r"^(df|data|raw|frame|dataset|clean(ed)?|processed|prepared)\w*$")),
)


def is_step_part(part: Part, hoisted: set[int]) -> bool:
    """Whether the part is step code (not a test, parameters or module-level cell)."""
    return not (part.cell.test or part.cell.parameters or id(part) in hoisted)


def dataflow_breaks(parts: list[Part], hoisted: set[int]) -> set[int]:
    """Ids of the step parts after which a step ends: those binding a name a later cell reads.

    Parts of one cell (a cell split into imports and code) stay together.
    """
    breaks: set[int] = set()
    step_parts = [p for p in parts if is_step_part(p, hoisted)]
    for position, part in enumerate(step_parts):
        later = [p for p in parts[parts.index(part) + 1 :] if p.cell.index != part.cell.index]
        read_later = {n for p in later for n in p.usage.reads}
        if set(part.usage.writes) & read_later and position + 1 < len(step_parts):
            breaks.add(id(part))
    return breaks


def step_name(parts: list[Part], produced: list[str], taken: set[str]) -> str:
    """A name for the step: verb from what last produced its first output (``model.fit``),
    noun from the output.

    A step that produces nothing later steps use is named from what it does (a ``%%track``
    cell's run name, else its calls: ``plot``, ``evaluate``, ``report``).
    """
    statements = [(p, node) for p in parts for node in _body(p)]
    name = ""
    for output in produced:
        producers = [n for _, n in statements if output in _bound(n)]  # the last one decides
        verb = next((v for n in reversed(producers) if (v := _verb(n))), None)
        name = f"{verb or 'make'}_{_noun(output)}"
        break
    if not name:
        tracked = next((_track_name(p) for p in parts if _track_name(p)), None)
        verbs = [v for _, n in statements if (v := _verb(n))]
        name = tracked or (
            f"{min(verbs, key=lambda v: [k for k, _ in _VERBS].index(v))}_results"
            if verbs
            else "report"
        )
    return _unique(_identifier(name), taken)


def _body(part: Part) -> list[ast.stmt]:
    try:
        return ast.parse(part.translation.code).body
    except SyntaxError:
        return []


def _bound(node: ast.stmt) -> set[str]:
    found = {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    for sub in ast.walk(node):  # `model.fit(X, y)` produces `model`
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
            root = sub.func.value
            if isinstance(root, ast.Name):
                found.add(root.id)
    return found


def _verb(node: ast.stmt) -> str | None:
    called = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            text = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            called.append(text.lower())
    for verb, words in _VERBS:
        if any(c == w or c.startswith(w) for c in called for w in words):
            return verb
    return None


def _noun(name: str) -> str:
    for noun, pattern in _NOUNS:
        if pattern.match(name):
            return noun
    return name.lower()


def _track_name(part: Part) -> str | None:
    line = part.cell.magic_line or ""
    match = re.match(r"%%track\b.*?--name[ =]([^\s]+)", line)
    return match.group(1).strip("'\"") if match else None


def _identifier(text: str) -> str:
    name = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()[:40].rstrip("_")
    return name if name and not name[0].isdigit() else f"step_{name}".rstrip("_")


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}_{number}", number + 1
    taken.add(candidate)
    return candidate
