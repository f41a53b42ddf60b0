"""`load_model`: resolve a model URI in the store, check its requirements, rebuild the model and
wrap it so `predict` enforces the signature it was logged with."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from mlops_jupyter.errors import ModelLoadError, ModelNotFoundError
from mlops_jupyter.models import bundle
from mlops_jupyter.models.enforce import enforce
from mlops_jupyter.models.flavors import BY_NAME, Flavor
from mlops_jupyter.models.uris import parse_uri
from mlops_jupyter.store import RunStore, open_store
from mlops_jupyter.store.model_records import ModelVersionRecord


@dataclass(frozen=True)
class ResolvedModel:
    """Where a URI points: the run and its model name (and the registered version, if any)."""

    uri: str
    run_id: str
    path: str
    version: ModelVersionRecord | None = None


def store_of(store: RunStore | str | None) -> RunStore:
    """The store to use: a RunStore, a URL/path, or the project store (MLOPS_JUPYTER_STORE)."""
    return store if isinstance(store, RunStore) else open_store(store)


def resolve(uri: str, store: RunStore) -> ResolvedModel:
    """The run model a URI names (registered versions and aliases looked up in the registry)."""
    parsed = parse_uri(uri)
    if parsed.run_id is not None and parsed.path is not None:
        return ResolvedModel(uri, store.resolve_run_id(parsed.run_id), parsed.path)
    assert parsed.name is not None
    if parsed.alias is not None:
        number = store.alias_version(parsed.name, parsed.alias)
    elif parsed.version is not None:
        number = parsed.version
    else:
        latest = store.get_registered_model(parsed.name).latest_version
        if latest is None:
            raise ModelNotFoundError(f"model {parsed.name!r} has no versions yet")
        number = latest
    record = store.get_model_version(parsed.name, number)
    return ResolvedModel(uri, record.run_id, record.model_path, record)


class PyFuncModel:
    """A loaded model: `predict` takes a DataFrame, an array or a list of records, checks it
    against the signature (one ModelInputError naming the column) and calls the model."""

    def __init__(self, native: Any, metadata: dict[str, Any], flavor: Flavor, uri: str) -> None:
        self.native, self.metadata, self.flavor, self.uri = native, metadata, flavor, uri

    def __repr__(self) -> str:
        return f"<PyFuncModel {self.uri} flavor={self.flavor.name} {self.metadata['model_class']}>"

    @property
    def signature(self) -> dict[str, Any] | None:
        """The input (and output) schema the model was logged with."""
        return self.metadata.get("signature")

    @property
    def input_example(self) -> dict[str, Any] | None:
        """The stored input example, as a scoring-protocol request body."""
        return self.metadata.get("input_example")

    def prepare(self, data: Any) -> Any:
        """`data` checked against the signature and converted to the model's input."""
        return enforce(data, self.signature)

    def predict(self, data: Any) -> Any:
        """The model's predictions for `data` (checked against the signature first).

        Raises:
            ModelInputError: missing or extra columns, or values of the wrong type.
        """
        return self.flavor.predict(self.native, self.prepare(data))

    def unwrap_python_model(self) -> Any:
        """The original object (as MLflow's pyfunc spells it); same as ``native``."""
        return self.native


def load_model(uri: str, *, native: bool = False, store: RunStore | str | None = None) -> Any:
    """Load the model at `uri` (``runs:/RUN_ID/NAME``, ``models:/NAME/VERSION``,
    ``models:/NAME@ALIAS``, ``models:/NAME/latest``).

    Returns a PyFuncModel whose ``predict`` enforces the signature, or with ``native=True``
    the original object (the estimator, booster or module itself).

    Raises:
        ModelURIError: the URI is malformed.
        ModelNotFoundError: no such run model, registered model, version or alias.
        ModelLoadError: a package the model needs is not installed here.
    """
    opened = store_of(store)
    where = resolve(uri, opened)
    doc = bundle.read_document(opened, opened.get_run(where.run_id), where.path)
    flavor = BY_NAME.get(doc.get("flavor", ""))
    if flavor is None:
        raise ModelLoadError(
            f"{uri}: flavour {doc.get('flavor')!r} is unknown to this mlops-jupyter; upgrade it"
        )
    check_requirements(uri, doc, flavor)
    files = bundle.read_files(opened, doc)
    if bundle.CODE_ARCHIVE in files:
        bundle.mount_code(files[bundle.CODE_ARCHIVE], doc["files"][bundle.CODE_ARCHIVE])
    try:
        model = flavor.load(files, doc.get("flavor_info") or {})
    except ModuleNotFoundError as err:
        raise ModelLoadError(
            f"{uri}: loading needs the module {err.name!r}, which is not installed here; "
            f"install the model's requirements: {' '.join(doc.get('requirements', []))}"
        ) from err
    return model if native else PyFuncModel(model, doc, flavor, uri)


def check_requirements(uri: str, doc: dict[str, Any], flavor: Flavor) -> None:
    """Refuse when a flavour package is missing; warn once when installed versions differ."""
    differ = []
    for requirement in doc.get("requirements", []):
        name, _, wanted = requirement.partition("==")
        try:
            have = version(name)
        except PackageNotFoundError:
            if name in flavor.packages:
                raise ModelLoadError(
                    f"{uri}: the model is a {flavor.name} model and needs {requirement}, which "
                    f"is not installed here; run: pip install '{requirement}'"
                ) from None
            differ.append(f"{requirement} (not installed)")
            continue
        if wanted and have != wanted:
            differ.append(f"{requirement} (installed: {have})")
    if differ:
        warnings.warn(
            f"mlops-jupyter: {uri} was saved with other package versions: {', '.join(differ)}; "
            "predictions may differ",
            RuntimeWarning,
            stacklevel=3,
        )
