"""Sub-workflows that pause, and the parent that pauses with them (Orquesta's rule).

A sub-workflow pauses when an inquiry below it waits (``core.ask``) or when that branch is
paused; its supervisor tells the parent (``SubworkflowPaused``, and again when it runs).
Orquesta's workflow state machine decides what the parent does, and Troupe does the same:

- a paused task is not active work: a running parent keeps running its other branches
  (``TASK_PAUSED_WORKFLOW_ACTIVE -> RUNNING``) and pauses once nothing else is active
  (``TASK_PAUSED_WORKFLOW_DORMANT -> PAUSED``, also when a later task ends and leaves only
  paused ones: ``TASK_SUCCEEDED_WORKFLOW_DORMANT_PAUSED``); a pausing parent is paused once
  only paused sub-workflows are left (``PAUSING + TASK_PAUSED_WORKFLOW_DORMANT``);
- a paused parent runs again when one of its sub-workflows does (``PAUSED + TASK_RUNNING``).

So an inquiry anywhere below pauses every ancestor whose other work is done, up to the root,
and its answer resumes them (StackStorm's inquiry service resumes the workflow of the
inquiry, whose running again reaches its parents).

Misuse: only :func:`runtime.machine.core.advance` calls :func:`on_sub_paused`,
:func:`on_resume_requested` (for their events) and :func:`pause_if_dormant` (after every
event, before it settles).
"""

from __future__ import annotations

from pyrsistent import pset

from runtime.commands import WorkflowPaused
from runtime.events import Event, ResumeRequested, SubworkflowPaused
from runtime.status import TaskStatus, WorkflowStatus

from .control import on_resume
from .state import ITEM_RUNNING
from .tx import Tx

__all__ = ["on_resume_requested", "on_sub_paused", "pause_if_dormant"]

_STARTING = (TaskStatus.DELAYED, TaskStatus.RETRYING, TaskStatus.READY)
"""Runs that start by themselves later (a timer, a dispatch): active work."""


def on_sub_paused(tx: Tx, event: Event) -> None:
    """Handle ``SubworkflowPaused``."""
    assert isinstance(event, SubworkflowPaused)
    key = (event.run, -1 if event.item is None else event.item)
    if not event.paused:
        tx.paused_subs = tx.paused_subs.discard(key)
        if tx.sub_paused and tx.status is WorkflowStatus.PAUSED:
            tx.sub_paused = False
            on_resume(tx, ResumeRequested(at=tx.at))
        return
    if _in_flight(tx, event.run, event.item, event.attempt):
        tx.paused_subs = tx.paused_subs.add(key)


def on_resume_requested(tx: Tx, event: Event) -> None:
    """Handle ``ResumeRequested`` (from outside): the resume goes down to every sub-workflow
    too (its supervisor passes it on), so none of them counts as paused any more; each one
    that pauses again says so."""
    tx.paused_subs = pset()
    on_resume(tx, event)


def _in_flight(tx: Tx, run_id: int, item: int | None, attempt: int | None = None) -> bool:
    """Tell whether the attempt (the current one when ``attempt`` is None) of run
    ``run_id`` (``item``) is in flight."""
    if run_id >= len(tx.runs):
        return False
    run = tx.run(run_id)
    if item is None:
        return run.status is TaskStatus.RUNNING and run.items is None and (
            attempt is None or attempt == run.attempt)
    work = tx.open_items(run_id)
    if work is None or not 0 <= item < work.total or work.statuses[item] != ITEM_RUNNING:
        return False
    return attempt is None or attempt == work.progress.attempt_of(item)


def pause_if_dormant(tx: Tx) -> None:
    """Pause a running or pausing workflow when only paused sub-workflows are left; resume
    one they paused when one of them ended (it ran again first: its end can be the very
    step its answer resumed it in)."""
    before = len(tx.paused_subs)
    _forget_ended(tx)
    if tx.sub_paused and tx.status is WorkflowStatus.PAUSED and len(tx.paused_subs) < before:
        tx.sub_paused = False
        on_resume(tx, ResumeRequested(at=tx.at))
    if not tx.paused_subs:
        return
    if tx.status is WorkflowStatus.PAUSING and tx.inflight <= len(tx.paused_subs):
        tx.status = WorkflowStatus.PAUSED
        tx.emit(WorkflowPaused())
    elif tx.status is WorkflowStatus.RUNNING and _dormant(tx):
        tx.status = WorkflowStatus.PAUSED
        tx.sub_paused = True
        tx.emit(WorkflowPaused())


def _forget_ended(tx: Tx) -> None:
    """Forget the paused sub-workflows whose attempts are no longer in flight (they
    ended, were canceled, or timed out)."""
    if tx.paused_subs:
        for run_id, item in list(tx.paused_subs):
            if not _in_flight(tx, run_id, None if item < 0 else item):
                tx.paused_subs = tx.paused_subs.discard((run_id, item))


def _dormant(tx: Tx) -> bool:
    """Tell whether only paused sub-workflows are left of the active work (some are):
    nothing in flight but them, and no run about to start."""
    if not tx.paused_subs or tx.inflight > len(tx.paused_subs):
        return False
    return not any(run.status in _STARTING and run.finished_at is None and not run.pseudo
                   for run in tx.all_runs())
