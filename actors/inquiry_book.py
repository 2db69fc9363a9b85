"""The inquiries of an engine (or of one in-memory execution tree), for whoever answers them.

Each supervisor reports its inquiries here as they open and close (with its own actor ref,
so an answer reaches the execution that asked, a sub-workflow's too); :meth:`respond` checks
a response against the inquiry's schema and hands it to that supervisor as an
:class:`Answer`, which the supervisor checks again against its state (the authority: two
answers racing, the first wins) and acknowledges once the answer is durable.

Callers come from any thread (the HTTP API, the CLI, the supervisors): each step is one
dict operation, atomic under the GIL, and the book never blocks a supervisor.

An answer on its way is remembered until its supervisor acknowledges it; a supervisor that
stops first (its execution finished, failed, or the engine closed) calls :meth:`ended`,
which refuses it at once.

Misuse: only supervisors call :meth:`changed` and :meth:`ended`; never read ``_entries``
from outside.
"""

from __future__ import annotations

import contextlib
import queue
from typing import Any

import pykka

from runtime.inquiries import (
    Inquiry,
    InquiryClosed,
    InquiryNotFound,
    InvalidResponse,
    schema_errors,
    with_defaults,
)
from runtime.records import record
from runtime.store.paging import within
from runtime.values import NotJson, freeze, json_data

__all__ = ["Answer", "InquiryBook"]

CLOSED_KEPT = 10_000
"""Closed inquiries kept for listing, at least (the oldest ones beyond twice as many as
this are forgotten: a long-running daemon keeps its pending ones and the recent rest)."""

RESPOND_TIMEOUT = 60.0
"""Most seconds :meth:`InquiryBook.respond` waits for the execution to take the answer."""


@record
class Answer:
    """A checked response for the inquiry run ``run`` waits on; ``reply`` gets the closed
    inquiry (or the error that refused it)."""

    inquiry: str
    run: int
    response: Any
    reply: Any
    """A ``pykka.ThreadingFuture`` the supervisor completes."""


