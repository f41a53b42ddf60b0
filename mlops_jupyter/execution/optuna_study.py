"""The Optuna side of ``sweep --optuna``: settings, search space, the study, and telling results.

Imported only by an adaptive sweep: Optuna is an optional extra (``mlops-jupyter[optuna]``) and
the core install never imports it. The study lives in Optuna's RDB storage, an SQLite file in
the project's ``.mlops`` folder, named after the sweep run, so that ``--resume`` finds every
trial again; each trial's number is its point's index (tag ``mlops.sweep.point``) and its child
run is recorded on the trial (user attribute ``run_id``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_jupyter import env
from mlops_jupyter.errors import InvalidParameterError, MlopsJupyterError
from mlops_jupyter.execution.points import MAX_SWEEP_POINTS, parse_range
from mlops_jupyter.execution.sweep_point import PointResult
from mlops_jupyter.execution.sweep_spec import SEARCH_ARTIFACT as SEARCH_ARTIFACT
from mlops_jupyter.notebook.parameters import ParamSpec
from mlops_jupyter.store import RunStore

try:
    import optuna
except ImportError as _err:  # pragma: no cover - the extra is in the test install
    raise MlopsJupyterError(
        "sweep --optuna needs Optuna: pip install 'mlops-jupyter[optuna]'"
    ) from _err

SAMPLERS = ("tpe", "cmaes", "random")
DIRECTIONS = ("maximize", "minimize")
PRUNERS = ("median",)
#: Study attribute listing the trials whose run was cut short by a killed controller: they
#: count as not done, and `--resume` asks new trials instead (no trial runs twice).
INTERRUPTED = "interrupted"


@dataclass
class SearchSpec:
    """What an adaptive sweep records (``optuna.json``) so that ``--resume`` can continue it."""

    trials: int
    metric: str
    direction: str
    sampler: str
    ranges: list[str]
    seed: int | None
    prune: str | None
    storage: str
    study: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def check_search(
    trials: int, metric: str, direction: str, sampler: str, prune: str | None, executor: str
) -> None:
    """Refuse bad settings before anything is recorded.

    Raises:
        InvalidParameterError: a setting out of its choices (the message names them).
    """
    if (
        isinstance(trials, bool)
        or not isinstance(trials, int)
        or not 1 <= trials <= MAX_SWEEP_POINTS
    ):
        raise InvalidParameterError(
            f"--optuna {trials!r}: expected a number of trials from 1 to {MAX_SWEEP_POINTS}"
        )
    if not metric:
        raise InvalidParameterError("--optuna needs --metric NAME: the metric the study optimises")
    for option, value, choices in (
        ("--direction", direction, DIRECTIONS),
        ("--sampler", sampler, SAMPLERS),
        ("--prune", prune or "median", PRUNERS),
    ):
        if value not in choices:
            raise InvalidParameterError(f"{option} {value!r}: expected one of {', '.join(choices)}")


def search_space(ranges: Sequence[str], schema: Iterable[ParamSpec] | None) -> dict[str, Any]:
    """Optuna distributions from ``--range NAME=LO:HI[:log]`` options.

    Raises:
        InvalidParameterError: no range, or a malformed one (see points.parse_range).
    """
    if not ranges:
        raise InvalidParameterError("--optuna needs at least one --range NAME=LO:HI[:log]")
    types = {s.name: s.type for s in schema or ()}
    space: dict[str, Any] = {}
    for option in ranges:
        axis = parse_range(option, types)
        if axis.kind == "int":
            space[axis.name] = optuna.distributions.IntDistribution(
                int(axis.low), int(axis.high), log=axis.log
            )
        else:
            space[axis.name] = optuna.distributions.FloatDistribution(
                axis.low, axis.high, log=axis.log
            )
    return space


def storage_url(store: RunStore, cwd: str) -> str:
    """Optuna's RDB storage: ``optuna.db`` next to a SQLite store, else in the project's
    ``.mlops`` folder (a PostgreSQL store keeps no Optuna tables)."""
    url = store.url
    if url.startswith("sqlite:///"):
        folder = Path(url[len("sqlite:///") :]).parent
    else:
        folder = env.project_root(cwd) / env.STORE_DIRNAME
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{os.path.abspath(folder / 'optuna.db')}"


def open_study(spec: SearchSpec, *, create: bool) -> Any:
    """The study of `spec` (created for a new sweep, loaded for ``--resume``)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.RDBStorage(spec.storage)
    seed = spec.seed
    if seed is not None and not create:  # a resumed sampler must not replay the first draws
        study_id = storage.get_study_id_from_name(spec.study)
        seed += len(storage.get_all_trials(study_id, deepcopy=False))
    samplers = {
        "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
        "cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False),
        "random": lambda: optuna.samplers.RandomSampler(seed=seed),
    }
    pruner = optuna.pruners.MedianPruner() if spec.prune else optuna.pruners.NopPruner()
    if create:
        return optuna.create_study(
            storage=storage,
            study_name=spec.study,
            direction=optuna.study.StudyDirection[spec.direction.upper()],
            sampler=samplers[spec.sampler](),
            pruner=pruner,
        )
    return optuna.load_study(
        study_name=spec.study, storage=storage, sampler=samplers[spec.sampler](), pruner=pruner
    )


def interrupted(study: Any) -> set[int]:
    """Trials whose run was cut short by a killed controller (recorded on the study)."""
    return set(study.user_attrs.get(INTERRUPTED, []))


def mark_interrupted(study: Any, numbers: Iterable[int]) -> None:
    """Fail these trials for good and remember they were interrupted, not failed."""
    numbers = list(numbers)
    if not numbers:
        return
    for number in numbers:
        study.tell(number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
    study.set_user_attr(INTERRUPTED, sorted(interrupted(study) | set(numbers)))


def counted(study: Any) -> int:
    """Trials that are done for good: complete, pruned, or failed by the notebook itself."""
    states = optuna.trial.TrialState
    cut = interrupted(study)
    return sum(
        t.state in (states.COMPLETE, states.PRUNED)
        or (t.state == states.FAIL and t.number not in cut)
        for t in study.get_trials(deepcopy=False)
    )


def tell(study: Any, trial: Any, result: PointResult, metric: str) -> str:
    """Tell the study how `trial` ended (from its point's result); returns a log line when
    the trial gave no value."""
    if result.run_id and hasattr(trial, "set_user_attr"):
        trial.set_user_attr("run_id", result.run_id)
    number = trial.number
    states = optuna.trial.TrialState
    value = result.metrics.get(metric)
    if result.status == "finished" and value is not None:
        study.tell(number, float(value))
        return ""
    if result.status == "pruned":
        study.tell(number, state=states.PRUNED)
        return ""
    study.tell(number, state=states.FAIL)
    if result.status == "finished":
        return f"trial {number} finished without metric {metric!r}: counted as failed"
    return f"trial {number} {result.status}: {result.error or ''}".strip()
