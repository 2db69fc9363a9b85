"""What an inquiry's answer or timeout does to the run that waits on it.

An answer (``InquiryAnswered``, already checked against the schema by whoever took it)
closes the inquiry. A ``core.ask`` run then succeeds with StackStorm's inquirer result
(``schema``, ``roles``, ``users``, ``route``, ``ttl`` and ``response``), and the workflow the
ask paused is resumed first; an Attune ``wait_for`` run starts its action, which sees the
answer as ``inquiry.<task>.response`` (held if the workflow is paused meanwhile, canceled if
it no longer starts work). A timeout closes the inquiry as ``timed_out`` and ends the run
timed out: its ``timed_out()`` transitions fire (an ``action_timed_out`` error record, as for
an action's timeout).

Misuse: only :func:`runtime.machine.core.advance` calls :func:`on_answer` (for
``InquiryAnswered``) and :mod:`runtime.machine.timers` calls :func:`inquiry_timed_out`, in
one :class:`~runtime.machine.tx.Tx`; an answer for a closed inquiry is ignored here (the
driver refuses it before it becomes an event).
"""

from __future__ import annotations

from pyrsistent import pmap

from runtime.events import Event, InquiryAnswered, ResumeRequested
from runtime.inquiries import Inquiry, InquiryStatus
from runtime.status import TaskStatus, WorkflowStatus
from runtime.values import freeze

from .asks import close_inquiry
from .control import on_resume
from .fields import failure_record
from .runs import complete_run, start_if_running
from .state import TaskRun
from .tx import Tx

__all__ = ["inquiry_timed_out", "on_answer"]


def on_answer(tx: Tx, event: Event) -> None:
    """Handle ``InquiryAnswered``."""
    assert isinstance(event, InquiryAnswered)
    run = _waiting(tx, event.run)
    inquiry = tx.inquiries.get(event.run)
    if run is None or inquiry is None or inquiry.id != event.inquiry:
        return
    closed = close_inquiry(tx, run.id, InquiryStatus.ANSWERED, freeze(event.response))
    if closed.ask:
        _resume_asked(tx)
        complete_run(tx, tx.run(run.id), TaskStatus.SUCCEEDED, _ask_result(closed))
        return
    run = tx.update(run, status=TaskStatus.READY)
    start_if_running(tx, run)


def inquiry_timed_out(tx: Tx, run_id: int) -> None:
    """The inquiry of run ``run_id`` was not answered in time."""
    run = _waiting(tx, run_id)
    if run is None:
        return
    closed = close_inquiry(tx, run_id, InquiryStatus.TIMED_OUT)
    if closed.ask:
        _resume_asked(tx)
        run = tx.run(run_id)
    error = "the inquiry was not answered in time"
    tx.error(failure_record(run, TaskStatus.TIMED_OUT, None, error))
    complete_run(tx, tx.update(run, attempt=max(run.attempt, 1)), TaskStatus.TIMED_OUT,
                 None, error=error)


def _waiting(tx: Tx, run_id: int) -> TaskRun | None:
    """Run ``run_id`` if it waits on a pending inquiry, else None."""
    if run_id >= len(tx.runs):
        return None
    run = tx.run(run_id)
    inquiry = tx.inquiries.get(run_id)
    if run.status is not TaskStatus.PENDING or inquiry is None or not inquiry.pending:
        return None
    return run


def _resume_asked(tx: Tx) -> None:
    """Resume the workflow a ``core.ask`` paused, once no other ask waits."""
    if not tx.ask_paused or any(i.ask and i.pending for i in tx.inquiries.values()):
        return
    tx.ask_paused = False
    if tx.status in (WorkflowStatus.PAUSING, WorkflowStatus.PAUSED):
        on_resume(tx, ResumeRequested(at=tx.at))


def _ask_result(inquiry: Inquiry) -> object:
    """StackStorm's inquirer result: the inquiry's parameters and the response."""
    return pmap({"schema": inquiry.schema, "roles": freeze(list(inquiry.roles)),
                 "users": freeze(list(inquiry.users)), "route": "",
                 "ttl": inquiry.ttl, "response": inquiry.response})
