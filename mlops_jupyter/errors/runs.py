"""Errors about a run's records: ids, artifacts, filters, metrics, tags, restores."""

from __future__ import annotations

from mlops_jupyter.errors.base import MlopsJupyterError


class RunNotFoundError(MlopsJupyterError, LookupError):
    """No run (or more than one run) matches the id given."""

    def __init__(self, run_id: str, candidates: int = 0) -> None:
        self.run_id = run_id
        if candidates > 1:
            msg = (
                f"run id {run_id!r} is ambiguous ({candidates} runs start with it); "
                "give more characters of the id"
            )
        else:
            msg = f"no run with id {run_id!r}; list runs with `mlops-jupyter runs ls`"
        super().__init__(msg)

    def __str__(self) -> str:  # LookupError would otherwise repr() the message
        return str(self.args[0])


class AmbiguousRunIdError(RunNotFoundError):
    """A run id prefix that more than one run starts with."""

    def __init__(self, run_id: str, candidates: int, more: bool = False) -> None:
        self.run_id, self.candidates = run_id, candidates
        count = f"{candidates} or more" if more else str(candidates)
        LookupError.__init__(
            self,
            f"run id {run_id!r} is ambiguous ({count} runs start with it); give more "
            "characters of the id (`mlops-jupyter runs ls` lists them)",
        )


class RunIdTooShortError(RunNotFoundError):
    """A run id prefix too short to look up (ids are matched by prefixes of 4+ characters)."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        LookupError.__init__(
            self,
            f"run id {run_id!r} is too short: give at least 4 characters of the id "
            "(`mlops-jupyter runs ls` lists them)",
        )


class ArtifactNotFoundError(MlopsJupyterError, LookupError):
    """No artifact blob with that hash (or no artifact with that name on a run)."""

    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(
            f"no artifact {ref!r} in the store; list a run's artifacts with "
            "`mlops-jupyter runs show RUN`"
        )

    def __str__(self) -> str:
        return str(self.args[0])


class ArtifactSourceError(ArtifactNotFoundError, FileNotFoundError):
    """A path given to `log_artifact` or `log_input` that is missing or is a folder."""

    def __init__(self, path: str, call: str = "log_artifact") -> None:
        import os

        self.ref = self.path = path
        if os.path.isdir(path):
            msg = (
                f"{call}: {path!r} is a folder, not a file; log its files one by one "
                f"(for f in Path({path!r}).rglob('*'): if f.is_file(): "
                f"run.{call}(f, name=str(f.relative_to({path!r})))), or log one archive of "
                "it made with shutil.make_archive"
            )
        else:
            msg = (
                f"{call}: no file {path!r} (looked in {os.getcwd()}); "
                "check the path, or give an absolute one"
            )
        MlopsJupyterError.__init__(self, msg)
        self.filename = path


class ArtifactCorruptError(MlopsJupyterError):
    """A blob's content no longer matches the hash it is stored under."""

    def __init__(self, sha256: str, actual: str) -> None:
        self.sha256, self.actual = sha256, actual
        super().__init__(
            f"artifact blob {sha256[:12]}... is corrupt (its content hashes to {actual[:12]}...); "
            "re-log the artifact from its source, the damaged blob was not served"
        )


class InvalidFilterError(MlopsJupyterError, ValueError):
    """A filter expression that cannot be parsed or uses unknown names."""

    def __init__(self, expression: str, problem: str) -> None:
        self.expression, self.problem = expression, problem
        end = " " if problem.endswith("?") else ". "
        super().__init__(
            f"bad filter {expression!r}: {problem}{end}Write comparisons such as "
            "\"metrics.acc > 0.9 and params.model == 'rf'\" (fields: metrics.*, params.*, tags.*, "
            "run_id, name, status, experiment, notebook, start_time, end_time, duration, "
            "parent_run_id)"
        )


class InvalidMetricError(MlopsJupyterError, ValueError):
    """A metric whose value is not a number."""

    def __init__(self, key: str, value: object) -> None:
        # object: the subclass InvalidMetricKeyError carries the refused key, of any type
        self.key: object = key
        self.value = value
        super().__init__(
            f"metric {key!r} must be a number, got {type(value).__name__} {value!r:.80}; "
            "log text with set_tag() or log_param() instead"
        )


class InvalidMetricKeyError(InvalidMetricError):
    """A metric name that some backend cannot store: not a string, empty, too long, or with NUL."""

    def __init__(self, key: object, problem: str) -> None:
        self.key, self.value, self.problem = key, None, problem
        MlopsJupyterError.__init__(
            self,
            f"metric name {key!r:.80} {problem}; name metrics with a non-empty string of "
            "at most 250 characters without NUL bytes, e.g. log_metric('val_loss', 0.3)",
        )


class InvalidMetricStepError(InvalidMetricError):
    """A metric step that is not an integer in the signed 64-bit range every backend stores."""

    def __init__(self, key: str, step: object) -> None:
        self.key, self.value, self.step = key, None, step
        MlopsJupyterError.__init__(
            self,
            f"metric {key!r:.80}: step {step!r:.40} must be an integer between -2**63 and "
            "2**63-1 (or None for the next step); pass an epoch or batch counter",
        )


class RestoreConflictError(MlopsJupyterError, ValueError):
    """`runs inputs --restore` would replace a different file already in the folder."""

    def __init__(self, path: str) -> None:
        self.path = path
        ValueError.__init__(
            self,
            f"{path} already exists with other content; restore into an empty folder, or give "
            "--force to replace it",
        )


class SystemTagError(MlopsJupyterError, ValueError):
    """An edit of a `mlops.*` tag: those are recorded by mlops-jupyter and read-only."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"tag {key!r} is a system tag (mlops.*): mlops-jupyter records it and it is "
            "read-only; choose a key that does not start with 'mlops.'"
        )
