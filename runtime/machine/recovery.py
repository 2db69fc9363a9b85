"""What was in flight when an execution stopped: the attempts to send again or settle.

An execution recovered from its journal is rebuilt by replaying its events
(:func:`runtime.machine.replay`); the attempts it had dispatched and not seen report are
then still in flight in the state. :func:`in_flight` rebuilds their ``RunAction`` commands
as the machine emitted them, for the driver to send again or to end as ``outcome unknown``.
An item's input is rendered again, in the scope of the state recovered: the same input,
unless its template reads what changed since it was sent (another task's status or
result, in a dialect without branch contexts or through ``task_status()``): then the
input of the state recovered (tests/machine/test_replay_shortcut.py shows both).

Misuse: call it on a replayed state before feeding it anything new; the commands are not
new attempts (the machine already counts them in flight), so the driver must not feed
anything for them but their completion.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from runtime.commands import RunAction, WorkflowFinished
from runtime.errors import ExpressionError
from runtime.events import TimerKey, TimerKind
from runtime.status import TaskStatus

from .ending import ordered_output
from .state import ITEM_RUNNING, WorkflowState
from .tx import Tx

__all__ = ["in_flight", "outcome_so_far", "retry_waits"]

AttemptKey = tuple[int, int | None, int]
"""(run, item, attempt)."""


def outcome_so_far(state: WorkflowState) -> WorkflowFinished:
    """The ``WorkflowFinished`` a replayed state stands for: its status (final, or where it
    is), its output in declared order, its errors (what a result is built from)."""
    return WorkflowFinished(status=state.status, errors=tuple(state.errors),
                            output=ordered_output(state.defn, state.output))


def retry_waits(timers: Iterable[tuple[TimerKey, float]]) -> frozenset[AttemptKey]:
    """The item attempts that wait for their retry timer (armed, not fired: the journal's
    timers), which the state cannot tell from attempts in flight."""
    return frozenset((key.run, key.item, key.attempt) for key, _ in timers
                     if key.kind is TimerKind.RETRY and key.item is not None)


def in_flight(state: WorkflowState,
              waiting: Collection[AttemptKey] = ()) -> tuple[RunAction, ...]:
    """The ``RunAction`` of every attempt the state has in flight, in run and item order.

    ``waiting``: the item attempts not sent yet, waiting for their retry timer
    (:func:`retry_waits`): their item is marked running with the next attempt's number,
    but that attempt goes out when the timer fires, not now."""
    if not state.inflight:
        return ()
    tx = Tx(state, state.finished_at or 0.0)  # read-only: only used to render item inputs
    commands: list[RunAction] = []
    for run in state.runs:
        if run.status is not TaskStatus.RUNNING:
            continue
        progress = run.items
        if progress is None:
            commands.append(RunAction(run=run.id, task=run.task, route=run.route,
                                      attempt=run.attempt, action=run.action, input=run.input,
                                      timeout=run.timeout, rerun=run.rerun,
                                      child=run.child if run.attempt == 1 else None))
            continue
        task = state.defn.task(run.task)
        for index, status in enumerate(progress.statuses):
            if status != ITEM_RUNNING:
                continue
            attempt = progress.attempt_of(index)
            if waiting and (run.id, index, attempt) in waiting:
                continue
            rendered = None
            if task.input is not None:
                scope = tx.scope(run, item=progress.values[index], index=index, has_item=True)
                try:
                    rendered = task.input.render(scope)
                except ExpressionError:  # it rendered when it was sent: cannot happen
                    rendered = None
            commands.append(RunAction(run=run.id, task=run.task, route=run.route,
                                      attempt=attempt, action=run.action,
                                      input=rendered, item=index, timeout=run.timeout,
                                      concurrency=progress.concurrency, rerun=run.rerun))
    return tuple(commands)