class InquiryBook:
    """Inquiry id -> (its latest record, the supervisor that asked)."""

    __slots__ = ("_awaiting", "_entries", "_kept", "_listening", "_prune_at")

    def __init__(self, kept: int = CLOSED_KEPT) -> None:
        self._entries: dict[str, tuple[Inquiry, Any]] = {}
        self._kept = kept
        self._prune_at = 2 * kept
        self._awaiting: dict[int, tuple[str, str, pykka.ThreadingFuture[Any]]] = {}
        """id of a reply -> (execution, inquiry, reply) of the answers on their way."""
        self._listening: dict[str, list[pykka.ThreadingFuture[None]]] = {}
        """Inquiry id -> the callers of :meth:`listed` waiting for it."""

    def listed(self, inquiry_id: str, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) until the inquiry is listed, as one of a tree
        being recovered is once its sub-workflow's supervisor started; whether it is."""
        waiter: pykka.ThreadingFuture[None] = pykka.ThreadingFuture()
        waiting = self._listening.setdefault(inquiry_id, [])
        waiting.append(waiter)  # before the check: ``changed`` sets the entry, then wakes
        try:
            if inquiry_id in self._entries:
                return True
            waiter.get(timeout=timeout)
            return True
        except pykka.Timeout:
            return False
        finally:
            with contextlib.suppress(ValueError):
                waiting.remove(waiter)

    def ended(self, execution_id: str, status: str) -> None:
        """The supervisor of ``execution_id`` stopped (its workflow ``status``): an answer
        it did not acknowledge is refused at once (``InquiryClosed``), not waited for."""
        for key, (execution, inquiry_id, reply) in list(self._awaiting.items()):
            if execution != execution_id or self._awaiting.pop(key, None) is None:
                continue
            entry = self._entries.get(inquiry_id)
            known = str(entry[0].status) if entry is not None else "pending"
            refused = InquiryClosed(
                inquiry_id, known, execution_status=status,
                reason=f"its execution {execution_id} ended ({status}) before it took "
                "the answer")
            with contextlib.suppress(queue.Full):  # it acknowledged the answer before
                reply.set_exception((InquiryClosed, refused, None))

    def changed(self, inquiry: Inquiry, supervisor: Any) -> None:
        """An inquiry opened or closed (a supervisor's report)."""
        self._entries[inquiry.id] = (inquiry, supervisor)
        for waiter in self._listening.pop(inquiry.id, ()):
            with contextlib.suppress(queue.Full):
                waiter.set(None)
        if len(self._entries) > self._prune_at and not inquiry.pending:
            self._forget_oldest()

    def _forget_oldest(self) -> None:
        """Keep the pending inquiries and the ``kept`` most recently closed; the next pass
        waits until the book doubled again (amortized O(log n) per report)."""
        closed = sorted((entry[0] for entry in list(self._entries.values())
                         if not entry[0].pending), key=lambda i: i.answered_at or 0.0)
        for inquiry in closed[:max(len(closed) - self._kept, 0)]:
            self._entries.pop(inquiry.id, None)
        self._prune_at = max(2 * self._kept, 2 * len(self._entries))

    def list(self, status: str | None = "pending",
             execution_id: str | None = None) -> list[Inquiry]:
        """The inquiries with ``status`` (None: all) of ``execution_id`` and its
        sub-workflows (None: of every execution), oldest first."""
        found = []
        for inquiry, _ in list(self._entries.values()):
            if status is not None and str(inquiry.status) != status:
                continue
            if execution_id is not None and not within(inquiry.execution_id, execution_id):
                continue
            found.append(inquiry)
        return sorted(found, key=lambda i: (i.opened_at, i.id))

    def get(self, inquiry_id: str) -> Inquiry:
        """The inquiry ``inquiry_id`` (``InquiryNotFound`` if there is none)."""
        entry = self._entries.get(inquiry_id)
        if entry is None:
            raise InquiryNotFound(inquiry_id)
        return entry[0]

    def respond(self, inquiry_id: str, response: Any,
                timeout: float = RESPOND_TIMEOUT) -> Inquiry:
        """Answer the inquiry; the answered inquiry once its answer is durable.

        Raises ``InquiryNotFound``, ``InquiryClosed`` (answered, timed out or canceled
        already) or ``InvalidResponse`` (the schema's errors; the inquiry stays pending).
        """
        entry = self._entries.get(inquiry_id)
        if entry is None:
            raise InquiryNotFound(inquiry_id)
        inquiry, supervisor = entry
        if not inquiry.pending:
            raise InquiryClosed(inquiry_id, str(inquiry.status))
        try:
            data = freeze(json_data(response))
        except NotJson:
            raise InvalidResponse(inquiry_id, (
                {"path": [], "message": "a response must be JSON data"},)) from None
        data = with_defaults(inquiry.schema, data)
        errors = schema_errors(inquiry.schema, data)
        if errors:
            raise InvalidResponse(inquiry_id, errors)
        reply: pykka.ThreadingFuture[Any] = pykka.ThreadingFuture()
        key = id(reply)
        # Registered before the tell: a supervisor that stops from now on refuses it in
        # ``ended`` (pykka marks an actor stopped before its on_stop, and a tell to a
        # stopped actor raises), so the wait below never outlasts the execution.
        self._awaiting[key] = (inquiry.execution_id, inquiry_id, reply)
        try:
            supervisor.tell(Answer(inquiry=inquiry_id, run=inquiry.run, response=data,
                                   reply=reply))
        except pykka.ActorDeadError:  # its execution ended meanwhile
            self._awaiting.pop(key, None)
            raise InquiryClosed(inquiry_id, str(self.get(inquiry_id).status),
                                reason=f"its execution {inquiry.execution_id} ended") from None
        try:
            answered: Inquiry = reply.get(timeout=timeout)
        finally:
            self._awaiting.pop(key, None)
        return answered

