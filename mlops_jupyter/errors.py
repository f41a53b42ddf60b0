"""The one exception hierarchy of mlops-jupyter; every message names the problem and the fix.

::

    MlopsJupyterError
    ├── StoreError                       the run store cannot be used as asked
    │   ├── StoreUnavailableError        cannot open / write (permissions, server down)
    │   ├── CorruptStoreError            the file is not an mlops-jupyter store, or is damaged
    │   ├── SchemaVersionError           store written by a newer version / needs `store migrate`
    │   ├── MigrationRefusedError        `store migrate` while older processes still write
    │   └── UnsupportedStoreURLError     (ValueError) a URL scheme we cannot store runs in
    ├── StoreInputError                  (ValueError) input the store cannot hold or run
    ├── InvalidArgumentError             (ValueError) a limit/offset/id out of range
    ├── RunNotFoundError                 (LookupError) unknown or ambiguous run id
    │   ├── AmbiguousRunIdError          a prefix more than one run starts with
    │   └── RunIdTooShortError           a prefix of fewer than 4 characters
    ├── ArtifactNotFoundError            (LookupError) unknown artifact hash or name
    │   └── ArtifactSourceError          (FileNotFoundError) a path to log that is no file
    ├── ArtifactCorruptError             a blob whose content no longer matches its hash
    ├── InvalidFilterError               (ValueError) a bad `runs(filter=...)` expression
    ├── InvalidMetricError               (ValueError) a metric value that is not a number
    │   ├── InvalidMetricKeyError        a metric name no backend can store (None, "", NUL, > 250)
    │   └── InvalidMetricStepError       a step that is not an integer in signed 64-bit range
    ├── InvalidParameterError            (ValueError) a parameter name/value the schema refuses
    │   ├── UnknownParameterError        a name the parameters cell does not define
    │   ├── ParameterValueError          a value not convertible to the declared type
    │   ├── NoParametersCellError        parameters given to a notebook without that cell
    │   ├── LimitExceededError           over a cap: parallel jobs, sweep points
    │   └── ValueLimitError              a key/value over the limits both backends share
    ├── RunStateError                    an action that conflicts with the run's state
    ├── NotebookError                    (ValueError) a notebook we cannot read or convert
    │   ├── UnsupportedMagicError        a magic with no faithful Python translation
    │   └── ForeignOutputError           a convert target mlops-jupyter did not write: kept
    ├── NotebookExecutionError           a cell failed while executing a notebook
    │   ├── KernelDiedError              the kernel died while a cell ran
    │   ├── NotebookTimeoutError         the run exceeded its per-run timeout
    │   └── RunCancelledError            the job was cancelled and its kernel stopped
    ├── KernelStartError                 a kernel could not be started, even after retries
    ├── UnknownKernelError               (LookupError) no installed kernelspec has that name
    ├── RestoreConflictError             (ValueError) `runs inputs --restore` would overwrite
    ├── ModelNotFoundError               (LookupError) unknown model, version, alias or run model
    ├── ModelURIError                    (ValueError) a model URI we cannot parse
    ├── ModelFlavorError                 (ValueError) an object no flavour can log
    ├── ModelInputError                  (ValueError) input that does not match the signature
    ├── ModelLoadError                   a model that cannot be loaded here (missing package)
    ├── PromotionRefusedError            (RunStateError) the promotion gate refused an alias move
    ├── MissingExtraError                (ImportError) an optional package is not installed
    ├── NoProfilesError                  (LookupError) drift asked of a run with no profile
    ├── InvalidBaselineError             (ValueError) a baseline that names no run
    ├── MetricNotFoundError              (LookupError) a gated metric the run did not record
    ├── InvalidGateError                 (ValueError) a metric gate without a usable bound
    └── SystemTagError                   (ValueError) an edit of a read-only `mlops.*` tag

Subclasses also inherit the matching builtin so callers can catch ``ValueError`` or
``LookupError`` without knowing this module; the server maps ValueError -> 400, LookupError -> 404,
RunStateError -> 409.
"""

from __future__ import annotations


class MlopsJupyterError(Exception):
    """Root of every error raised on purpose by mlops-jupyter."""


class StoreError(MlopsJupyterError):
    """The run store cannot be used as asked."""


class StoreUnavailableError(StoreError):
    """The store cannot be opened or written (permissions, missing server, full disk)."""

    def __init__(self, location: str, reason: str, fix: str = "") -> None:
        self.location = location
        self.reason = reason
        msg = f"cannot use the run store at {location}: {reason}"
        if fix:
            msg += f". {fix}"
        super().__init__(msg)


