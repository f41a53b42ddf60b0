"""Which values differ between runs: the one comparison behind `runs compare`, `%runs compare`
and the panel's compare view, so the three can never disagree.

Two values differ when their exact values differ (0.1 and 0.1000001 do; a missing key and None
do not). A differing value is shown with as many digits as it takes to see the difference: the
short form (6 significant digits) when that already tells the values apart, else Python's
round-trip ``repr``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mlops_jupyter.formatting import fmt_duration, fmt_value
from mlops_jupyter.store.records import RunRecord

#: The families compared, in display order; "run" holds the run's own fields.
FAMILIES = ("run", "params", "metrics", "tags")


@dataclass(frozen=True)
class FieldComparison:
    """One compared field: its values in run order, whether they differ, and their texts."""

    family: str
    key: str
    values: tuple[Any, ...]
    texts: tuple[str, ...]
    differs: bool

    @property
    def label(self) -> str:
        """``params.lr``, ``metrics.acc``, or a run field's own name (``status``)."""
        return self.key if self.family == "run" else f"{self.family}.{self.key}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the compare route's ``fields`` entries."""
        return {
            "family": self.family,
            "key": self.key,
            "texts": list(self.texts),
            "differs": self.differs,
        }


@dataclass(frozen=True)
class RunComparison:
    """Runs side by side: every field of every family, in display order."""

    runs: tuple[RunRecord, ...]
    fields: tuple[FieldComparison, ...]

    def keys(self, family: str) -> list[str]:
        """The keys of one family that any of the runs has, sorted."""
        return [f.key for f in self.fields if f.family == family]

    def differing(self, family: str) -> list[str]:
        """The keys of one family whose values differ between the runs."""
        return [f.key for f in self.fields if f.family == family and f.differs]


_RUN_FIELDS: tuple[tuple[str, Callable[[RunRecord], Any]], ...] = (
    ("name", lambda r: r.name),
    ("status", lambda r: r.status),
    ("experiment", lambda r: r.experiment),
    ("duration", lambda r: r.duration),
)


def compare_runs(records: Sequence[RunRecord]) -> RunComparison:
    """Compare runs field by field.

    Args:
        records: The runs, in the order their columns are shown.

    Returns:
        A RunComparison; each field says whether its values differ and how to show them.
    """
    fields = []
    for key, get in _RUN_FIELDS:
        values = tuple(get(r) for r in records)
        differs = key != "duration" and _differs(values)  # durations always differ a little
        texts = (
            tuple(fmt_duration(v) for v in values) if key == "duration" else _texts(values, differs)
        )
        fields.append(FieldComparison("run", key, values, texts, differs))
    for family in FAMILIES[1:]:
        for key in sorted({k for r in records for k in getattr(r, family)}):
            values = tuple(getattr(r, family).get(key) for r in records)
            differs = _differs(values)
            fields.append(FieldComparison(family, key, values, _texts(values, differs), differs))
    return RunComparison(tuple(records), tuple(fields))


def _canonical(value: Any) -> str:
    """A text equal for equal values and different for different ones (NaN equals NaN)."""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else repr(value)
    return json.dumps(value, sort_keys=True, default=str)


def _differs(values: Sequence[Any]) -> bool:
    return len({_canonical(v) for v in values}) > 1


def _texts(values: Sequence[Any], differs: bool) -> tuple[str, ...]:
    short = tuple(fmt_value(v) for v in values)
    if not differs or len(set(short)) == len({_canonical(v) for v in values}):
        return short
    return tuple(repr(v) if isinstance(v, float) else s for v, s in zip(values, short))
