"""One execution's progress events, derived from its journal so they are stable.

A :class:`ProgressLog` replays an execution's journal entries through the state machine, as
recovery does, and turns the notices the machine decides into
:class:`~runtime.progress.ProgressEvent` values, the same function the live supervisor uses
(:func:`runtime.progress.progress_of`), numbered 1, 2, 3... The journal is append-only and
the machine a pure function of its events, so event *N* is the same event before and after
a daemon restart, whoever asks. Each event's ``time`` is the time of the journal event it
came from. :meth:`ProgressLog.feed` takes the entries after :attr:`ProgressLog.seq` only, so
following a running execution costs each entry once.

The log's state is also the execution's state as far as the journal goes: the execution
view (:mod:`runtime.server.views`) is built from it.

Misuse: feed the entries of one execution, in ``seq`` order, with the definition loaded from
its stored text; feed from one thread at a time (the server serialises per execution).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from runtime.events import WorkflowRequested
from runtime.kv.snapshot import plaintexts as kv_secrets
from runtime.machine import WorkflowState, advance, initial_state
from runtime.machine.reported import reported_items
from runtime.masking import Masker
from runtime.progress import ProgressEvent, progress_of
from runtime.spec.model import WorkflowDef
from runtime.status import WORKFLOW_DONE
from runtime.store import EntryRow
from runtime.store.codec import decode
from runtime.store.entries import AttemptStarted, InquiryOpened, TimerArmed, TimerCleared

__all__ = ["LoggedEvent", "ProgressLog"]

_NOT_EVENTS = (AttemptStarted, TimerArmed, TimerCleared, InquiryOpened)
"""Journal entries that are the journal's own, not events of the machine."""


class LoggedEvent:
    """A progress event with its number and time."""

    __slots__ = ("event", "id", "time")

    def __init__(self, event: ProgressEvent, number: int, time: float) -> None:
        self.event = event
        self.id = number
        self.time = time


class ProgressLog:
    """The progress of one execution as its journal tells it (see the module docstring)."""

    def __init__(self, execution_id: str, defn: WorkflowDef, masker: Masker) -> None:
        self.execution_id = execution_id
        self.defn = defn
        self.masker = masker
        self.state: WorkflowState = initial_state(defn)
        self.seq = 0
        """The last journal entry fed."""
        self.events: list[LoggedEvent] = []
        self.consumed = 0
        """How many machine events were fed."""

    @property
    def finished(self) -> bool:
        """Whether the journal holds the execution's end."""
        return self.state.status in WORKFLOW_DONE

    def feed(self, entries: Iterable[EntryRow]) -> int:
        """Replay entries after :attr:`seq`; how many progress events they added.

        The item attempts these entries report on are replayed without rendering their
        inputs (:mod:`runtime.machine.reported`): the state and the events are the same."""
        before = len(self.events)
        fresh: list[Any] = []
        for row in entries:
            if row.seq <= self.seq:
                continue
            self.seq = row.seq
            entry: Any = decode(row.kind, row.body)
            if not isinstance(entry, _NOT_EVENTS):
                fresh.append(entry)
        reported = reported_items(fresh)
        for entry in fresh:
            self.consumed += 1
            self.state, commands = advance(self.state, entry, reported=reported)
            if isinstance(entry, WorkflowRequested) and entry.kv.taken:
                # what its st2kv may decrypt is a secret too (runtime.kv.snapshot)
                self.masker = self.masker.combined(Masker(kv_secrets(entry.kv)))
            for command in commands:
                event = progress_of(command, self.execution_id, self.masker)
                if event is not None:
                    self.events.append(LoggedEvent(event, len(self.events) + 1, entry.at))
        return len(self.events) - before

    def after(self, last_id: int) -> list[LoggedEvent]:
        """The events numbered above ``last_id``."""
        return self.events[max(last_id, 0):]
