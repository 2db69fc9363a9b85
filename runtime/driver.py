"""A synchronous, single-threaded driver for the state machine (tests, replays, dry runs).

:func:`run_sync` feeds a workflow's state machine with action outcomes computed by a plain
function, with a virtual clock for timers, and returns the final state, every event it fed
and every command it got. Pending attempts are completed in *waves*: every attempt that is
ready is dispatched before any completion is delivered, and completions are delivered in
(task name, route, item) order; this is the discipline of Orquesta's reference scheduler and
makes runs exactly reproducible.

Misuse: this is not the engine (no actions run concurrently, nothing sleeps: timers jump the
virtual clock); use ``runtime.start_workflow`` to run workflows for real.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyrsistent import pmap

from runtime.commands import CancelAction, CancelTimer, Command, RunAction, SetTimer
from runtime.events import ActionCompleted, Event, TimerFired, TimerKey, WorkflowRequested
from runtime.machine import WorkflowState, advance, initial_state
from runtime.spec.model import WorkflowDef
from runtime.status import WORKFLOW_DONE, Outcome, WorkflowStatus
from runtime.values import freeze

__all__ = ["Outcome", "SyncRun", "mock_outcomes", "run_sync"]

ActionFn = Callable[[RunAction], tuple[Outcome, Any]]
"""Computes the outcome and result of one attempt; ``None`` outcome leaves it running."""


@dataclass
class SyncRun:
    """What a synchronous run went through."""

    state: WorkflowState
    events: list[Event] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    clock: float = 0.0

    @property
    def status(self) -> WorkflowStatus:
        """The execution's status at the end."""
        return self.state.status


def run_sync(
    defn: WorkflowDef,
    parameters: Mapping[str, Any] | None = None,
    action: ActionFn | None = None,
    *,
    execution_id: str = "sync",
    max_events: int = 100_000,
    interrupt: Callable[[SyncRun], Event | None] | None = None,
) -> SyncRun:
    """Run ``defn`` to the end (or until nothing can happen) and return the record."""
    action = action or (lambda cmd: (Outcome.SUCCEEDED, cmd.input.get("message")
                                     if hasattr(cmd.input, "get") else None))
    record = SyncRun(state=initial_state(defn))
    pending: list[RunAction] = []
    timers: list[tuple[float, int, TimerKey]] = []
    cancelled_timers: set[TimerKey] = set()
    sequence = 0

    def feed(event: Event) -> None:
        nonlocal sequence
        record.events.append(event)
        record.state, commands = advance(record.state, event)
        record.commands.extend(commands)
        for command in commands:
            if isinstance(command, RunAction):
                pending.append(command)
            elif isinstance(command, CancelAction):
                pending[:] = [p for p in pending if not (
                    p.run == command.run and p.item == command.item
                    and p.attempt == command.attempt)]
            elif isinstance(command, SetTimer):
                sequence += 1
                cancelled_timers.discard(command.key)
                heapq.heappush(timers, (record.clock + command.delay, sequence, command.key))
            elif isinstance(command, CancelTimer):
                cancelled_timers.add(command.key)

    feed(WorkflowRequested(execution_id=execution_id, parameters=freeze(dict(parameters or {})),
                           at=record.clock))
    while len(record.events) < max_events and record.state.status not in WORKFLOW_DONE:
        if interrupt is not None:
            extra = interrupt(record)
            if extra is not None:
                feed(extra)
                continue
        if pending:
            wave = sorted(pending, key=lambda c: (c.task, c.route, c.item or 0))
            pending.clear()
            stuck: list[RunAction] = []
            for command in wave:
                outcome, result = action(command)
                if outcome is None:
                    stuck.append(command)
                    continue
                feed(ActionCompleted(run=command.run, item=command.item,
                                     attempt=command.attempt, outcome=outcome,
                                     result=result, at=record.clock))
            pending.extend(stuck)
            if len(stuck) < len(wave):
                continue
        while timers and timers[0][2] in cancelled_timers:
            _, _, key = heapq.heappop(timers)
            cancelled_timers.discard(key)
        if not timers:
            break
        when, _, key = heapq.heappop(timers)
        record.clock = max(record.clock, when)
        feed(TimerFired(key=key, at=record.clock))
    return record


def mock_outcomes(table: Mapping[str, Any]) -> ActionFn:
    """Build an action function from ``{task: result}`` or ``{task: (outcome, result)}``.

    A callable value is called with the command. Tasks not in the table succeed with the
    ``message`` of their input (like ``core.echo``) or None.
    """

    def fn(command: RunAction) -> tuple[Outcome, Any]:
        value = table.get(command.task, _DEFAULT)
        if callable(value):
            value = value(command)
        if value is _DEFAULT:
            inp = command.input if command.input is not None else pmap()
            return Outcome.SUCCEEDED, inp.get("message") if hasattr(inp, "get") else None
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], Outcome):
            return value
        return Outcome.SUCCEEDED, value

    return fn


_DEFAULT = object()
