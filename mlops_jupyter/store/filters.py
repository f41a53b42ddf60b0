"""The run filter language: a safe subset of Python expressions compiled to SQL.

``metrics.acc > 0.9 and params.model == 'rf'``, ``tags.stage in ('prod', 'dev')``,
``name.startswith('sweep')``, ``metrics["val/loss"] < 0.2``, ``end_time is None``,
``start_time > '2026-12-01'``; MLflow's ``=``, ``AND`` and ``LIKE`` are accepted too
(filter_syntax.py). The same syntax serves ``runs(filter=...)``, the CLI's ``--filter`` and the
server's ``filter`` query.
"""

from __future__ import annotations

import ast
import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, select, true
from sqlalchemy.sql.elements import ColumnElement as _Col

from mlops_jupyter.errors import InvalidFilterError
from mlops_jupyter.store import filter_syntax, limits, schema

#: Bounds on a filter: nesting depth of the parsed expression and number of comparisons. SQLite
#: refuses SQL expressions deeper than 1,000 and Python's parser overflows long before deep input
#: reaches us, so an unbounded filter would end in a traceback rather than a message.
MAX_DEPTH = 64
MAX_TERMS = 500
MAX_LENGTH = 100_000

_r = schema.runs
_COLUMNS = {
    "run_id": _r.c.run_id,
    "name": _r.c.name,
    "status": _r.c.status,
    "start_time": _r.c.start_time,
    "end_time": _r.c.end_time,
    "updated_at": _r.c.updated_at,
    "parent_run_id": _r.c.parent_run_id,
    "notebook": _r.c.source_notebook,
    "source_notebook": _r.c.source_notebook,
    "cell_id": _r.c.cell_id,
    "host": _r.c.host,
}
_FAMILIES = ("metrics", "params", "tags")
#: Columns holding epoch seconds: they also compare with a date text such as '2026-12-01'.
_TIME_COLUMNS = ("start_time", "end_time", "updated_at")
FIELD_NAMES = (*_COLUMNS, "experiment", "duration", *(f"{f}.*" for f in _FAMILIES))


def field_column(family: str | None, key: str) -> _Col[Any]:
    """The SQL expression for one field: a runs column or a correlated value lookup."""
    if family is None:
        if key in _COLUMNS:
            return _COLUMNS[key]
        if key == "experiment":  # every runs query joins experiments
            return schema.experiments.c.name
        if key == "duration":
            return _r.c.end_time - _r.c.start_time
        raise KeyError(key)
    table = {"metrics": schema.latest_metrics, "params": schema.params, "tags": schema.tags}[family]
    value = table.c.value
    return select(value).where(table.c.run_id == _r.c.run_id, table.c.key == key).scalar_subquery()


def _param_numeric(key: str) -> _Col[Any]:
    p = schema.params
    return select(p.c.value_num).where(p.c.run_id == _r.c.run_id, p.c.key == key).scalar_subquery()


def parse_field(text: str) -> tuple[str | None, str]:
    """Split ``metrics.acc`` into ("metrics", "acc"); a plain column name has family None."""
    family, dot, key = text.partition(".")
    if dot and family in _FAMILIES and key:
        return family, key
    if not dot and (text in _COLUMNS or text in ("experiment", "duration")):
        return None, text
    raise KeyError(text)


