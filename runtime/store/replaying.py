"""Reading an execution back from its journal: its state, and what it left in flight.

:func:`read_journal` decodes an execution's entries, replays its events through the state
machine (which rebuilds its state exactly: the machine is a pure function of its events),
and collects the journal's own records: the attempts of non-idempotent actions that were
handed over (``AttemptStarted``), and the timers armed and not yet cleared or fired, with
their deadlines. Recovery continues from there.

Misuse: the workflow definition must be the one the execution ran (load it from the stored
text); replaying with another definition rebuilds another state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from runtime.events import Event, TimerFired, TimerKey
from runtime.machine import WorkflowState, replay
from runtime.machine.recovery import outcome_so_far
from runtime.masking import Masker
from runtime.results import ExecutionResult, build_result
from runtime.spec.model import WorkflowDef

from .base import EntryRow
from .codec import decode
from .entries import AttemptStarted, InquiryOpened, TimerArmed, TimerCleared

__all__ = ["Journaled", "read_journal", "result_of"]

AttemptKey = tuple[int, int | None, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class Journaled:
    """An execution as its journal left it."""

    state: WorkflowState
    events: tuple[Event, ...]
    """The events the machine consumed, in order."""
    seq: int
    """The last sequence number in the journal."""
    started: frozenset[AttemptKey]
    """Attempts of non-idempotent actions that were handed over."""
    timers: tuple[tuple[TimerKey, float], ...]
    """Timers armed and neither cleared nor fired, with their deadlines (wall clock)."""


class _Reading:
    """What reading one journal collects."""

    __slots__ = ("events", "started", "timers")

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.started: set[AttemptKey] = set()
        self.timers: dict[TimerKey, float] = {}

    def attempt_started(self, entry: AttemptStarted) -> None:
        self.started.add((entry.run, entry.item, entry.attempt))

    def timer_armed(self, entry: TimerArmed) -> None:
        self.timers[entry.key] = entry.deadline

    def timer_cleared(self, entry: TimerCleared) -> None:
        self.timers.pop(entry.key, None)

    def timer_fired(self, entry: TimerFired) -> None:
        self.timers.pop(entry.key, None)
        self.events.append(entry)

    def inquiry_opened(self, entry: InquiryOpened) -> None:
        """Nothing to collect: the replayed events open the inquiry again."""

    def event(self, entry: Event) -> None:
        self.events.append(entry)


_READERS: dict[type, Callable[[_Reading, Any], None]] = {
    AttemptStarted: _Reading.attempt_started,
    TimerArmed: _Reading.timer_armed,
    TimerCleared: _Reading.timer_cleared,
    TimerFired: _Reading.timer_fired,
    InquiryOpened: _Reading.inquiry_opened,
}
"""Entry type -> what reading it does (any other entry is an event for the machine)."""


def read_journal(defn: WorkflowDef, entries: Iterable[EntryRow]) -> Journaled:
    """Decode and replay an execution's journal."""
    reading = _Reading()
    seq = 0
    for row in entries:
        seq = row.seq
        entry = decode(row.kind, row.body)
        _READERS.get(type(entry), _Reading.event)(reading, entry)
    state = replay(defn, reading.events)
    return Journaled(state=state, events=tuple(reading.events), seq=seq,
                     started=frozenset(reading.started), timers=tuple(reading.timers.items()))


def result_of(journaled: Journaled, masker: Masker) -> ExecutionResult:
    """What a caller sees of a journaled execution, finished or not (then its status is
    where it stopped and its open runs have no end time)."""
    return build_result(journaled.state, outcome_so_far(journaled.state), masker,
                        list(journaled.events))
