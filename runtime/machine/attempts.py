"""Action attempts: the ``RunAction`` command of one attempt and its timeout timer.

An attempt is in flight (``Tx.inflight``) from the ``RunAction`` that sends it until the
driver reports it (``ActionCompleted``), gives it back unstarted (``AttemptReturned``), or the
machine stops waiting for it (a timeout or a cancel, which emit ``CancelAction``).

Misuse: every attempt sent here must leave flight exactly once (the callers that consume its
report, time it out or cancel it decrement ``inflight``); only the machine calls these.
"""

from __future__ import annotations

from typing import Any

from runtime.commands import CancelAction, CancelTimer, RunAction, SetTimer
from runtime.events import TimerKey, TimerKind
from runtime.status import TaskStatus

from .state import TaskRun
from .tx import Tx

__all__ = ["cancel_attempt", "emit_attempt", "forget_timeout", "send_attempt"]


def send_attempt(tx: Tx, run: TaskRun, attempt: int) -> None:
    """Dispatch attempt ``attempt`` of a run without items."""
    run = tx.update(run, attempt=attempt, status=TaskStatus.RUNNING)
    emit_attempt(tx, run, attempt, run.input)


def emit_attempt(tx: Tx, run: TaskRun, attempt: int, rendered: Any, item: int | None = None,
                 concurrency: int | None = None) -> None:
    """Emit one attempt (and its timeout timer); it is in flight until it reports."""
    tx.inflight += 1
    tx.emit(
        RunAction(
            run=run.id,
            task=run.task,
            route=run.route,
            attempt=attempt,
            action=run.action,
            input=rendered,
            item=item,
            timeout=run.timeout,
            concurrency=concurrency,
            rerun=run.rerun,
            child=run.child if attempt == 1 and item is None else None,
        )
    )
    if run.timeout:
        key = TimerKey(kind=TimerKind.TIMEOUT, run=run.id, item=item, attempt=attempt)
        tx.emit(SetTimer(key=key, delay=run.timeout))


def forget_timeout(tx: Tx, run: TaskRun, attempt: int, item: int | None = None) -> None:
    """The attempt left flight: its timeout timer is no longer needed."""
    if run.timeout:
        tx.emit(CancelTimer(key=TimerKey(kind=TimerKind.TIMEOUT, run=run.id, item=item,
                                         attempt=attempt)))


def cancel_attempt(tx: Tx, run: TaskRun, attempt: int, item: int | None = None,
                   reason: str = "canceled") -> None:
    """Stop waiting for an attempt in flight: the driver stops it, its report is ignored."""
    tx.emit(CancelAction(run=run.id, attempt=attempt, item=item, reason=reason))
    tx.inflight -= 1
