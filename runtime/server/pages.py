"""The web console's files: ``/`` (its page) and ``/console/...`` (its modules and style).

The console (``docs/console.md``) is plain HTML, CSS and JavaScript ES modules shipped as
package data in ``runtime/server/console/`` (``setup.cfg`` ``package_data``): no CDN, no
build step. Its files need no token (they hold no data; :mod:`runtime.server.auth` lets
``GET /`` and ``GET /console/...`` through); every API call the page makes sends the token.

``GET /console/features.json`` tells the page whether the daemon wants a token, and which
optional parts this daemon has, from
the app's own routes and files: the renderers of the views (``graph.js``, ``actors.js``,
``timeline.js``) and the endpoints of rerun and inquiries, so the page shows a control only
when its endpoint answers, and never asks for a file or route that is not there.

Misuse: the page is served with a Content-Security-Policy of ``'self'`` only: never add a
script or style from another origin, nor an inline ``<script>``.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .wire import json_response

__all__ = ["CONSOLE", "FEATURES", "MODULES", "console_routes"]

CONSOLE = Path(__file__).parent / "console"
"""The console's files (package data)."""

MODULES = ("graph", "actors", "timeline")
"""The renderers' modules, ``console/NAME.js`` (issue 16's views)."""

FEATURES = {
    "rerun": ("POST", "/api/v1/executions/{execution_id}/rerun"),
    "inquiries": ("GET", "/api/v1/inquiries"),
    "respond": ("POST", "/api/v1/inquiries/{inquiry_id}/respond"),
    "graph": ("GET", "/api/v1/executions/{execution_id}/graph"),
    "actors": ("GET", "/api/v1/executions/{execution_id}/actors"),
    "timeline": ("GET", "/api/v1/executions/{execution_id}/timeline"),
}
"""Optional endpoint -> (method, route path) that the app has when it offers it."""

POLICY = ("default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
          "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; "
          "frame-ancestors 'none'")


async def index(request: Request) -> Response:
    """GET /: the console's page."""
    return FileResponse(CONSOLE / "index.html", headers={
        "Content-Security-Policy": POLICY, "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


async def features(request: Request) -> Response:
    """GET /console/features.json: ``{"token_required": bool, "page_limit": int,
    "traces": bool, "modules": {name: bool}, "routes": {name: bool}}`` (``traces``: whether
    the daemon writes traces, which the timeline is drawn from)."""
    settings = request.app.state.troupe.settings
    have = set()
    for route in request.app.routes:
        for method in getattr(route, "methods", None) or ():
            have.add((method, getattr(route, "path", "")))
    return json_response({
        "token_required": settings.token is not None, "page_limit": settings.page_limit,
        "traces": settings.trace_dir is not None,
        "modules": {name: (CONSOLE / f"{name}.js").is_file() for name in MODULES},
        "routes": {name: key in have for name, key in FEATURES.items()}})


def console_routes() -> list[BaseRoute]:
    """The console's routes (the app adds them after the API's)."""
    return [Route("/", index, methods=["GET"]),
            Route("/console/features.json", features, methods=["GET"]),
            Mount("/console", StaticFiles(directory=CONSOLE, follow_symlink=False),
                  name="console")]
