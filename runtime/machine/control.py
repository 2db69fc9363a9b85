"""Requests from outside the workflow: cancel, pause, resume.

A cancel ends every open run as canceled and the workflow with them, unless the workflow's
cancellation policy is ``allow_finish`` (Attune's default) and the cancel is not forced:
then the attempts in flight finish first (``canceling``) and only the runs that have not
started are canceled now. A pause lets what is in flight finish and holds what becomes ready
(``pausing``, then ``paused``); a resume dispatches what was held and moves with-items runs
on, or cancels the held runs that cannot start because the workflow is failing.

Misuse: only :func:`runtime.machine.core.advance` calls these, for the matching events and
only in the statuses its table lists, inside one :class:`~runtime.machine.tx.Tx`.
"""

from __future__ import annotations

from pyrsistent import pvector

from runtime.commands import ErrorRecord, WorkflowResumed
from runtime.events import CancelRequested, Event
from runtime.status import TaskStatus, WorkflowStatus

from .ending import finish
from .runs import cancel_run, complete_run, dispatch, items_advanced
from .tx import Tx

__all__ = ["on_cancel", "on_pause", "on_resume"]

_NOT_STARTED = (TaskStatus.DELAYED, TaskStatus.RETRYING, TaskStatus.HELD, TaskStatus.READY)


def on_cancel(tx: Tx, event: Event) -> None:
    """Handle ``CancelRequested``."""
    assert isinstance(event, CancelRequested)
    if tx.status is not WorkflowStatus.CANCELING:
        tx.error(ErrorRecord(kind="canceled", message=event.reason or "workflow canceled"))
    allow_finish = tx.defn.meta.get("cancellation_policy") == "allow_finish"
    if allow_finish and not event.force and tx.inflight:
        tx.status = WorkflowStatus.CANCELING
        for run in list(tx.all_runs()):
            if not run.pseudo and run.finished_at is None and run.status in _NOT_STARTED:
                cancel_run(tx, run)
        tx.held = pvector()
        return
    for run in list(tx.all_runs()):
        if run.pseudo or run.finished_at is not None:
            continue
        cancel_run(tx, run)
    tx.held = pvector()
    finish(tx, WorkflowStatus.CANCELED)


def on_pause(tx: Tx, event: Event) -> None:
    """Handle ``PauseRequested``: what is in flight finishes, nothing new starts."""
    tx.status = WorkflowStatus.PAUSING


def on_resume(tx: Tx, event: Event) -> None:
    """Handle ``ResumeRequested``."""
    failing = tx.unhandled_failure and tx.policies.fail_fast
    tx.status = WorkflowStatus.FAILING if failing else WorkflowStatus.RUNNING
    tx.sub_paused = False
    tx.emit(WorkflowResumed())
    held = tx.held
    tx.held = pvector()
    for run_id in held:
        run = tx.run(run_id)
        if tx.active() or run.run_on_fail:
            tx.update(run, status=TaskStatus.READY)
            dispatch(tx, tx.run(run_id))
        else:
            complete_run(tx, run, TaskStatus.CANCELED, None, transitions=False)
    for run in list(tx.all_runs()):
        if run.items is not None and run.status is TaskStatus.RUNNING:
            work = tx.open_items(run.id)
            assert work is not None
            items_advanced(tx, work)
