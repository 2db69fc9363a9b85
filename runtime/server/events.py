"""An execution's progress events (JSON, or a server-sent event stream) and its trace.

    GET /api/v1/executions/{id}/events[?after=N]   {"items": [event], "finished": bool}
        with Accept: text/event-stream: "id: N / event: progress / data: {...}" for each,
        then "event: end / data: <summary>" when the execution ends; Last-Event-ID: N
        (or ?after=N) resumes after event N; ": ping" every keepalive seconds.
    GET /api/v1/executions/{id}/trace              the trace lines (application/x-ndjson)

Events come from the execution's progress log (:mod:`runtime.server.progress_log`), so
their numbers are the same for every client and after a restart. A stream waits for the
journal's commits of its execution (:mod:`runtime.server.logs`), never polls.

Misuse: a sub-workflow's events are on its own execution (``?parent=`` lists them).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from runtime.store import ExecutionRow
from runtime.values import json_default

from .errors import ApiError
from .executions import the_row
from .state import ServerState
from .views import event_json, summary_json
from .wire import json_response

__all__ = ["SSE", "dump", "events", "trace"]

SSE = "text/event-stream"


def _after(request: Request) -> int:
    text = request.headers.get("last-event-id") or request.query_params.get("after") or "0"
    try:
        return max(int(text), 0)
    except ValueError:
        raise ApiError(400, "bad_request", "Last-Event-ID / after: an event id",
                       parameter="after") from None


async def events(request: Request) -> Response:
    """GET /api/v1/executions/{id}/events."""
    state: ServerState = request.app.state.troupe
    row = await the_row(state, request.path_params["execution_id"])
    after = _after(request)
    if SSE in request.headers.get("accept", ""):
        return StreamingResponse(_stream(state, row, after), media_type=SSE,
                                 headers={"Cache-Control": "no-cache",
                                          "X-Accel-Buffering": "no"})
    log = await state.logs.refreshed(row)
    return json_response({"items": [event_json(e) for e in log.after(after)],
                          "finished": log.finished})


def dump(data: object) -> str:
    """One SSE data line: compact JSON."""
    return json.dumps(data, default=json_default, separators=(",", ":"))


async def _stream(state: ServerState, row: ExecutionRow, after: int) -> AsyncIterator[str]:
    """The event stream of one execution, from event ``after + 1`` to its end."""
    waiter = state.logs.wait_for(row.id)
    try:
        while True:
            waiter.clear()  # before the refresh: a commit during it sets it again
            log = await state.logs.refreshed(row)
            for logged in log.after(after):
                yield f"id: {logged.id}\nevent: progress\ndata: {dump(event_json(logged))}\n\n"
                after = logged.id
            if log.finished:
                final = await run_in_threadpool(state.engine.record, row.id) or row
                yield f"event: end\ndata: {dump(summary_json(final, log))}\n\n"
                return
            try:
                await asyncio.wait_for(waiter.wait(), state.settings.keepalive)
            except TimeoutError:
                yield ": ping\n\n"
    finally:
        state.logs.forget(row.id, waiter)


async def trace(request: Request) -> Response:
    """GET /api/v1/executions/{id}/trace."""
    state: ServerState = request.app.state.troupe
    row = await the_row(state, request.path_params["execution_id"])
    root = row
    while root.parent is not None:  # a sub-workflow's lines are in its top execution's file
        root = await the_row(state, root.parent)
    path = state.settings.trace_path(root.id)
    if path is None or not path.is_file():
        raise ApiError(404, "no_trace", "no trace of this execution (the daemon writes one "
                       "per execution started with a trace directory)", execution_id=row.id)
    return StreamingResponse(_lines(path, row.id if row.parent is not None else None),
                             media_type="application/x-ndjson")


async def _lines(path: Path, execution_id: str | None) -> AsyncIterator[bytes]:
    """The file's lines (only ``execution_id``'s, for a sub-workflow), in chunks."""
    with path.open("rb") as file:
        while True:
            chunk = await run_in_threadpool(file.readlines, 1 << 16)
            if not chunk:
                return
            if execution_id is not None:
                chunk = [line for line in chunk if _of(line, execution_id)]
            yield b"".join(chunk)


def _of(line: bytes, execution_id: str) -> bool:
    try:
        return bool(json.loads(line).get("execution") == execution_id)
    except ValueError:
        return False
