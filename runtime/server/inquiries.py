"""The inquiry endpoints: list, show, respond (:mod:`runtime.inquiries`).

    GET  /api/v1/inquiries?status=pending&execution=ID&limit=&cursor=   {"items", "cursor"}
    GET  /api/v1/inquiries/{id}
    POST /api/v1/inquiries/{id}/respond   {"response": {...}}   200, 400 invalid_response,
                                   409 inquiry_closed, 409 inquiry_not_live, 404

The inquiries are those the daemon's store holds, of every status (its index: a restart
keeps them all; pages of ``limit``, oldest first, the next one by ``cursor``); an answer to
one whose execution ended is a 409 ``inquiry_closed``, to one whose execution is unfinished
but not running here a 409 ``inquiry_not_live`` (both with a ``reason``); every one is
shown as :func:`runtime.inquiries.inquiry_json` with its times in RFC 3339, as every time
of the API (:func:`inquiry_view`).

Misuse: the engine's calls block (``respond`` waits until the answer is durable): run them
in the thread pool, never on the event loop.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from runtime.inquiries import (
    Inquiry,
    InquiryClosed,
    InquiryNotFound,
    InquiryNotLive,
    InquiryStatus,
    InvalidResponse,
    inquiry_json,
)

from .errors import ApiError
from .state import ServerState
from .views import rfc3339
from .wire import json_response, query_cursor, query_int, read_json

__all__ = ["inquiry_view", "list_inquiries", "respond", "show_inquiry"]

_TIMES = ("opened_at", "answered_at", "expires_at")


def inquiry_view(inquiry: Inquiry) -> dict[str, Any]:
    """The inquiry's JSON in the API (times as RFC 3339 strings)."""
    body = inquiry_json(inquiry)
    for key in _TIMES:
        body[key] = rfc3339(body[key])
    return body


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.troupe
    return state


async def list_inquiries(request: Request) -> Response:
    """GET /api/v1/inquiries."""
    state = _state(request)
    query = request.query_params
    status = query.get("status", "pending") or None
    if status is not None and status not in {s.value for s in InquiryStatus}:
        raise ApiError(400, "bad_request", f"unknown status {status!r}", parameter="status",
                       allowed=[s.value for s in InquiryStatus])
    limit = query_int(request, "limit", state.settings.page_limit, 1, state.settings.page_limit)
    cursor = query_cursor(request)
    page = await run_in_threadpool(lambda: state.engine.inquiry_page(
        status, query.get("execution") or None, limit=limit, cursor=cursor))
    return json_response({"items": [inquiry_view(i) for i in page.items],
                          "cursor": page.cursor})


async def show_inquiry(request: Request) -> Response:
    """GET /api/v1/inquiries/{id}."""
    state = _state(request)
    inquiry_id = request.path_params["inquiry_id"]
    try:
        inquiry = await run_in_threadpool(state.engine.inquiry, inquiry_id)
    except InquiryNotFound:
        raise _not_found(inquiry_id) from None
    return json_response(inquiry_view(inquiry))


async def respond(request: Request) -> Response:
    """POST /api/v1/inquiries/{id}/respond."""
    state = _state(request)
    inquiry_id = request.path_params["inquiry_id"]
    body = await read_json(request, state.settings.max_body_bytes)
    response = body.get("response")
    if not isinstance(response, dict):
        raise ApiError(400, "bad_request", "response must be a JSON object", field="response")
    try:
        answered = await run_in_threadpool(state.engine.respond, inquiry_id, response)
    except InquiryNotFound:
        raise _not_found(inquiry_id) from None
    except InquiryClosed as exc:
        raise ApiError(409, "inquiry_closed", exc.reason or f"the inquiry is {exc.status}",
                       status=exc.status, reason=exc.reason,
                       execution_status=exc.execution_status) from None
    except InquiryNotLive as exc:
        raise ApiError(409, "inquiry_not_live", exc.reason, status="pending",
                       reason=exc.reason, execution_id=exc.execution_id,
                       execution_status=exc.execution_status) from None
    except InvalidResponse as exc:
        raise ApiError(400, "invalid_response", "the response does not satisfy the "
                       "inquiry's schema", errors=list(exc.errors)) from None
    return json_response(inquiry_view(answered))


def _not_found(inquiry_id: str) -> ApiError:
    return ApiError(404, "not_found", f"no inquiry {inquiry_id!r}", inquiry_id=inquiry_id)
