"""`models serve`: a tornado HTTP server speaking MLflow's scoring protocol for one model.

tornado, not starlette + uvicorn: it is already installed with jupyter_server (no new
dependency), its HTTP server is mature and single-threaded, which suits scoring (the model's
``predict`` holds the GIL anyway, so an async framework would add layers and no throughput).
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from typing import Any

from tornado import httpserver, httputil, web
from tornado.netutil import bind_sockets
from tornado.routing import AnyMatches, Matcher, Rule, RuleRouter

from mlops_jupyter.errors import ModelInputError
from mlops_jupyter.models.fast_scoring import Scorer
from mlops_jupyter.models.loading import PyFuncModel
from mlops_jupyter.models.scoring import error_json, parse_request, predictions_json
from mlops_jupyter.models.serve_auth import (
    OPEN_ROUTES,
    auth_failure,
    checked_token,
    require_token_off_loopback,
)
from mlops_jupyter.version import __version__


class _Base(web.RequestHandler):
    def initialize(self, scorer: Scorer, token: str | None = None) -> None:
        self.scorer, self.token = scorer, token

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json")

    def prepare(self) -> None:
        self.refused()

    def refused(self) -> bool:
        """With a token, every request but GET /ping and /health must carry it: else answer
        401 (none) or 403 (wrong) as MLflow's JSON error and return True."""
        if self.token is None or (
            self.request.method == "GET" and self.request.path in OPEN_ROUTES
        ):
            return False
        failure = auth_failure(self.request.headers.get("Authorization"), self.token)
        if failure is None:
            return False
        status, code, message = failure
        self.set_status(status)
        if status == 401:
            self.set_header("WWW-Authenticate", 'Bearer realm="mlops-jupyter"')
        self.finish(error_json(message, code=code))
        return True

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Every error as MLflow's JSON, never tornado's HTML page."""
        self.finish(
            error_json(self._reason, code="BAD_REQUEST" if status_code < 500 else "INTERNAL_ERROR")
        )


class PingHandler(_Base):
    """GET /ping and /health: 200 while the model is loaded."""

    def get(self) -> None:
        self.set_header("Content-Type", "text/plain")
        self.finish("\n")


class VersionHandler(_Base):
    """GET /version: the serving software's version, as text."""

    def get(self) -> None:
        self.set_header("Content-Type", "text/plain")
        self.finish(__version__)


class InvocationsHandler(_Base):
    """POST /invocations: predictions for the rows in the body; 400 naming the column."""

    def post(self) -> None:
        status, answer = score(self.scorer, self.request.body, self.request.headers)
        self.set_status(status)
        self.finish(answer)


def score(scorer: Scorer, body: bytes, headers: httputil.HTTPHeaders) -> tuple[int, bytes]:
    """The status and JSON answer for one POST /invocations: predictions, or a 400 naming the
    column, or a 500 when the model itself fails (the server keeps serving either way)."""
    try:
        fast = scorer.decode if scorer.fast else None
        predictions = scorer.predict(parse_request(body, headers.get("Content-Type"), fast))
    except ModelInputError as err:
        return 400, error_json(str(err), err.column)
    except (ValueError, TypeError, KeyError, IndexError) as err:
        return 400, error_json(
            f"the model could not predict this input: {type(err).__name__}: {err}"
        )
    except Exception as err:  # the model itself broke: this request fails, the server stays
        return 500, error_json(
            f"the model failed: {type(err).__name__}: {err}", code="INTERNAL_ERROR"
        )
    return 200, predictions_json(predictions)


class _Scoring(Matcher):
    """POST /invocations that needs no refusal: answered below tornado's web layer (no
    RequestHandler per request, about 130 us less); everything else goes to the application."""

    def __init__(self, token: str | None) -> None:
        self.token = token

    def match(self, request: httputil.HTTPServerRequest) -> dict[str, Any] | None:
        if request.method != "POST" or request.path != "/invocations":
            return None
        refused = self.token is not None and auth_failure(
            request.headers.get("Authorization"), self.token
        )
        return None if refused else {}  # refused: the application answers 401 or 403


def _answer(scorer: Scorer, request: httputil.HTTPServerRequest) -> None:
    status, answer = score(scorer, request.body, request.headers)
    headers = httputil.HTTPHeaders(
        {
            "Content-Type": "application/json",
            "Content-Length": str(len(answer)),
            "Date": httputil.format_timestamp(time.time()),
        }
    )
    reason = httputil.responses.get(status, "Unknown")
    assert request.connection is not None
    request.connection.write_headers(
        httputil.ResponseStartLine("HTTP/1.1", status, reason), headers, answer
    )
    request.connection.finish()


def make_app(model: PyFuncModel, token: str | None = None) -> RuleRouter:
    """The scoring server's router for `model`; with `token`, requests must carry it."""
    scorer = Scorer(model)
    args = {"scorer": scorer, "token": token}
    app = web.Application(
        [
            (r"/ping", PingHandler, args),
            (r"/health", PingHandler, args),
            (r"/version", VersionHandler, args),
            (r"/invocations", InvocationsHandler, args),
        ],
        default_handler_class=_NotFound,
        default_handler_args=args,
    )
    return RuleRouter(
        [Rule(_Scoring(token), functools.partial(_answer, scorer)), Rule(AnyMatches(), app)]
    )


class _NotFound(_Base):
    def prepare(self) -> None:
        if self.refused():  # unauthenticated callers learn nothing, not even the routes
            return
        self.set_status(404)
        self.finish(
            error_json(
                f"no route {self.request.path!r}: use GET /ping, /health, /version or "
                "POST /invocations",
                code="NOT_FOUND",
            )
        )


class ModelServer:
    """A scoring server on its own thread and event loop (for `serve` and for tests).

    Without `token` it binds only a loopback address (InvalidArgumentError otherwise)."""

    def __init__(
        self,
        model: PyFuncModel,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
    ) -> None:
        token = checked_token(token)
        require_token_off_loopback(host, token)
        self.model, self.host, self.token = model, host, token
        self.sockets = bind_sockets(port, host)
        self.port = int(self.sockets[0].getsockname()[1])
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        """The server's base URL."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _serve(self, ready: threading.Event) -> None:
        async def main() -> None:
            server = httpserver.HTTPServer(make_app(self.model, self.token))
            server.add_sockets(self.sockets)
            self._loop = asyncio.get_running_loop()
            stop = asyncio.Event()
            self._stop_event = stop
            ready.set()
            await stop.wait()
            server.stop()
            await server.close_all_connections()

        asyncio.run(main())
        self._stopped.set()

    def start(self) -> ModelServer:
        """Serve in a background thread; returns once the server accepts connections."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (Ctrl-C)."""
        self.start()
        try:
            while not self._stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            self.stop()

    def stop(self) -> None:
        """Stop serving and close the sockets."""
        if self._loop is not None and not self._stopped.is_set():
            self._loop.call_soon_threadsafe(self._stop_event.set)
            self._stopped.wait(10)
