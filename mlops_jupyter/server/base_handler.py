"""The base of every mlops-jupyter handler: authenticated JSON, and the only place where
exceptions become HTTP errors."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web

from mlops_jupyter.errors import MlopsJupyterError
from mlops_jupyter.server.status import status_for

if TYPE_CHECKING:
    from mlops_jupyter.server.context import ServerContext


class BaseHandler(ExtensionHandlerMixin, APIHandler):
    """Authenticated JSON handler; the only place where exceptions become HTTP errors."""

    @property
    def ctx(self) -> ServerContext:
        return self.settings["mlops_jupyter"]

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, default=str))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        status = status_for(exc) if exc is not None else status_code
        if isinstance(exc, web.HTTPError):
            message = exc.log_message or exc.reason or self._reason
        elif isinstance(exc, MlopsJupyterError) or (exc is not None and status < 500):
            message = str(exc)
        elif exc is not None:
            message = (
                f"internal error in mlops-jupyter ({type(exc).__name__}: {exc}); see the server log"
            )
        else:
            message = self._reason
        self.clear_header("Content-Disposition")
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(
            json.dumps(
                {"message": message, "error": type(exc).__name__ if exc else None, "status": status}
            )
        )

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        status = status_for(value)
        if status < 500:
            self.log.warning(
                "%s %s -> %d: %s", self.request.method, self.request.path, status, value
            )
        else:
            super().log_exception(typ, value, tb)

    def query(self, name: str) -> str | None:
        return self.get_query_argument(name, None)
