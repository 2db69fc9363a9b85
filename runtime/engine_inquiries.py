"""The inquiry methods of :class:`runtime.engine.Engine` (:mod:`runtime.inquiries`).

:class:`EngineInquiries` is mixed into the engine: it lists the inquiries of the executions
the engine runs or recovered, and answers them, through the engine's
:class:`actors.inquiry_book.InquiryBook` (``_inquiries``, which the engine creates and hands
to every execution it starts or recovers).

Misuse: only :class:`~runtime.engine.Engine` inherits it; the book is the engine's own.
"""

from __future__ import annotations

import builtins
from typing import Any

from runtime.inquiries import Inquiry

__all__ = ["EngineInquiries"]


class EngineInquiries:
    """``inquiries``, ``inquiry`` and ``respond`` (mixed into the engine)."""

    _inquiries: Any

    def inquiries(self, status: str | None = "pending",
                  execution_id: str | None = None) -> builtins.list[Inquiry]:
        """The inquiries with ``status`` (None: any) of the executions this engine runs or
        recovered (``execution_id``: of that one and its sub-workflows), oldest first."""
        found: builtins.list[Inquiry] = self._inquiries.list(status, execution_id)
        return found

    def inquiry(self, inquiry_id: str) -> Inquiry:
        """One inquiry (``InquiryNotFound`` if there is none)."""
        found: Inquiry = self._inquiries.get(inquiry_id)
        return found

    def respond(self, inquiry_id: str, response: Any) -> Inquiry:
        """Answer an inquiry; the answered inquiry once the answer is durable
        (``InquiryNotFound``, ``InquiryClosed``, ``InvalidResponse``: the schema's errors)."""
        answered: Inquiry = self._inquiries.respond(inquiry_id, response)
        return answered
