"""Item attempts whose report an execution's journal holds: what a replay need not render.

Replaying a journal sends every item attempt again, and sending one renders its input. The
input of an attempt is only read by the action that runs it (it is in the ``RunAction``,
never in the state): an attempt the journal shows reported (completed, given back, or timed
out) rendered when it was sent, and nobody runs it again. :func:`reported_items` collects
those attempts from the events a replay will feed; given to
:func:`runtime.machine.advance` (``reported=``), the machine sends them without rendering
(their ``RunAction`` carries no input). Everything else is the same: the state, the errors,
the notices. An input that did not render when it was sent was never dispatched, so no
report of that attempt exists and the replay renders it, and fails, again.

Only the *first* send of an attempt may skip: an attempt given back unstarted is sent again
with the same number, and that send renders in a scope that may have changed since, so it
renders again (:func:`runtime.machine.items.release_items`).

Misuse: give the machine only reports taken from events it is fed (or was fed) in this
execution; a live driver gives none (its ``RunAction`` commands must carry their input).
"""

from __future__ import annotations

from collections.abc import Iterable

from runtime.events import ActionCompleted, AttemptReturned, Event, TimerFired, TimerKind

__all__ = ["NO_REPORTS", "Reported", "reported_items"]

Reported = frozenset[tuple[int, int, int]]
"""(run, item, attempt) of item attempts the journal shows reported."""

NO_REPORTS: Reported = frozenset()


def reported_items(events: Iterable[Event]) -> Reported:
    """The item attempts that ``events`` report on: completed, given back, timed out."""
    keys: set[tuple[int, int, int]] = set()
    add = keys.add
    for event in events:
        if isinstance(event, (ActionCompleted, AttemptReturned)):
            if event.item is not None:
                add((event.run, event.item, event.attempt))
        elif isinstance(event, TimerFired):
            key = event.key
            if key.kind is TimerKind.TIMEOUT and key.item is not None:
                add((key.run, key.item, key.attempt))
    return frozenset(keys)
