"""Unknown keys in a filter explained: "unknown metric 'test_acuracy'; did you mean ...?".

A filter naming a key no run has matches nothing, which reads as "no such runs" rather than
"typo". The server asks here when a filter matched no run (or failed to compile) and answers a
400 naming the key and the closest known ones.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterator, Mapping, Set

from mlops_jupyter.errors import InvalidFilterError
from mlops_jupyter.store import filter_syntax, filters

_NOUN = {"metrics": "metric", "params": "param", "tags": "tag"}


def referenced_fields(expression: str) -> Iterator[tuple[str | None, str]]:
    """Every (family, key) the expression names; family None for a bare name like ``status``."""
    try:
        tree = ast.parse(filter_syntax.normalize(expression.strip()), mode="eval")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in _NOUN:
                yield node.value.id, node.attr
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            key = node.slice
            if (
                node.value.id in _NOUN
                and isinstance(key, ast.Constant)
                and isinstance(key.value, str)
            ):
                yield node.value.id, key.value
        elif isinstance(node, ast.Name) and node.id not in (*_NOUN, "None", "True", "False"):
            yield None, node.id


def _closest(word: str, known: Mapping[str, Set[str]], family: str | None) -> list[str]:
    """Close spellings: the same family's keys first, then fields and other families' keys."""
    same = difflib.get_close_matches(word, sorted(known.get(family or "", ())), n=3, cutoff=0.6)
    found = [f"{family}.{k}" if family is None else k for k in same]
    if found:
        return found
    others = {f"{f}.{k}": k for f, keys in known.items() for k in keys if f != family}
    names = [n for n in filters.FIELD_NAMES if not n.endswith(".*")]
    exact = [full for full, k in others.items() if k == word]
    if exact:
        return exact
    close = difflib.get_close_matches(word, list(others.values()) + names, n=3, cutoff=0.6)
    return [next((full for full, k in others.items() if k == c), c) for c in close]


def unknown_key_error(expression: str, known: Mapping[str, Set[str]]) -> InvalidFilterError | None:
    """The error for the first key in `expression` that no run has, with suggestions (or None).

    Args:
        known: family ("params", "metrics", "tags") -> every key the store has for it.
    """
    columns = {n for n in filters.FIELD_NAMES if not n.endswith(".*")}
    for family, key in referenced_fields(expression):
        if family is None and key in columns:
            continue
        if family is not None and key in known.get(family, ()):
            continue
        if family is None and key in ("like", "ilike", "startswith", "endswith", "contains"):
            continue
        noun = _NOUN[family] if family else "field"
        hint = _closest(key, known, family)
        problem = f"unknown {noun} {key!r}"
        if hint:
            problem += "; did you mean " + " or ".join(repr(h) for h in hint) + "?"
        elif family:
            problem += (
                f" (no run has logged it; there are {len(known.get(family, ()))} {family} keys)"
            )
        return InvalidFilterError(expression, problem)
    return None
