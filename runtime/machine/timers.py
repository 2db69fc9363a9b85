"""What a fired timer does: a delay ends, a retry is due, an attempt or an inquiry timed out.

Each handler checks that the timer is still the one the run waits for (the run's status and
attempt, the item's attempt); a late or superseded timer does nothing. A timeout stops the
attempt (``CancelAction``) and ends it as ``timed_out``, which the retry policy may retry.

Misuse: only :func:`runtime.machine.core.advance` calls :func:`on_timer`, for a
``TimerFired`` event, inside one :class:`~runtime.machine.tx.Tx`.
"""

from __future__ import annotations

from runtime.commands import CancelAction
from runtime.events import Event, TimerFired, TimerKey, TimerKind
from runtime.status import TaskStatus

from .inquiries import inquiry_timed_out
from .items import item_completed
from .runs import (
    attempt_completed,
    complete_run,
    item_attempt_completed,
    items_advanced,
    retry_now,
    start_if_running,
)
from .state import ITEM_RUNNING, TaskRun
from .tx import Tx

__all__ = ["on_timer"]


def on_timer(tx: Tx, event: Event) -> None:
    """Handle ``TimerFired``."""
    assert isinstance(event, TimerFired)
    key = event.key
    if key.run >= len(tx.runs):
        return
    run = tx.run(key.run)
    if key.kind is TimerKind.DELAY:
        _delay_over(tx, run)
    elif key.kind is TimerKind.RETRY:
        _retry_due(tx, run, key)
    elif key.kind is TimerKind.INQUIRY:
        inquiry_timed_out(tx, run.id)
    else:
        _timed_out(tx, run, key)


def _delay_over(tx: Tx, run: TaskRun) -> None:
    if run.status is not TaskStatus.DELAYED:
        return
    start_if_running(tx, run)


def _retry_due(tx: Tx, run: TaskRun, key: TimerKey) -> None:
    if key.item is None:
        if run.status is not TaskStatus.RETRYING or run.attempt + 1 != key.attempt:
            return
        if tx.active():
            retry_now(tx, run, None, key.attempt)
        else:
            complete_run(tx, run, TaskStatus.CANCELED, run.result, transitions=False)
        return
    progress = run.items
    if progress is None or progress.attempt_of(key.item) != key.attempt:
        return
    if tx.active():
        retry_now(tx, run, key.item, key.attempt)
        return
    work = tx.open_items(run.id)
    if work is not None:
        tx.inflight += 1  # the attempt that will not be sent counts as reported now
        advanced = item_completed(tx, work, key.item, key.attempt, TaskStatus.CANCELED, None,
                                  "not retried")
        if advanced is not None:
            items_advanced(tx, advanced)


def _timed_out(tx: Tx, run: TaskRun, key: TimerKey) -> None:
    timeout_error = f"timed out after {run.timeout:g} s" if run.timeout else "timed out"
    if key.item is None:
        if run.status is not TaskStatus.RUNNING or run.attempt != key.attempt:
            return
        tx.emit(CancelAction(run=run.id, attempt=key.attempt, reason="timeout"))
        attempt_completed(tx, run, TaskStatus.TIMED_OUT, None, timeout_error)
        return
    progress = run.items
    if progress is None or progress.statuses[key.item] != ITEM_RUNNING:
        return
    if progress.attempt_of(key.item) != key.attempt:
        return
    work = tx.open_items(run.id)
    if work is None:
        return
    tx.emit(CancelAction(run=run.id, attempt=key.attempt, item=key.item, reason="timeout"))
    item_attempt_completed(tx, work, key.item, key.attempt, TaskStatus.TIMED_OUT, None,
                           timeout_error)
