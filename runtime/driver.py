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
    environment: Mapping[str, Any] | None = None,
) -> SyncRun:
    """Run ``defn`` to the end (or until nothing can happen) and return the record."""
    driver = _SyncDriver(defn, action or _echo)
    driver.feed(WorkflowRequested(execution_id=execution_id,
                                  parameters=freeze(dict(parameters or {})), at=0.0,
                                  environment=pmap(environment or {})))
    record = driver.record
    while len(record.events) < max_events and record.state.status not in WORKFLOW_DONE:
        extra = interrupt(record) if interrupt is not None else None
        if extra is not None:
            driver.feed(extra)
        elif not driver.complete_wave() and not driver.fire_next_timer():
            break
    return record


def _echo(command: RunAction) -> tuple[Outcome, Any]:
    inp = command.input
    return Outcome.SUCCEEDED, inp.get("message") if hasattr(inp, "get") else None


class _SyncDriver:
    """Carries out one execution's commands with a list of pending attempts and a virtual
    clock (a heap of timers); commands are dispatched by a table keyed by their type."""

    def __init__(self, defn: WorkflowDef, action: ActionFn) -> None:
        self.record = SyncRun(state=initial_state(defn))
        self.action = action
        self.pending: list[RunAction] = []
        self.timers: list[tuple[float, int, TimerKey]] = []
        self.cancelled_timers: set[TimerKey] = set()
        self.sequence = 0

    def feed(self, event: Event) -> None:
        record = self.record
        record.events.append(event)
        record.state, commands = advance(record.state, event)
        record.commands.extend(commands)
        for command in commands:
            handler = _COMMANDS.get(type(command))
            if handler is not None:
                handler(self, command)

    def complete_wave(self) -> bool:
        """Complete every pending attempt the action function decides; False if none was."""
        if not self.pending:
            return False
        wave = sorted(self.pending, key=lambda c: (c.task, c.route, c.item or 0))
        self.pending.clear()
        stuck: list[RunAction] = []
        for command in wave:
            outcome, result = self.action(command)
            if outcome is None:
                stuck.append(command)
                continue
            self.feed(ActionCompleted(run=command.run, item=command.item,
                                      attempt=command.attempt, outcome=outcome,
                                      result=result, at=self.record.clock))
        self.pending.extend(stuck)
        return len(stuck) < len(wave)

    def fire_next_timer(self) -> bool:
        """Jump the clock to the next live timer and fire it; False if there is none."""
        timers = self.timers
        while timers and timers[0][2] in self.cancelled_timers:
            _, _, key = heapq.heappop(timers)
            self.cancelled_timers.discard(key)
        if not timers:
            return False
        when, _, key = heapq.heappop(timers)
        self.record.clock = max(self.record.clock, when)
        self.feed(TimerFired(key=key, at=self.record.clock))
        return True

    def _run(self, command: RunAction) -> None:
        self.pending.append(command)

    def _cancel(self, command: CancelAction) -> None:
        self.pending[:] = [p for p in self.pending if not (
            p.run == command.run and p.item == command.item and p.attempt == command.attempt)]

    def _set_timer(self, command: SetTimer) -> None:
        self.sequence += 1
        self.cancelled_timers.discard(command.key)
        heapq.heappush(self.timers,
                       (self.record.clock + command.delay, self.sequence, command.key))

    def _cancel_timer(self, command: CancelTimer) -> None:
        self.cancelled_timers.add(command.key)


_COMMANDS: dict[type, Callable[[_SyncDriver, Any], None]] = {
    RunAction: _SyncDriver._run,
    CancelAction: _SyncDriver._cancel,
    SetTimer: _SyncDriver._set_timer,
    CancelTimer: _SyncDriver._cancel_timer,
}
"""Work commands the driver carries out; notices need nothing."""


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