class _Compiler:
    """Walks the parsed expression; every node kind not listed here is refused by name."""

    def __init__(self, expression: str) -> None:
        self.expression = expression

    def fail(self, problem: str) -> InvalidFilterError:
        return InvalidFilterError(self.expression, problem)

    def compile(self, node: ast.AST) -> ColumnElement[bool]:
        if isinstance(node, ast.BoolOp):
            parts = [self.compile(v) for v in node.values]
            return and_(*parts) if isinstance(node.op, ast.And) else or_(*parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return not_(self.compile(node.operand))
        if isinstance(node, ast.Compare):
            return and_(*self._compare_chain(node))
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return true() if node.value else false()
        raise self.fail(f"{ast.unparse(node)!r} is not a comparison")

    def field(self, node: ast.AST) -> tuple[str | None, str]:
        if isinstance(node, ast.Name):
            name = node.id
            try:
                return parse_field(name)
            except KeyError:
                raise self.fail(f"unknown field {name!r}") from None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            family = node.value.id
            if family in _FAMILIES:
                return family, node.attr
            raise self.fail(f"unknown field family {family!r}")
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            family = node.value.id
            key = node.slice
            if family in _FAMILIES and isinstance(key, ast.Constant) and isinstance(key.value, str):
                return family, key.value
        raise self.fail(f"{ast.unparse(node)!r} is not a field")

    def literal(self, node: ast.AST) -> Any:
        try:
            value = ast.literal_eval(node)
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            raise self.fail(f"{ast.unparse(node)[:80]!r} is not a literal value") from None
        for item in value if isinstance(value, (list, tuple, set)) else (value,):
            if (
                isinstance(item, int)
                and not isinstance(item, bool)
                and not limits.INT64_MIN <= item <= limits.INT64_MAX
            ):
                raise self.fail(
                    f"the number {item:.4g} is outside the 64-bit integer range the "
                    "store compares; write it as a float (e.g. 1e20)"
                )
        return value

    def _column_for(self, fam_key: tuple[str | None, str], value: Any) -> _Col[Any]:
        family, key = fam_key
        if family == "params" and isinstance(value, (int, float)):
            return _param_numeric(key)  # bools compare as 1/0, numbers numerically
        if family == "params" and value is not None and not isinstance(value, str):
            raise self.fail(
                f"params can be compared with numbers, booleans or strings, not {value!r}"
            )
        return field_column(family, key)

    def _compare_chain(self, node: ast.Compare) -> list[ColumnElement[bool]]:
        out, left = [], node.left
        for op, right in zip(node.ops, node.comparators):
            out.append(self._compare(left, op, right))
            left = right
        return out

    def _compare(self, left: ast.AST, op: ast.cmpop, right: ast.AST) -> ColumnElement[bool]:
        if not _is_field(left) and _is_field(right):
            left, right, op = right, left, _FLIPPED.get(type(op), op)
        fam_key = self.field(left)
        value = self.literal(right)
        if fam_key[0] is None and fam_key[1] in _TIME_COLUMNS and isinstance(value, str):
            value = self._timestamp(fam_key[1], value)
        if isinstance(op, (ast.In, ast.NotIn)):
            if not isinstance(value, (list, tuple, set)):
                raise self.fail("'in' needs a list or tuple, e.g. status in ('failed', 'killed')")
            col = self._column_for(fam_key, next(iter(value), None))
            cond = col.in_(list(value))
            return not_(cond) if isinstance(op, ast.NotIn) else cond
        if isinstance(op, (ast.Is, ast.IsNot)):
            if value is not None:
                raise self.fail("'is' only compares with None")
            col = field_column(*fam_key)
            if fam_key == (None, "parent_run_id"):
                # the panel's "top-level runs": an expression, so SQLite keeps walking
                # ix_runs_start_time instead of ix_runs_parent_live (+ a sort of every root run)
                col = func.coalesce(col, "")
                return col == "" if isinstance(op, ast.Is) else col != ""
            return col.is_(None) if isinstance(op, ast.Is) else col.is_not(None)
        col = self._column_for(fam_key, value)
        if fam_key[0] == "metrics" and not isinstance(value, (int, float)):
            raise self.fail(f"metrics are numbers; compare {fam_key[1]!r} with a number")
        compare = _OPS.get(type(op))
        if compare is None:
            raise self.fail(f"operator {type(op).__name__} is not supported")
        return compare(col, value)

    def _timestamp(self, field: str, text: str) -> float:
        """'2026-12-01' or '2026-12-01 20:35' (local time unless a zone is given) -> seconds."""
        try:
            when = dt.datetime.fromisoformat(text.strip())
        except ValueError:
            raise self.fail(
                f"{field} compares with a date such as '2026-12-01' or '2026-12-01 20:35', "
                f"or with epoch seconds; {text!r} is neither"
            ) from None
        return when.timestamp()  # a naive datetime is read as local time, as the panel shows it

    def _call(self, node: ast.Call) -> ColumnElement[bool]:
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr in _STRING_METHODS):
            raise self.fail(f"only {', '.join(_STRING_METHODS)} calls are allowed")
        if len(node.args) != 1 or node.keywords:
            raise self.fail(f"{func.attr}() takes one string")
        text = self.literal(node.args[0])
        if not isinstance(text, str):
            raise self.fail(f"{func.attr}() takes one string")
        col = field_column(*self.field(func.value))
        return _STRING_METHODS[func.attr](col, text)


