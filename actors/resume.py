"""How a supervisor continues an execution recovered from its journal.

The journal replayed gives the state as it was (:mod:`runtime.store.replaying`). To go on:

- a finished execution (its end was journaled, its answer not given) just answers;
- the timers armed and not cleared are set again with the time they have left (a deadline
  already past fires at once);
- every attempt in flight (:func:`runtime.machine.recovery.in_flight`) is sent again,
  unless it is an attempt of a non-idempotent action whose start was journaled: that one
  may have run, so it ends with an ``outcome_unknown`` failure the workflow routes like any
  other (a non-idempotent attempt whose start was not journaled never started: it waited
  for a worker, or the fence held it back, so it is sent); an item waiting for its retry
  timer is not in flight (the re-armed timer sends its next attempt);
- a sub-workflow attempt is started again: its child continues from its own journal;
- a rerun is continued this way too (its request is journaled first, :mod:`runtime.reruns`):
  when the journal ends with its ``RerunRequested``, nothing ran since, and the rerun's
  notice (the ``rerun`` progress event, the ``workflow.rerun`` trace line) is given first;
- its inquiries are listed again (pending ones take answers; their timeouts are timers).

Misuse: call :func:`resume` once, from ``on_start``, instead of starting the execution.
"""

from __future__ import annotations

import time
from typing import Any

from runtime.actions import is_idempotent
from runtime.commands import WorkflowRerun
from runtime.events import ActionCompleted, Event, RerunRequested
from runtime.machine.recovery import in_flight, outcome_so_far, retry_waits
from runtime.machine.state import WorkflowState
from runtime.status import WORKFLOW_DONE, Outcome
from runtime.store.replaying import Journaled

from .asking import relist

__all__ = ["OUTCOME_UNKNOWN", "resume"]

OUTCOME_UNKNOWN = ("outcome unknown: the engine stopped while this attempt of a "
                   "non-idempotent action ran, so it may or may not have taken effect")


def resume(supervisor: Any, journaled: Journaled) -> None:
    """Continue the execution of ``supervisor`` (a
    :class:`~actors.supervisor.WorkflowSupervisor`, which imports this module) from its
    journal."""
    state = supervisor.state = journaled.state
    supervisor.events = list(journaled.events)
    durable = supervisor.durable
    if state.status in WORKFLOW_DONE:
        supervisor._finish(outcome_so_far(state))
        return
    if durable is not None:
        durable.status(state.status.value)
    if journaled.events and isinstance(journaled.events[-1], RerunRequested):
        supervisor._notice(_rerun_notice(state))  # a rerun just claimed: it starts now
    relist(supervisor)
    now = time.time()
    for timer, deadline in journaled.timers:
        supervisor._set_timer(timer, max(deadline - now, 0.0))
    settled: list[Event] = []
    for command in in_flight(state, retry_waits(journaled.timers)):
        key = (command.run, command.item, command.attempt)
        if key in journaled.started and command.action is not None:
            action, sub = supervisor._resolve(command.action, command.task)
            if sub is None and not is_idempotent(action, command.input):
                settled.append(ActionCompleted(
                    run=command.run, item=command.item, attempt=command.attempt,
                    outcome=Outcome.UNKNOWN, error=OUTCOME_UNKNOWN, at=now))
                continue
        follow_up = supervisor._run_action(command)
        if follow_up is not None:
            settled.append(follow_up)
    if settled:
        supervisor._feed(*settled)


def _rerun_notice(state: WorkflowState) -> WorkflowRerun:
    """The notice of the execution's latest rerun (as its handler gave it when it ran)."""
    entry = state.reruns[-1]
    sources = (state.runs[run].rerun_of for run in entry.runs)  # every one is set
    return WorkflowRerun(number=entry.number, tasks=tuple(task for task, _ in entry.tasks),
                         runs=entry.runs, rerun_of=tuple(r for r in sources if r is not None))
