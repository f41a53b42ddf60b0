"""Handlers of the Models view: registered models, one model's versions and alias moves, the
promote action (through the gate), and the models a run logged."""

from __future__ import annotations

from urllib.parse import unquote

from tornado import web

from mlops_jupyter.models import panel_data
from mlops_jupyter.models.registry import delete_model_alias, set_model_alias
from mlops_jupyter.server import payloads
from mlops_jupyter.server.base_handler import BaseHandler


class ModelsHandler(BaseHandler):
    """GET /models: every registered model with its latest version and aliases."""

    @web.authenticated
    def get(self) -> None:
        found = self.ctx.store.list_registered_models()
        self.write_json({"models": [m.to_dict() for m in found]})


class ModelHandler(BaseHandler):
    """GET /models/{name}: the model, its versions (run, flavour, signature, what the gate
    says) and its alias moves."""

    @web.authenticated
    def get(self, name: str) -> None:
        self.write_json(panel_data.model_detail(self.ctx.store, unquote(name)))


class ModelAliasHandler(BaseHandler):
    """POST /models/{name}/aliases {"alias", "version", "force"}: move an alias through the
    gate (409 with the reasons when it refuses); DELETE /models/{name}/aliases/{alias}."""

    @web.authenticated
    def post(self, name: str) -> None:
        body = payloads.parse_body(
            self.request.body,
            {"alias": str, "version": int, "force": bool},
            ["alias", "version"],
        )
        name = unquote(name)
        event = set_model_alias(
            name,
            body["alias"],
            body["version"],
            force=bool(body.get("force")),
            store=self.ctx.store,
        )
        self.write_json({"event": event.to_dict(), **panel_data.model_detail(self.ctx.store, name)})

    @web.authenticated
    def delete(self, name: str, alias: str) -> None:
        name = unquote(name)
        delete_model_alias(name, unquote(alias), store=self.ctx.store)
        self.write_json(panel_data.model_detail(self.ctx.store, name))


class RunModelsHandler(BaseHandler):
    """GET /runs/{run_id}/models: the models a run logged, with their registered versions."""

    @web.authenticated
    def get(self, run_id: str) -> None:
        self.write_json({"models": panel_data.run_models(self.ctx.store, run_id)})
