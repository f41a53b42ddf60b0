"""The registry as JSON-ready documents: what `models show`, the server and the Models view show
(versions with their run, flavour, signature and what the gate says)."""

from __future__ import annotations

from typing import Any

from mlops_jupyter.models import bundle, gate
from mlops_jupyter.models.signature import describe
from mlops_jupyter.store import RunStore
from mlops_jupyter.store.model_records import ModelVersionRecord


def version_detail(store: RunStore, version: ModelVersionRecord) -> dict[str, Any]:
    """One version with its run, its model document's essentials and the gate's objections."""
    data = version.to_dict()
    try:
        record = store.get_run(version.run_id)
        doc = bundle.read_document(store, record, version.model_path)
        data.update(run_name=record.name, run_status=record.status)
        data.update(refusals=gate.refusals(store, version))
    except LookupError:  # the run was deleted: the version stays listed, unloadable
        doc = {}
        data.update(run_name=None, run_status="deleted", refusals=["its run was deleted"])
    data.update(
        flavor=doc.get("flavor"),
        model_class=doc.get("model_class"),
        signature=doc.get("signature"),
        signature_text=describe(doc.get("signature")),
        requirements=doc.get("requirements", []),
        cell=doc.get("cell") or {},
        input_example=doc.get("input_example"),
    )
    return data


def model_detail(store: RunStore, name: str) -> dict[str, Any]:
    """A registered model, all its versions (newest first) and its alias moves."""
    model = store.get_registered_model(name)
    return {
        "model": model.to_dict(),
        "versions": [version_detail(store, v) for v in store.list_model_versions(name)],
        "alias_history": [e.to_dict() for e in store.alias_events(name)],
    }


def run_models(store: RunStore, run_id: str) -> list[dict[str, Any]]:
    """The models a run logged, each with its URI and the registered versions made from it."""
    record = store.get_run(run_id)
    versions = store.model_versions_of_run(record.run_id)
    out = []
    for name in bundle.models_of(record):
        doc = bundle.read_document(store, record, name)
        out.append(
            {
                "name": name,
                "uri": f"runs:/{record.run_id}/{name}",
                "flavor": doc.get("flavor"),
                "model_class": doc.get("model_class"),
                "signature_text": describe(doc.get("signature")),
                "registered": [
                    {"name": v.name, "version": v.version} for v in versions if v.model_path == name
                ],
            }
        )
    return out
