"""An inquiry as the store's index keeps it (:class:`runtime.store.InquiryRow`), and back.

The row's body is the inquiry as it is shown (:func:`runtime.inquiries.inquiry_json`, its
secrets masked already) with the fields the engine needs besides (``run``, ``ask``,
``ttl``), so a listing or a lookup reads one row and replays no journal.

Misuse: index only an inquiry that was masked for showing (the body is what the API
answers); never take a row's body for the workflow's data (the journal holds the real
answer).
"""

from __future__ import annotations

import json
from typing import Any

from runtime.inquiries import Inquiry, InquiryStatus, inquiry_json
from runtime.store import InquiryRow
from runtime.values import freeze

__all__ = ["inquiry_of", "inquiry_row"]


def inquiry_row(inquiry: Inquiry, at: float) -> InquiryRow:
    """The index row of ``inquiry`` (already masked), as of ``at``."""
    body = {**inquiry_json(inquiry), "run": inquiry.run, "ask": inquiry.ask,
            "ttl": inquiry.ttl}
    return InquiryRow(id=inquiry.id, execution_id=inquiry.execution_id,
                      status=str(inquiry.status), opened_at=inquiry.opened_at,
                      updated_at=at, body=json.dumps(body, sort_keys=True, default=str))


def inquiry_of(row: InquiryRow) -> Inquiry:
    """The inquiry an index row holds."""
    body: dict[str, Any] = json.loads(row.body)
    return Inquiry(
        id=row.id, execution_id=row.execution_id, task=body["task"], route=body["route"],
        run=body["run"], status=InquiryStatus(row.status), prompt=body.get("prompt"),
        schema=freeze(body.get("schema")), assigned_to=tuple(body.get("assigned_to") or ()),
        users=tuple(body.get("users") or ()), roles=tuple(body.get("roles") or ()),
        response=freeze(body.get("response")), opened_at=row.opened_at,
        answered_at=body.get("answered_at"), expires_at=body.get("expires_at"),
        ask=bool(body.get("ask")), ttl=body.get("ttl"))
