"""Journal entries that are not events of the state machine.

Besides the events an execution's machine consumed, its journal records what recovery must
know about work in flight: that an attempt of a non-idempotent action was about to start
(:class:`AttemptStarted`, written and committed before the action is handed to a worker),
and the timers that were armed (:class:`TimerArmed`, with the absolute deadline) and
cleared (:class:`TimerCleared`), so that a recovered execution re-arms them with the time
left; and the inquiries opened (:class:`InquiryOpened`; their answers are events).

Misuse: these entries are never fed to the machine (replay skips them); never journal an
``AttemptStarted`` after handing the attempt over (the fence would not hold).
"""

from __future__ import annotations

from runtime.events import TimerKey
from runtime.records import record

__all__ = ["AttemptStarted", "InquiryOpened", "JournalEntry", "TimerArmed", "TimerCleared"]


@record
class AttemptStarted:
    """Attempt ``attempt`` of run ``run`` (item ``item``) is handed to a non-idempotent action."""

    run: int
    attempt: int
    item: int | None = None
    at: float = 0.0


@record
class TimerArmed:
    """Timer ``key`` fires at ``deadline`` (wall-clock seconds)."""

    key: TimerKey
    deadline: float
    at: float = 0.0


@record
class TimerCleared:
    """Timer ``key`` was canceled or fired: nothing to re-arm."""

    key: TimerKey
    at: float = 0.0


@record
class InquiryOpened:
    """Run ``run`` opened inquiry ``inquiry``, which times out at ``expires_at`` (None: it
    waits for ever). A record for the journal's readers: replaying the events opens it
    again, and its timeout's deadline is the ``TimerArmed`` entry's."""

    run: int
    inquiry: str
    expires_at: float | None = None
    at: float = 0.0


JournalEntry = AttemptStarted | TimerArmed | TimerCleared | InquiryOpened
