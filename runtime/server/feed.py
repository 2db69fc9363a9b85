"""``GET /api/v1/events``: a server-sent event stream of execution-level changes.

    GET /api/v1/events     text/event-stream: ": ready" once the stream follows the journal,
                           then "event: execution / data: <summary with counts>" for each
                           execution a commit changed (status or counts), ": ping" when quiet;
                           406 not_acceptable without "Accept: text/event-stream" (the
                           stream never ends: a client must ask for it)

The console's executions list follows it, so an execution started by anyone appears without
a reload. The stream is woken by the journal's commits (:meth:`LogCache.follow_all`), never
by polling; the commits that come while it answers, and for :data:`ROUND` seconds after
the previous round, are coalesced into its next round, so a busy execution (a 10,000-item
fan-out commits hundreds of times a second) costs at most a few summaries a second.

Misuse: it has no history (no ``Last-Event-ID``): a client that reconnects reads the list
again (``GET /api/v1/executions``) after the new stream's ``: ready``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .errors import ApiError
from .events import SSE, dump
from .state import ServerState
from .views import is_final, summary_json

__all__ = ["ROUND", "feed"]

ROUND = 0.25
"""The least time between two rounds of summaries on one stream (seconds)."""


async def feed(request: Request) -> Response:
    """GET /api/v1/events."""
    state: ServerState = request.app.state.troupe
    if SSE not in request.headers.get("accept", ""):
        raise ApiError(406, "not_acceptable", "GET /api/v1/events is a server-sent event "
                       "stream: send 'Accept: text/event-stream'", accept=SSE)
    return StreamingResponse(_stream(state), media_type=SSE,
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _stream(state: ServerState) -> AsyncIterator[str]:
    """Summaries of the executions each round of commits changed, until the client goes."""
    pending: set[str] = set()
    woken = asyncio.Event()

    def committed(executions: frozenset[str]) -> None:
        pending.update(executions)
        woken.set()

    stop = state.logs.follow_all(committed)
    loop = asyncio.get_running_loop()
    last = 0.0
    sent: dict[str, str] = {}
    """The last summary sent of each execution not yet final (to send only changes)."""
    try:
        yield ": ready\n\n"
        while True:
            try:
                await asyncio.wait_for(woken.wait(), state.settings.keepalive)
            except TimeoutError:
                yield ": ping\n\n"
                continue
            await asyncio.sleep(max(0.0, last + ROUND - loop.time()))  # gather more commits
            last = loop.time()
            woken.clear()
            batch = sorted(pending)
            pending.clear()
            for execution_id in batch:
                row = await run_in_threadpool(state.engine.record, execution_id)
                if row is None:
                    continue
                summary = summary_json(row, await state.logs.refreshed(row))
                data = dump(summary)
                if sent.get(execution_id) == data:
                    continue
                if is_final(summary["status"]):
                    sent.pop(execution_id, None)
                else:
                    sent[execution_id] = data
                yield f"event: execution\ndata: {data}\n\n"
    finally:
        stop()
