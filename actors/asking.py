"""How a workflow supervisor takes part in inquiries: it lists them, and takes the answers.

:class:`Asking` is the part of :class:`~actors.supervisor.WorkflowSupervisor` for
inquiries (:mod:`runtime.inquiries`). The machine reports each inquiry that opens or
closes (``InquiryChanged``): the supervisor lists it in the engine's
:class:`~actors.inquiry_book.InquiryBook` at once (an answer taken before the step that
opened it is durable is journaled after it, and acknowledged only once durable; a crash
before that opens the same inquiry again, under the same id), journals an ``InquiryOpened``
entry for one that opens, and reports it to the progress listeners and the trace (kind
``inquiry``, after the commit as all progress). An :class:`~actors.inquiry_book.Answer`
is checked against the state (the inquiry still pending: the first answer wins) and fed as
an ``InquiryAnswered`` event; its reply is given once the answer is durable. A recovered
execution lists its inquiries again (:func:`relist`); their timeouts are re-armed with the
other timers, from the deadlines the journal kept.

Misuse: only the supervisor's thread runs this.
"""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING, Any

from runtime.commands import Command, InquiryChanged
from runtime.events import Event, InquiryAnswered
from runtime.inquiries import Inquiry, InquiryClosed, InquiryNotFound
from runtime.masking import Masker
from runtime.records import evolve
from runtime.store.entries import InquiryOpened
from runtime.values import freeze

from .durability import Durability
from .inquiry_book import Answer

if TYPE_CHECKING:
    from .config import SupervisorConfig

__all__ = ["Answer", "Asking", "relist"]


class Asking:
    """Lists the execution's inquiries and takes their answers (mixed into the supervisor)."""

    config: SupervisorConfig
    state: Any
    durable: Durability | None
    masker: Masker
    finished: bool
    actor_ref: Any

    if TYPE_CHECKING:
        def _feed(self, *events: Event) -> None:
            """Advance the machine (the supervisor's own)."""

        def _notice(self, command: Command) -> None:
            """Report a notice (:class:`~actors.execution.CommandExecution`'s)."""

    def _inquiry_changed(self, command: InquiryChanged) -> None:
        inquiry = command.inquiry
        self.config.inquiries.changed(_masked(inquiry, self.masker), self.actor_ref)
        if self.durable is not None and inquiry.pending:
            now = time.time()
            self.durable.record(InquiryOpened(run=inquiry.run, inquiry=inquiry.id,
                                              expires_at=inquiry.expires_at, at=now), now)
        self._notice(command)

    def _on_answer(self, message: Answer) -> None:
        reply = message.reply
        inquiry = self.state.inquiries.get(message.run)
        if inquiry is None or inquiry.id != message.inquiry:
            reply.set_exception(InquiryNotFound(message.inquiry))
            return
        if not inquiry.pending or self.finished:
            reply.set_exception(InquiryClosed(inquiry.id, str(inquiry.status)))
            return
        self._feed(InquiryAnswered(run=message.run, inquiry=message.inquiry,
                                   response=message.response, at=time.time()))
        answered = self.state.inquiries[message.run]
        if self.durable is None:
            reply.set(answered)
        else:
            self.durable.after(partial(reply.set, answered))


def relist(supervisor: Asking) -> None:
    """List again the inquiries of an execution recovered from its journal."""
    for inquiry in supervisor.state.inquiries.values():
        supervisor.config.inquiries.changed(_masked(inquiry, supervisor.masker),
                                            supervisor.actor_ref)


def _masked(inquiry: Inquiry, masker: Masker) -> Inquiry:
    """The inquiry as it is shown: the execution's secrets masked in its prompt and schema
    (rendered from the workflow's values; the response is the answerer's own)."""
    if not masker or (inquiry.prompt is None and inquiry.schema is None):
        return inquiry
    return evolve(inquiry, {
        "prompt": masker.text(inquiry.prompt) if inquiry.prompt is not None else None,
        "schema": freeze(masker.data(inquiry.schema))})
