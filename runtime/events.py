"""Facts fed to the workflow state machine.

Every event is a frozen, slotted, keyword-only dataclass (a :func:`runtime.records.record`)
that holds only immutable data, so an execution's events can be journaled and replayed
(:func:`runtime.machine.replay`) to rebuild its state exactly. ``at`` is the wall-clock time
the fact happened, supplied by the caller: the state machine never reads a clock.

Misuse: do not put live objects (actor refs, callables, open files) in events; do not reuse
an event for another execution.
"""

from __future__ import annotations

from typing import Any

from pyrsistent import PMap, pmap

from runtime.kv.snapshot import EMPTY_KV, KvSnapshot
from runtime.limits import DEFAULT_LIMITS, Limits
from runtime.records import record
from runtime.status import Outcome

__all__ = [
    "ActionCompleted",
    "AttemptReturned",
    "CancelRequested",
    "Event",
    "InquiryAnswered",
    "PauseRequested",
    "RerunRequested",
    "RerunTask",
    "ResumeRequested",
    "SubworkflowPaused",
    "TimerFired",
    "TimerKey",
    "TimerKind",
    "WorkflowRequested",
]

import enum


class TimerKind(enum.Enum):
    """What a timer is for."""

    DELAY = "delay"
    RETRY = "retry"
    TIMEOUT = "timeout"
    INQUIRY = "inquiry"
    """An inquiry's ``timeout`` (``ttl``): it times out unless answered first."""


@record
class TimerKey:
    """Identity of a timer: kind, task run, item (or None) and attempt."""

    kind: TimerKind
    run: int
    item: int | None = None
    attempt: int = 0


@record
class WorkflowRequested:
    """Start the execution with these parameters (the first event of every execution)."""

    execution_id: str
    parameters: PMap[str, Any] = pmap()
    at: float = 0.0
    limits: Limits = DEFAULT_LIMITS
    """The execution's size guards (:mod:`runtime.limits`): whoever starts the execution
    decides them (``Limits.from_env()``), and the journal keeps them for replay."""
    kv: KvSnapshot = EMPTY_KV
    """The key-value pairs ``st2kv`` reads, as of the start (:mod:`runtime.kv.snapshot`);
    in the journal, so a replay reads what the first run read."""
    environment: PMap[str, Any] = pmap()
    """Who started it and from where (``user``, ``api_url``: :mod:`runtime.st2_context`),
    what an Orquesta workflow reads as ``ctx().st2``; journaled for replay."""


@record
class ActionCompleted:
    """An action attempt of a task run (or of one item of it) ended."""

    run: int
    attempt: int
    outcome: Outcome
    item: int | None = None
    result: Any = None
    """Frozen result (what ``result()`` sees)."""
    error: str | None = None
    """Why it failed, for the error record."""
    at: float = 0.0


@record
class AttemptReturned:
    """An item attempt that was dispatched went back unstarted.

    A driver sends it when it had no worker for the attempt yet and the workflow no longer
    starts work (pausing, canceling): the item is no longer in flight, and it is sent again,
    with the same attempt number, the next time items are released (after a resume).
    """

    run: int
    item: int
    attempt: int
    at: float = 0.0


@record
class TimerFired:
    """A timer the machine asked for went off."""

    key: TimerKey
    at: float = 0.0


@record
class CancelRequested:
    """Cancel the execution: nothing new starts.

    Running actions are told to stop, unless the workflow's cancellation policy is
    ``allow_finish`` (Attune's default) and ``force`` is false: then they run to their end and
    the execution is canceled when the last one reports.
    """

    reason: str = ""
    force: bool = False
    at: float = 0.0


@record
class PauseRequested:
    """Pause: running actions finish, nothing new starts until resumed."""

    at: float = 0.0


@record
class ResumeRequested:
    """Resume a pausing or paused execution."""

    at: float = 0.0


@record
class RerunTask:
    """One task a rerun names: its name and, optionally, its route (None: every route
    it ran on)."""

    task: str
    route: int | None = None


@record
class RerunRequested:
    """Run a finished execution again from some of its tasks (:mod:`runtime.machine.rerun`).

    ``tasks`` empty: every task that failed without being remediated; ``reset``: with-items
    tasks whose items all run again (else only the failed ones); ``parameters``: the edited
    parameters (the whole map after the edit, checked by the caller); ``number``: 1 for the
    first rerun of the execution, 2 for the next...
    """

    number: int
    tasks: tuple[RerunTask, ...] = ()
    reset: tuple[str, ...] = ()
    parameters: PMap[str, Any] = pmap()
    changed: tuple[str, ...] = ()
    """The parameters the rerun edited (their names)."""
    children: tuple[str, ...] = ()
    """The rerun tasks whose sub-workflow execution reruns inside (continued, with a rerun
    of its own), instead of starting again."""
    at: float = 0.0


@record
class InquiryAnswered:
    """A person answered the inquiry run ``run`` waits on (the response was checked against
    its schema already: :func:`runtime.inquiries.schema_errors`)."""

    run: int
    inquiry: str
    response: Any = None
    """The response (a frozen JSON object)."""
    at: float = 0.0


@record
class SubworkflowPaused:
    """The sub-workflow attempt ``attempt`` of run ``run`` (``item``: of that item) paused
    (``paused``) or runs again (not ``paused``): Orquesta's task paused / running, which
    pauses its parent once nothing else there is active (:mod:`runtime.machine.subpauses`)."""

    run: int
    item: int | None
    attempt: int
    paused: bool
    at: float = 0.0


Event = (
    WorkflowRequested
    | ActionCompleted
    | AttemptReturned
    | TimerFired
    | CancelRequested
    | PauseRequested
    | ResumeRequested
    | RerunRequested
    | InquiryAnswered
    | SubworkflowPaused
)
