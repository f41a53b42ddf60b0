"""The REST routes under /mlops-jupyter/: the one table of patterns and their handlers."""

from __future__ import annotations

from tornado import web

from mlops_jupyter.server import actions
from mlops_jupyter.server.action_handlers import JobHandler, action_handler
from mlops_jupyter.server.artifact_handlers import (
    ArtifactHandler,
    ExecutedNotebookHandler,
    TablePreviewHandler,
)
from mlops_jupyter.server.base_handler import BaseHandler
from mlops_jupyter.server.csv_handlers import RunsCsvHandler
from mlops_jupyter.server.diff_handlers import DiffHandler
from mlops_jupyter.server.importance_handlers import ImportanceHandler
from mlops_jupyter.server.key_handlers import KeysHandler
from mlops_jupyter.server.model_handlers import (
    ModelAliasHandler,
    ModelHandler,
    ModelsHandler,
    RunModelsHandler,
)
from mlops_jupyter.server.monitoring_handlers import DriftHandler
from mlops_jupyter.server.run_handlers import (
    CompareHandler,
    MetricsHandler,
    ParametersHandler,
    RunHandler,
    RunsHandler,
    RunTagsHandler,
)
from mlops_jupyter.server.run_page_handlers import RunNoteHandler, RunUserTagsHandler
from mlops_jupyter.server.trash_handlers import RestoreHandler, TrashHandler

NAMESPACE = "mlops-jupyter"
RUN_ID = r"(?P<run_id>[0-9a-f]{32})"
SHA256 = r"(?P<sha256>[0-9a-f]{64})"
MODEL = r"(?P<name>[A-Za-z0-9][A-Za-z0-9_.%\- ]*)"  # a registered model name, URL-quoted


class CapabilitiesHandler(BaseHandler):
    """GET /capabilities: the version and the actions (the panel's first call: a 404 here means
    the server extension is not enabled)."""

    @web.authenticated
    def get(self) -> None:
        from mlops_jupyter.version import __version__

        self.write_json(
            {
                "version": __version__,
                "store_url": self.ctx.store_url,
                "actions": dict.fromkeys(actions.ACTIONS, True),
            }
        )


class NotFoundHandler(BaseHandler):
    """Anything else under /mlops-jupyter/: a JSON 404 (ids that do not match their pattern land
    here)."""

    @web.authenticated
    def get(self) -> None:
        raise web.HTTPError(
            404,
            f"no such mlops-jupyter route: {self.request.path!r} "
            "(run ids are 32 hex characters, artifact hashes 64)",
        )

    post = delete = get


def route_table() -> list[tuple[str, type]]:
    """(pattern, handler) pairs, relative to the server's base_url."""
    ns = f"/{NAMESPACE}"
    run = f"{ns}/runs/{RUN_ID}"
    return [
        (f"{ns}/capabilities", CapabilitiesHandler),
        (f"{ns}/runs", RunsHandler),
        (run, RunHandler),
        (f"{run}/tags", RunTagsHandler),
        (f"{run}/metrics", MetricsHandler),
        (f"{run}/parameters", ParametersHandler),
        (f"{run}/artifacts/{SHA256}", ArtifactHandler),
        (f"{run}/artifacts/{SHA256}/preview", TablePreviewHandler),
        (f"{run}/artifacts/{SHA256}/copy", ExecutedNotebookHandler),
        (f"{run}/reruns", action_handler("rerun")),
        (f"{run}/reproductions", action_handler("reproduce")),
        (f"{ns}/sweeps", action_handler("sweep")),
        (f"{ns}/exports", action_handler("export_script")),
        (f"{ns}/conversions", action_handler("convert")),
        (f"{ns}/jobs/(?P<job_id>[0-9a-f]{{32}})", JobHandler),
        (f"{ns}/compare", CompareHandler),
        (f"{ns}/keys", KeysHandler),
        (f"{ns}/trash", TrashHandler),
        (f"{ns}/trash/restore", RestoreHandler),
        (f"{ns}/importance", ImportanceHandler),
        (f"{ns}/runs.csv", RunsCsvHandler),
        (f"{ns}/diff", DiffHandler),
        (f"{run}/drift", DriftHandler),
        (f"{ns}/models", ModelsHandler),
        (f"{ns}/models/{MODEL}", ModelHandler),
        (f"{ns}/models/{MODEL}/aliases", ModelAliasHandler),
        (f"{ns}/models/{MODEL}/aliases/(?P<alias>[A-Za-z][A-Za-z0-9_%-]*)", ModelAliasHandler),
        (f"{run}/models", RunModelsHandler),
        (f"{run}/note", RunNoteHandler),
        (f"{run}/user-tags", RunUserTagsHandler),
        (f"{ns}/.*", NotFoundHandler),
    ]
