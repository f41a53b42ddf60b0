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

from mlops_jupyter.errors.base import (
    InvalidArgumentError,
    MissingExtraError,
    MlopsJupyterError,
    RunStateError,
)
from mlops_jupyter.errors.models import (
    ModelFlavorError,
    ModelInputError,
    ModelLoadError,
    ModelNotFoundError,
    ModelURIError,
    PromotionRefusedError,
)
from mlops_jupyter.errors.monitoring import (
    InvalidBaselineError,
    InvalidGateError,
    MetricNotFoundError,
    NoProfilesError,
)
from mlops_jupyter.errors.notebooks import (
    ForeignOutputError,
    KernelDiedError,
    KernelStartError,
    NotebookError,
    NotebookExecutionError,
    NotebookTimeoutError,
    RunCancelledError,
    UnknownKernelError,
    UnsupportedMagicError,
)
from mlops_jupyter.errors.parameters import (
    InvalidParameterError,
    LimitExceededError,
    NoParametersCellError,
    ParameterValueError,
    UnknownParameterError,
    ValueLimitError,
)
from mlops_jupyter.errors.runs import (
    AmbiguousRunIdError,
    ArtifactCorruptError,
    ArtifactNotFoundError,
    ArtifactSourceError,
    InvalidFilterError,
    InvalidMetricError,
    InvalidMetricKeyError,
    InvalidMetricStepError,
    RestoreConflictError,
    RunIdTooShortError,
    RunNotFoundError,
    SystemTagError,
)
from mlops_jupyter.errors.store import (
    CorruptStoreError,
    MigrationRefusedError,
    SchemaVersionError,
    StoreError,
    StoreInputError,
    StoreUnavailableError,
    UnsupportedStoreURLError,
)

__all__ = [
    "AmbiguousRunIdError",
    "ArtifactCorruptError",
    "ArtifactNotFoundError",
    "ArtifactSourceError",
    "CorruptStoreError",
    "ForeignOutputError",
    "InvalidArgumentError",
    "InvalidBaselineError",
    "InvalidFilterError",
    "InvalidGateError",
    "InvalidMetricError",
    "InvalidMetricKeyError",
    "InvalidMetricStepError",
    "InvalidParameterError",
    "KernelDiedError",
    "KernelStartError",
    "LimitExceededError",
    "MetricNotFoundError",
    "MigrationRefusedError",
    "MissingExtraError",
    "MlopsJupyterError",
    "ModelFlavorError",
    "ModelInputError",
    "ModelLoadError",
    "ModelNotFoundError",
    "ModelURIError",
    "NoParametersCellError",
    "NoProfilesError",
    "NotebookError",
    "NotebookExecutionError",
    "NotebookTimeoutError",
    "ParameterValueError",
    "PromotionRefusedError",
    "RestoreConflictError",
    "RunCancelledError",
    "RunIdTooShortError",
    "RunNotFoundError",
    "RunStateError",
    "SchemaVersionError",
    "StoreError",
    "StoreInputError",
    "StoreUnavailableError",
    "SystemTagError",
    "UnknownKernelError",
    "UnknownParameterError",
    "UnsupportedMagicError",
    "UnsupportedStoreURLError",
    "ValueLimitError",
]