class CorruptStoreError(StoreError):
    """The database is not an mlops-jupyter store, or is damaged."""

    def __init__(self, location: str, reason: str) -> None:
        self.location = location
        super().__init__(
            f"{location} is not a usable mlops-jupyter store ({reason}). "
            "Point MLOPS_JUPYTER_STORE or --store at another file, or move this one away; "
            "it was left untouched."
        )


class SchemaVersionError(StoreError):
    """The store's schema version is not the one this code writes."""

    def __init__(self, location: str, found: int, expected: int) -> None:
        self.found, self.expected = found, expected
        if found > expected:
            fix = "upgrade mlops-jupyter (pip install -U mlops-jupyter) to read it"
        else:
            fix = "run `mlops-jupyter store migrate` to upgrade it"
        super().__init__(
            f"the store at {location} has schema version {found}, this mlops-jupyter uses "
            f"{expected}: {fix}"
        )


class UnsupportedStoreURLError(StoreError, ValueError):
    """A store URL whose scheme we cannot keep runs in."""

    def __init__(self, url: str, supported: tuple[str, ...]) -> None:
        self.url = url
        super().__init__(
            f"unsupported store URL {url!r}; expected a file path, or a URL starting with one of "
            f"{', '.join(repr(s) for s in supported)}"
        )


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


class InvalidParameterError(MlopsJupyterError, ValueError):
    """A parameter name or value that the notebook's schema refuses."""


class RunStateError(MlopsJupyterError):
    """An action that conflicts with the state of a run (e.g. no active run)."""


class NotebookError(MlopsJupyterError, ValueError):
    """A notebook that cannot be read, analysed or converted."""


class UnsupportedMagicError(NotebookError):
    """An IPython magic with no faithful plain-Python translation."""

    def __init__(self, magic: str, cell_index: int, line: int) -> None:
        self.magic, self.cell_index, self.line = magic, cell_index, line
        super().__init__(
            f"cell {cell_index}, line {line}: the magic {magic!r} has no plain-Python equivalent; "
            "rewrite it in Python or tag the cell `skip`"
        )


class NotebookExecutionError(MlopsJupyterError):
    """A cell raised while a notebook was executed (modelled on papermill's
    PapermillExecutionError).

    The fields say where and why, so the CLI, the server and the panel can show the same thing:
    ``cell_index`` (in the source notebook; -1 when unknown), ``execution_count``, ``source``
    (of the failing cell), ``ename``/``evalue``/``traceback`` (the kernel's error), ``run_id``
    (the run that recorded the execution, when there is one) and ``output_path``.
    """

    def __init__(
        self,
        cell_index: int,
        ename: str,
        evalue: str,
        output_path: str | None = None,
        *,
        run_id: str | None = None,
        execution_count: int | None = None,
        source: str = "",
        traceback: str = "",
        message: str | None = None,
    ) -> None:
        self.cell_index, self.ename, self.evalue = cell_index, ename, evalue
        self.output_path, self.run_id, self.execution_count = output_path, run_id, execution_count
        self.source, self.traceback = source, traceback
        msg = message or f"cell {cell_index} raised {ename}: {evalue}"
        if output_path:
            msg += f" (executed notebook: {output_path})"
        super().__init__(msg)


