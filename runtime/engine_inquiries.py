"""The inquiry methods of :class:`runtime.engine.Engine` (:mod:`runtime.inquiries`).

:class:`EngineInquiries` is mixed into the engine. It lists and shows inquiries from the
store's index (:mod:`runtime.inquiry_rows`: every inquiry of every execution the store
holds, of any status, after a restart too; bounded and paged by cursor, oldest first, with
no journal read), and answers them through the engine's
:class:`actors.inquiry_book.InquiryBook` (``_inquiries``: the live ones, with the
supervisor that asked). An answer to an inquiry that is not live here is refused at once:
``InquiryClosed`` (closed, or its execution ended) or ``InquiryNotLive`` (its execution is
unfinished in the store but not running in this engine).

Misuse: only :class:`~runtime.engine.Engine` inherits it; the book is the engine's own.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from runtime.inquiries import Inquiry, InquiryClosed, InquiryNotFound, InquiryNotLive
from runtime.inquiry_rows import inquiry_of
from runtime.records import record
from runtime.store import UNFINISHED, InquiryPage, Store

__all__ = ["EngineInquiries", "Inquiries"]

LIMIT = 100
"""Inquiries in one page unless the caller says otherwise."""

LISTING = 10.0
"""Most seconds an answer waits for its inquiry to be listed again, when the tree it
belongs to is being recovered by this engine (its sub-workflows start one after another)."""


@record
class Inquiries:
    """One page of inquiries, oldest first; ``cursor`` fetches the next one (None: last)."""

    items: tuple[Inquiry, ...]
    cursor: str | None = None


class EngineInquiries:
    """``inquiries``, ``inquiry_page``, ``inquiry`` and ``respond`` (mixed into the engine)."""

    _inquiries: Any
    _live: dict[str, Any]

    if TYPE_CHECKING:
        def _ask(self, call: Callable[[Store], Any]) -> Any:
            """Run ``call`` on the store in the journal's thread (the engine's own)."""

    def inquiries(self, status: str | None = "pending", execution_id: str | None = None,
                  limit: int = LIMIT) -> builtins.list[Inquiry]:
        """The first ``limit`` inquiries with ``status`` (None: any) of the executions the
        store holds (``execution_id``: of that one and its sub-workflows), oldest first."""
        return list(self.inquiry_page(status, execution_id, limit=limit).items)

    def inquiry_page(self, status: str | None = "pending", execution_id: str | None = None,
                     *, limit: int = LIMIT, cursor: str | None = None) -> Inquiries:
        """A page of :meth:`inquiries` after ``cursor`` (``ValueError``: not a cursor)."""
        page: InquiryPage = self._ask(lambda store: store.inquiries(
            status=status, execution=execution_id, limit=limit, cursor=cursor))
        return Inquiries(items=tuple(inquiry_of(row) for row in page.inquiries),
                         cursor=page.cursor)

    def inquiry(self, inquiry_id: str) -> Inquiry:
        """One inquiry (``InquiryNotFound`` if the store has none)."""
        row = self._ask(lambda store: store.inquiry(inquiry_id))
        if row is not None:
            return inquiry_of(row)
        found: Inquiry = self._inquiries.get(inquiry_id)  # opened, its commit on its way
        return found

    def respond(self, inquiry_id: str, response: Any) -> Inquiry:
        """Answer an inquiry; the answered inquiry once the answer is durable
        (``InquiryNotFound``; ``InquiryClosed``: answered, timed out, canceled, or its
        execution ended; ``InquiryNotLive``: its execution is not running here;
        ``InvalidResponse``: the schema's errors)."""
        try:
            answered: Inquiry = self._inquiries.respond(inquiry_id, response)
        except InquiryNotFound:
            if not self._refuse(inquiry_id):
                raise
            answered = self._inquiries.respond(inquiry_id, response)  # listed meanwhile
        return answered

    def _runs_here(self, execution: Any) -> bool:
        """Tell whether the tree of ``execution`` (a stored row) runs in this engine (its
        root's handle is live and not done)."""
        while execution is not None and execution.parent is not None:
            execution = self._ask(partial(_stored_execution, execution.parent))
        live = self._live.get(execution.id) if execution is not None else None
        return live is not None and not live.done()

    def _refuse(self, inquiry_id: str) -> bool:
        """Raise why an inquiry the book does not hold takes no answer; True when it is
        listed after all (its tree is being recovered here: its sub-workflow's supervisor
        started meanwhile), False when the store has no such inquiry either."""
        row = self._ask(lambda store: store.inquiry(inquiry_id))
        if row is None:
            return False
        if row.status != "pending":
            raise InquiryClosed(inquiry_id, row.status)
        execution = self._ask(lambda store: store.execution(row.execution_id))
        status = execution.status if execution is not None else "purged"
        if status in UNFINISHED:
            if self._runs_here(execution) and self._inquiries.listed(inquiry_id, LISTING):
                return True
            raise InquiryNotLive(inquiry_id, row.execution_id, status)
        raise InquiryClosed(inquiry_id, row.status, execution_status=status,
                            reason=f"its execution {row.execution_id} ended ({status})")


def _stored_execution(execution_id: str, store: Store) -> Any:
    """The stored row of ``execution_id`` (None: the store has none)."""
    return store.execution(execution_id)
