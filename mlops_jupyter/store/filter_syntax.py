"""MLflow's filter spellings rewritten into the filter language before it is parsed.

``params.alpha = 0.01 AND metrics.acc > 0.9``, ``name LIKE 'sgd%'``, ``tags.stage ILIKE 'PROD'``
and ``metrics.`val/loss` < 1`` are what MLflow users type; they become ``==``, ``and``,
``.like('sgd%')``, ``.ilike('PROD')`` and ``metrics['val/loss']``. Strings are left untouched.
"""

from __future__ import annotations

import io
import re
import tokenize

_WORDS = {"AND": "and", "OR": "or", "NOT": "not", "IN": "in", "IS": "is", "NULL": "None"}
_LIKE = {"LIKE": "like", "ILIKE": "ilike"}
_BACKTICK = re.compile(r"\.`([^`]*)`")


def normalize(expression: str) -> str:
    """The expression with MLflow's ``=``, upper-case keywords, LIKE and backticks rewritten.

    An expression that does not tokenize is returned as it is, so the parser reports the error.
    """
    text = _backticks(expression)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return expression
    out: list[tuple[int, str]] = []
    pending_like: str | None = None
    changed = text != expression
    for tok in tokens:
        kind, value = tok.type, tok.string
        if kind == tokenize.OP and value == "=":
            out.append((kind, "=="))
            changed = True
        elif kind == tokenize.NAME and value.upper() in _LIKE and value.upper() == value:
            pending_like = _LIKE[value.upper()]
            changed = True
        elif kind == tokenize.NAME and value in _WORDS:
            out.append((kind, _WORDS[value]))
            changed = True
        elif pending_like and kind == tokenize.STRING:
            out.extend([(tokenize.OP, "."), (tokenize.NAME, pending_like), (tokenize.OP, "(")])
            out.extend([(kind, value), (tokenize.OP, ")")])
            pending_like = None
        elif kind in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER):
            continue
        else:
            if pending_like:  # LIKE not followed by a string: leave it for the parser to refuse
                out.append((tokenize.NAME, pending_like.upper()))
                pending_like = None
            out.append((kind, value))
    if not changed:
        return expression
    values = [value for _, value in out]
    # MLflow's "status IN ('finished')" is a one-item list, not a parenthesized string
    for i in range(len(values) - 3, -1, -1):
        if values[i] == "in" and values[i + 1] == "(" and values[i + 3] == ")":
            values.insert(i + 3, ",")
    return _join(values)


def _join(values: list[str]) -> str:
    """Tokens back to text, spaced as a person would write them (the parser ignores spacing)."""
    text = ""
    for value in values:
        tight = text.endswith((".", "(", "[")) or value in (".", "(", ")", "[", "]", ",")
        text += value if (tight or not text) else " " + value
    return text


def _backticks(expression: str) -> str:
    """``metrics.`val/loss``` -> ``metrics['val/loss']`` (outside string literals)."""
    if "`" not in expression:
        return expression
    parts = re.split(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""", expression)
    return "".join(
        p if i % 2 else _BACKTICK.sub(lambda m: f"[{m.group(1)!r}]", p) for i, p in enumerate(parts)
    )
