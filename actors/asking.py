"""How a workflow supervisor takes part in inquiries: it lists them, and takes the answers.

:class:`Asking` is the part of :class:`~actors.supervisor.WorkflowSupervisor` for
inquiries (:mod:`runtime.inquiries`). The machine reports each inquiry that opens or
closes (``InquiryChanged``): the supervisor lists it in the engine's
:class:`~actors.inquiry_book.InquiryBook` at once (an answer taken before the step that
opened it is durable is journaled after it, and acknowledged only once durable; a crash
before that opens the same inquiry again, under the same id), journals an ``InquiryOpened``
entry for one that opens, indexes it as shown (the store's inquiry rows, same commit:
:mod:`runtime.inquiry_rows`), and reports it to the progress listeners and the trace (kind
``inquiry``, after the commit as all progress). The fields of an answer its schema marks
``secret: true`` are shown as ``***`` and join the execution's secrets. An
:class:`~actors.inquiry_book.Answer` is checked against the state (the inquiry still
pending: the first answer wins) and fed as an ``InquiryAnswered`` event; its reply is
given once the answer is durable. A recovered execution lists its inquiries again
(:func:`relist`); their timeouts are re-armed with the other timers, from the deadlines
the journal kept.

Misuse: only the supervisor's thread runs this.
"""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING, Any

from runtime.commands import Command, InquiryChanged
from runtime.events import Event, InquiryAnswered
from runtime.inquiries import (
    Inquiry,
    InquiryClosed,
    InquiryNotFound,
    masked_response,
    secret_values,
)
from runtime.inquiry_rows import inquiry_row
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
    tracer: Any
    listeners: Any

    if TYPE_CHECKING:
        def _feed(self, *events: Event) -> None:
            """Advance the machine (the supervisor's own)."""

        def _notice(self, command: Command) -> None:
            """Report a notice (:class:`~actors.execution.CommandExecution`'s)."""

    def _inquiry_changed(self, command: InquiryChanged) -> None:
        inquiry = command.inquiry
        learn_secrets(self, inquiry)
        shown = _masked(inquiry, self.masker)
        self.config.inquiries.changed(shown, self.actor_ref)
        if self.durable is not None:
            now = time.time()
            if inquiry.pending:
                self.durable.record(InquiryOpened(run=inquiry.run, inquiry=inquiry.id,
                                                  expires_at=inquiry.expires_at, at=now), now)
            self.durable.inquiry(inquiry_row(shown, now))
        self._notice(command)

    def _on_answer(self, message: Answer) -> None:
        reply = message.reply
        inquiry = self.state.inquiries.get(message.run)
        if inquiry is None or inquiry.id != message.inquiry:
            reply.set_exception((InquiryNotFound, InquiryNotFound(message.inquiry), None))
            return
        if not inquiry.pending or self.finished:
            reply.set_exception((InquiryClosed, InquiryClosed(inquiry.id, str(inquiry.status)),
                                 None))
            return
        self._feed(InquiryAnswered(run=message.run, inquiry=message.inquiry,
                                   response=message.response, at=time.time()))
        answered = _masked(self.state.inquiries[message.run], self.masker)  # as shown
        if self.durable is None:
            reply.set(answered)
        else:
            self.durable.after(partial(reply.set, answered))


def relist(supervisor: Asking) -> None:
    """List again the inquiries of an execution recovered from its journal."""
    now = time.time()
    for inquiry in supervisor.state.inquiries.values():
        learn_secrets(supervisor, inquiry)
        shown = _masked(inquiry, supervisor.masker)
        supervisor.config.inquiries.changed(shown, supervisor.actor_ref)
        if supervisor.durable is not None:  # a store from before the index gets its rows
            supervisor.durable.inquiry(inquiry_row(shown, now))


def learn_secrets(supervisor: Asking, inquiry: Inquiry) -> None:
    """An answer's fields its schema marks ``secret: true`` join the execution's secrets:
    its trace lines and progress events mask them from now on (the machine keeps them)."""
    values = secret_values(inquiry.schema, inquiry.response) if inquiry.response else ()
    if not values:
        return
    masker = supervisor.masker.combined(Masker(values))
    supervisor.masker = masker
    supervisor.tracer.remask(masker)
    supervisor.listeners.masker = masker


def _masked(inquiry: Inquiry, masker: Masker) -> Inquiry:
    """The inquiry as it is shown: the execution's secrets masked in its prompt and schema
    (rendered from the workflow's values), and the response's secret fields (StackStorm's
    ``secret: true`` schema properties) as ``***``."""
    response = masked_response(inquiry.schema, inquiry.response)
    if not masker or (inquiry.prompt is None and inquiry.schema is None):
        return inquiry if response is inquiry.response else evolve(
            inquiry, {"response": response})
    return evolve(inquiry, {
        "prompt": masker.text(inquiry.prompt) if inquiry.prompt is not None else None,
        "schema": freeze(masker.data(inquiry.schema)), "response": response})
