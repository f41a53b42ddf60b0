"""Which values a step surely changes in place, and which names may reach the same objects
(``alice = bank.open("alice")``, ``row = table[0]``, ``pair = [a, b]``): a step that changes one
of them returns them all, so a pipeline run from files sees the change."""

from __future__ import annotations

import ast

from mlops_jupyter.notebook.mutation import modified_root

# Method calls that change their object in place (lists, dicts, sets, frames, estimators).
MUTATORS = frozenset(
    {
        "append", "extend", "insert", "pop", "remove", "clear", "update", "sort", "reverse",
        "add", "discard", "setdefault", "popitem", "fit", "partial_fit", "set_params",
        "load_state_dict", "__setitem__", "drop_duplicates", "fillna", "dropna", "reset_index",
        "set_index", "rename", "replace", "sort_values", "sort_index", "shuffle",
    }
)  # fmt: skip


def own_callables(codes: list[str]) -> tuple[set[str], set[str]]:
    """The functions and classes the notebook defines at module level, and its classes'
    method names: calling them is taken to change what they are given."""
    functions: set[str] = set()
    methods: set[str] = set()
    for code in codes:
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                functions.add(node.name)
            if isinstance(node, ast.ClassDef):
                methods.update(
                    n.name
                    for n in node.body
                    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and not n.name.startswith("__")
                )
    return functions, methods


def surely_changed(code: str, functions: set[str], methods: set[str]) -> set[str]:
    """Names the code changes in place by the narrow rule: an attribute or item assigned or
    deleted, a mutating or notebook-defined method called, or the value passed to a function
    the notebook defines (not: passed to any library call, which ``Usage.modified`` counts)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = [t for t in node.targets if isinstance(t, (ast.Attribute, ast.Subscript))]
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = (
                [node.target] if isinstance(node.target, (ast.Attribute, ast.Subscript)) else []
            )
        elif isinstance(node, ast.Call):
            targets = _call_targets(node, functions, methods)
        for target in targets:
            root = modified_root(target)
            if root is not None:
                found.add(root.id)
    return found


def _call_targets(node: ast.Call, functions: set[str], methods: set[str]) -> list[ast.expr]:
    func = node.func
    if isinstance(func, ast.Attribute):
        inplace = any(
            k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value
            for k in node.keywords
        )
        return [func.value] if func.attr in MUTATORS | methods or inplace else []
    if isinstance(func, ast.Name) and func.id in functions:
        return [a for a in node.args if isinstance(a, ast.Name)]
    return []


def derivations(code: str, methods: set[str]) -> dict[str, set[str]]:
    """For each name the code assigns, the names whose objects the assigned value may share:
    the root of an attribute or subscript chain or of a call of a notebook-defined method
    (``methods``), and the names inside a literal list, tuple, set or dict. Other calls
    (``np.array(x)``, ``rng.normal()``) are taken to build new objects."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return {}
    found: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            for name, roots in _pairs(target, value, methods):
                found.setdefault(name, set()).update(roots - {name})
    return found


def _pairs(target: ast.expr, value: ast.expr, methods: set[str]) -> list[tuple[str, set[str]]]:
    """``a, b = x[0], y`` pairs ``a`` with ``x`` and ``b`` with ``y``; otherwise each name
    of the target with every root of the value."""
    if (
        isinstance(target, (ast.Tuple, ast.List))
        and isinstance(value, (ast.Tuple, ast.List))
        and len(target.elts) == len(value.elts)
        and not any(isinstance(e, ast.Starred) for e in target.elts + value.elts)
    ):
        return [p for t, v in zip(target.elts, value.elts) for p in _pairs(t, v, methods)]
    roots = _roots(value, methods)
    return [(name, roots) for name in _target_names(target)]


def _roots(value: ast.expr, methods: set[str]) -> set[str]:
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return {r for element in value.elts for r in _roots(element, methods)}
    if isinstance(value, ast.Dict):
        return {r for element in value.values for r in _roots(element, methods)}
    if isinstance(value, ast.Starred):
        return _roots(value.value, methods)
    if isinstance(value, ast.Call):
        func = value.func
        if not (isinstance(func, ast.Attribute) and func.attr in methods):
            return set()  # a library or plain function call: taken to build a new object
    if isinstance(value, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)):
        root = modified_root(value)
        return {root.id} if root is not None else set()
    return set()


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for element in target.elts for n in _target_names(element)]
    return []


class AliasGroups:
    """Names that may share objects, as of the blocks seen so far (symmetric and transitive)."""

    def __init__(self) -> None:
        self._groups: dict[str, frozenset[str]] = {}

    def of(self, name: str) -> frozenset[str]:
        """``name`` and every name that may reach the same objects."""
        return self._groups.get(name, frozenset({name}))

    def bind(self, name: str, sources: set[str]) -> None:
        """``name`` was rebound to a value that may share the objects of ``sources``."""
        for member in self.of(name) - {name}:
            self._groups[member] = self._groups[member] - {name}
        group = frozenset({name}).union(*(self.of(s) for s in sources - {name}))
        for member in group:
            self._groups[member] = group