class UnknownParameterError(InvalidParameterError):
    """A parameter name that the notebook's ``parameters`` cell does not define."""

    def __init__(self, name: str, known: list[str], notebook: str = "") -> None:
        import difflib

        self.name, self.known = name, list(known)
        where = f" of {notebook}" if notebook else ""
        close = difflib.get_close_matches(name, self.known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        choices = ", ".join(repr(k) for k in self.known) or "none"
        super().__init__(
            f"unknown parameter {name!r}; the parameters cell{where} defines {choices}. {hint}"
            "List them with `mlops-jupyter params NOTEBOOK`"
        )


class ParameterValueError(InvalidParameterError):
    """A parameter value that cannot be converted to the type the notebook declares."""

    def __init__(self, name: str, value: object, expected: str, origin: str = "") -> None:
        self.name, self.value, self.expected = name, value, expected
        source = f" (from {origin})" if origin else ""
        super().__init__(
            f"parameter {name!r}: {value!r:.80} is not a valid {expected}{source}; "
            f"pass a value of type {expected}, e.g. {_EXAMPLES.get(expected, 'a literal')}"
        )


_EXAMPLES = {
    "int": "-p NAME 3",
    "float": "-p NAME 0.1",
    "bool": "-p NAME true",
    "str": "-p NAME text",
    "list": "-p NAME '[1, 2]'",
    "dict": "-p NAME '{a: 1}'",
}


class NoParametersCellError(InvalidParameterError):
    """Parameters were given for a notebook that has no cell tagged ``parameters``."""

    def __init__(self, notebook: str) -> None:
        self.notebook = notebook
        super().__init__(
            f"{notebook} has no cell tagged 'parameters', so it takes no parameters; tag the "
            "cell that assigns the defaults with 'parameters' (or start it with `#| parameters`)"
        )


class KernelStartError(MlopsJupyterError):
    """A kernel could not be started, even after retrying."""

    def __init__(self, kernel_name: str, attempts: int, reason: str) -> None:
        self.kernel_name, self.attempts, self.reason = kernel_name, attempts, reason
        super().__init__(
            f"could not start kernel {kernel_name!r} after {attempts} attempt(s): {reason}; "
            "check `jupyter kernelspec list` and that the kernel's python has ipykernel"
        )


class KernelDiedError(NotebookExecutionError):
    """The kernel died (crashed, was killed, ran out of memory) while a cell was running."""

    def __init__(
        self,
        cell_index: int,
        output_path: str | None = None,
        *,
        run_id: str | None = None,
        source: str = "",
    ) -> None:
        super().__init__(
            cell_index,
            "DeadKernelError",
            "the kernel died while this cell was running (crash, kill or out of memory)",
            output_path,
            run_id=run_id,
            source=source,
            message=f"kernel died while running cell {cell_index}; run the notebook by hand to "
            "see why (out of memory is the usual cause)",
        )


class NotebookTimeoutError(NotebookExecutionError):
    """A notebook ran longer than its per-run timeout and was stopped."""

    def __init__(
        self,
        timeout: float,
        cell_index: int,
        output_path: str | None = None,
        *,
        run_id: str | None = None,
        source: str = "",
    ) -> None:
        self.timeout = timeout
        super().__init__(
            cell_index,
            "TimeoutError",
            f"the run exceeded its timeout of {timeout:g}s",
            output_path,
            run_id=run_id,
            source=source,
            message=f"timed out after {timeout:g}s while running cell {cell_index}; raise "
            "--timeout or make the notebook faster",
        )


class UnknownKernelError(MlopsJupyterError, LookupError):
    """A kernelspec name that no installed kernel has."""

    def __init__(self, name: str, available: list[str]) -> None:
        self.name, self.available = name, list(available)
        super().__init__(
            f"no kernel named {name!r}; installed kernels: "
            f"{', '.join(repr(k) for k in self.available) or 'none'}. Pass one with --kernel, "
            "or install it (python -m ipykernel install --user --name NAME)"
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


class ForeignOutputError(NotebookError):
    """A conversion target mlops-jupyter did not write (or that holds the notebook): never
    replaced."""

    def __init__(self, target: object, reason: str) -> None:
        self.target, self.reason = target, reason
        super().__init__(
            f"refusing to write the package into {target}: {reason}, so replacing it could destroy "
            "files that are not ours; nothing was changed. Choose another output folder "
            "(-o/--output, or output_dir from the panel), or remove that folder yourself"
        )


class LimitExceededError(InvalidParameterError):
    """A request over one of mlops-jupyter's caps (parallel jobs, sweep points, value sizes)."""

    def __init__(self, what: str, value: object, cap: object, fix: str) -> None:
        self.what, self.value, self.cap = what, value, cap
        super().__init__(f"{what} {value} is over the limit of {cap}; {fix}")


class RunCancelledError(NotebookExecutionError):
    """An execution stopped because its job was cancelled (from the panel or at server shutdown)."""

    def __init__(self, cell_index: int = -1) -> None:
        # through the base, so it has every field (run_id, source, traceback...) readers use
        super().__init__(
            cell_index,
            "Cancelled",
            "the job was cancelled; its kernel was stopped",
            message="cancelled: the job was stopped and its kernel shut down; "
            "start it again to finish it",
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


class StoreInputError(MlopsJupyterError, ValueError):
    """A value or query the store cannot hold or run (too long, out of range, too complex).

    The store itself is healthy: the input has to change, not the store.
    """

    def __init__(self, location: str, reason: str, fix: str) -> None:
        self.location, self.reason = location, reason
        super().__init__(f"the run store at {location} refused the input: {reason}. {fix}")


class ValueLimitError(InvalidParameterError):
    """A param/tag/metric key or value beyond the limits both store backends share."""

    def __init__(self, what: str, key: str, problem: str) -> None:
        self.what, self.key, self.problem = what, key, problem
        super().__init__(f"{what} {key!r:.80}: {problem}")


class InvalidArgumentError(MlopsJupyterError, ValueError):
    """A query argument (limit, offset, run id) outside the range the store accepts."""


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


class MigrationRefusedError(StoreError):
    """`store migrate` refused because processes of the older version are still writing."""


class RestoreConflictError(MlopsJupyterError, ValueError):
    """`runs inputs --restore` would replace a different file already in the folder."""

    def __init__(self, path: str) -> None:
        self.path = path
        ValueError.__init__(
            self,
            f"{path} already exists with other content; restore into an empty folder, or give "
            "--force to replace it",
        )


class ModelNotFoundError(MlopsJupyterError, LookupError):
    """A registered model, version, alias or run model that does not exist."""

    def __init__(self, message: str, known: list[str] | None = None) -> None:
        hint = (
            f" (registered: {', '.join(known[:10])})"
            if known
            else " (`mlops-jupyter models ls` lists them)"
            if known is not None
            else ""
        )
        LookupError.__init__(self, message + hint)


class ModelURIError(MlopsJupyterError, ValueError):
    """A model URI that is not runs:/RUN_ID/NAME, models:/NAME/VERSION or models:/NAME@ALIAS."""

    def __init__(self, uri: str, problem: str) -> None:
        self.uri = uri
        super().__init__(
            f"model URI {uri!r:.200}: {problem}; write runs:/RUN_ID/NAME, models:/NAME/VERSION "
            "or models:/NAME@ALIAS"
        )


class ModelFlavorError(MlopsJupyterError, ValueError):
    """An object that no model flavour can log (it has no `predict`)."""


class ModelInputError(MlopsJupyterError, ValueError):
    """Input to a model's `predict` that does not match its signature; names the column."""

    def __init__(self, message: str, column: str | None = None) -> None:
        self.column = column
        super().__init__(message)


class ModelLoadError(MlopsJupyterError):
    """A model that cannot be loaded in this environment (a package it needs is missing)."""


class PromotionRefusedError(RunStateError):
    """The promotion gate refused to move an alias to a version (the reason and `force=True`)."""


class MissingExtraError(MlopsJupyterError, ImportError):
    """A feature that needs an optional package which is not installed."""

    def __init__(self, feature: str, package: str, extra: str) -> None:
        self.feature, self.package, self.extra = feature, package, extra
        super().__init__(
            f"{feature} need the Python package {package!r}, which is not installed; "
            f"install it with: pip install 'mlops-jupyter[{extra}]'"
        )


class NoProfilesError(MlopsJupyterError, LookupError):
    """A run that holds no data profile, asked for drift."""

    def __init__(self, run_id: str, role: str) -> None:
        self.run_id, self.role = run_id, role
        super().__init__(
            f"the {role} run {run_id[:8]} has no data profiles; profiles are recorded for "
            "every DataFrame logged with log_table() or shown by a %%track cell: log the "
            "run's data that way, then compare again"
        )


class InvalidBaselineError(MlopsJupyterError, ValueError):
    """A baseline that is neither a run id nor a model alias this store can resolve."""

    def __init__(self, baseline: str, problem: str) -> None:
        self.baseline = baseline
        super().__init__(
            f"baseline {baseline!r}: {problem}; give a run id (or a unique prefix of it, "
            "`mlops-jupyter runs ls` lists them) or models:/NAME@ALIAS"
        )


class MetricNotFoundError(MlopsJupyterError, LookupError):
    """A metric a gate checks that the run did not record."""

    def __init__(self, run_id: str, metric: str, recorded: list[str]) -> None:
        self.run_id, self.metric = run_id, metric
        known = ", ".join(sorted(recorded)[:20]) or "none"
        super().__init__(
            f"run {run_id[:8]} has no metric {metric!r} (recorded: {known}); "
            "give one of those with --metric"
        )


class InvalidGateError(MlopsJupyterError, ValueError):
    """A metric gate without a bound, or a bound it cannot check."""


class SystemTagError(MlopsJupyterError, ValueError):
    """An edit of a `mlops.*` tag: those are recorded by mlops-jupyter and read-only."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"tag {key!r} is a system tag (mlops.*): mlops-jupyter records it and it is "
            "read-only; choose a key that does not start with 'mlops.'"
        )