def _is_field(node: ast.AST) -> bool:
    return isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)) and not (
        isinstance(node, ast.Name) and node.id in ("None", "True", "False")
    )


_OPS = {
    ast.Eq: lambda c, v: c.is_(None) if v is None else c == v,
    ast.NotEq: lambda c, v: c.is_not(None) if v is None else or_(c != v, c.is_(None)),
    ast.Lt: lambda c, v: c < v,
    ast.LtE: lambda c, v: c <= v,
    ast.Gt: lambda c, v: c > v,
    ast.GtE: lambda c, v: c >= v,
}
_FLIPPED = {ast.Lt: ast.Gt(), ast.Gt: ast.Lt(), ast.LtE: ast.GtE(), ast.GtE: ast.LtE()}
_STRING_METHODS = {
    "startswith": lambda c, t: c.startswith(t, autoescape=True),
    "endswith": lambda c, t: c.endswith(t, autoescape=True),
    "contains": lambda c, t: c.contains(t, autoescape=True),
    # MLflow's LIKE / ILIKE (rewritten to these calls): % and _ are the SQL wildcards
    "like": lambda c, t: c.like(t),
    "ilike": lambda c, t: c.ilike(t),
}


def compile_filter(expression: str | None) -> ColumnElement[bool] | None:
    """Compile a filter expression to a WHERE clause over the runs table (None for no filter).

    Raises:
        InvalidFilterError: on a syntax error, an unknown field or an unsupported construct.
    """
    if expression is None or not expression.strip():
        return None
    if len(expression) > MAX_LENGTH:
        raise InvalidFilterError(
            expression[:80] + "...",
            f"the filter has {len(expression):,} characters, the limit is {MAX_LENGTH:,}",
        )
    try:
        tree = ast.parse(filter_syntax.normalize(expression.strip()), mode="eval")
    except SyntaxError as err:
        raise InvalidFilterError(expression, f"syntax error ({err.msg})") from None
    except (RecursionError, MemoryError):
        raise InvalidFilterError(
            _short(expression),
            f"the expression is nested too deeply; the limit is {MAX_DEPTH} levels",
        ) from None
    _check_size(expression, tree)
    return _Compiler(expression).compile(tree.body)


def _short(expression: str) -> str:
    return expression if len(expression) <= 120 else expression[:120] + "..."


def _check_size(expression: str, tree: ast.AST) -> None:
    """Refuse filters nested deeper than MAX_DEPTH or with more than MAX_TERMS comparisons
    (walked with an explicit stack: recursion is what fails on such input)."""
    stack, terms = [(tree, 0)], 0
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidFilterError(
                _short(expression),
                f"the expression is nested too deeply; the limit is {MAX_DEPTH} levels",
            )
        if isinstance(node, (ast.Compare, ast.Call)):
            terms += 1
            if terms > MAX_TERMS:
                raise InvalidFilterError(
                    _short(expression),
                    "the filter has more than "
                    f"{MAX_TERMS} comparisons; use 'in (...)' lists or a "
                    "narrower filter",
                )
            continue  # operands are fields and literals (a long 'in' list is fine)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def compile_order(order_by: str | list[str] | None) -> list[Any]:
    """``"metrics.acc DESC"`` / ``["-start_time"]`` -> ORDER BY clauses, missing values last."""
    if not order_by:
        return [_r.c.start_time.desc()]
    items = [order_by] if isinstance(order_by, str) else list(order_by)
    clauses: list[ColumnElement[Any]] = []
    for item in items:
        words = item.strip().split()
        descending = len(words) == 2 and words[1].upper() == "DESC"
        if (
            not words
            or len(words) > 2
            or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC"))
        ):
            raise InvalidFilterError(item, "order_by takes 'FIELD', 'FIELD ASC' or 'FIELD DESC'")
        name = words[0]
        if name.startswith("-"):
            name, descending = name[1:], True
        try:
            col = field_column(*parse_field(name))
        except KeyError:
            raise InvalidFilterError(item, f"unknown field {name!r} to sort by") from None
        if getattr(col, "nullable", True):  # plain NOT NULL columns keep their index order
            clauses.append(col.is_(None))  # False sorts first: missing values last
        clauses.append(col.desc() if descending else col.asc())
    clauses.append(_r.c.run_id)
    return clauses
