"""``create_app(engine, settings)``: the daemon's HTTP JSON API as a Starlette app.

Starlette (on uvicorn) because it is a small, well-kept ASGI toolkit: routing, requests,
streaming responses (server-sent events) and a test client on httpx, without the model
layer of a bigger framework; the API's JSON shapes are written by hand in
:mod:`runtime.server.views` and described by hand in :mod:`runtime.server.openapi`.

Every error is ``{"error": {"code", "message", "details", ...}}``
(:mod:`runtime.server.errors`), also for unknown routes (404), wrong methods (405) and bugs
(500, logged). The app follows the engine's journal from creation; its lifespan's end stops
that (and the metrics' observers).

Misuse: one app per engine; the daemon owns the engine (the app never closes it) and sets
``app.state.troupe.ready`` once recovery finished.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runtime.engine import Engine
from runtime.errors import EngineClosed, StoreError

from . import events, execution_views, executions, feed, inquiries, misc, reruns
from .auth import TokenCheck
from .errors import ApiError, error_response
from .metrics import Metrics
from .openapi import openapi
from .pages import console_routes
from .settings import ServerSettings
from .state import ServerState

__all__ = ["create_app"]

log = structlog.get_logger("troupe.server")

_CODES = {404: "not_found", 405: "method_not_allowed"}


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _CODES.get(exc.status_code, "http_error")
    return error_response(ApiError(exc.status_code, code, str(exc.detail)), exc.headers)


async def _store_error(request: Request, exc: Exception) -> Response:
    log.error("store error", path=request.url.path, error=str(exc))
    return error_response(ApiError(503, "store_unavailable", str(exc)))


async def _closing(request: Request, exc: Exception) -> Response:
    """The engine is closing (the daemon stops): its journal no longer answers."""
    return error_response(ApiError(503, "shutting_down", "the daemon is shutting down"))


async def _bug(request: Request, exc: Exception) -> Response:
    log.error("request failed", path=request.url.path, exc_info=exc)
    return error_response(ApiError(500, "internal", f"{type(exc).__name__} (a bug: logged)"))


def _inquiry_routes() -> list[Route]:
    """The inquiry endpoints (:mod:`runtime.server.inquiries`)."""
    inquiry = "/api/v1/inquiries/{inquiry_id}"
    return [Route("/api/v1/inquiries", inquiries.list_inquiries, methods=["GET"]),
            Route(inquiry, inquiries.show_inquiry, methods=["GET"]),
            Route(inquiry + "/respond", inquiries.respond, methods=["POST"])]


def create_app(engine: Engine, settings: ServerSettings) -> Starlette:
    """The HTTP API over ``engine`` (see ``docs/api.md``)."""
    state = ServerState(engine, settings)
    state.reload()
    metrics = Metrics(engine)
    state.logs.attach()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            state.logs.detach()
            metrics.close()

    execution = "/api/v1/executions/{execution_id}"
    routes = [
        Route("/healthz", misc.healthz, methods=["GET"]),
        Route("/readyz", misc.readyz, methods=["GET"]),
        Route("/metrics", misc.metrics, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/api/v1/executions", executions.create, methods=["POST"]),
        Route("/api/v1/executions", executions.list_executions, methods=["GET"]),
        Route(execution, executions.show, methods=["GET"]),
        Route(execution + "/events", events.events, methods=["GET"]),
        Route(execution + "/trace", events.trace, methods=["GET"]),
        Route(execution + "/graph", execution_views.graph, methods=["GET"]),
        Route(execution + "/actors", execution_views.actors, methods=["GET"]),
        Route(execution + "/timeline", execution_views.timeline, methods=["GET"]),
        Route(execution + "/rerun", reruns.rerun, methods=["POST"]),  # before /{control}
        Route(execution + "/{control:str}", executions.control, methods=["POST"]),
        Route("/api/v1/validate", misc.validate, methods=["POST"]),
        Route("/api/v1/workflows", misc.workflows, methods=["GET"]),
        *_inquiry_routes(),
        # the web console (issue 16): its execution feed, a workflow's text, its files
        Route("/api/v1/events", feed.feed, methods=["GET"]),
        Route("/api/v1/workflows/{name:str}", misc.workflow_text, methods=["GET"]),
        *console_routes(),
    ]
    app = Starlette(
        routes=routes, lifespan=lifespan,
        middleware=[Middleware(TokenCheck, token=settings.token)],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error,
                            StoreError: _store_error, EngineClosed: _closing,
                            Exception: _bug})
    app.state.troupe = state
    app.state.metrics = metrics
    return app
