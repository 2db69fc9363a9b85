"""Messages the actors of one execution exchange.

Every message is a frozen, slotted, keyword-only dataclass (a :func:`runtime.records.record`)
holding immutable data (context handles are pyrsistent values, passed by reference: pykka
never copies messages). ``msg_id`` and ``sent`` (monotonic seconds) let the receiver trace
mailbox waits and causality.

Misuse: never put mutable containers in a message; never reuse a message object for a second
send (its ``msg_id`` would pair two sends with one receive in the trace).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.commands import RunAction
from runtime.events import TimerKey
from runtime.records import record
from runtime.status import Outcome

__all__ = [
    "Assignment",
    "AttemptKey",
    "Cancel",
    "Hold",
    "Inspect",
    "Kill",
    "Pause",
    "Perform",
    "Performed",
    "RegisterCanceller",
    "Resume",
    "Start",
    "TimerDue",
    "WorkersGranted",
]

AttemptKey = tuple[int, int | None, int]
"""(run, item, attempt): identifies one action attempt within an execution."""


@record
class Inspect:
    """Supervisor, asked: return ``(status value, number of events consumed)``."""


@record
class Hold:
    """Supervisor, asked (by the engine, as it drains): hand no more attempts to workers
    (:meth:`actors.pools.Pools.hold`); answered once that holds. Nothing is journaled: it
    is not a pause, and the next engine's recovery goes on as if it had never been."""


@record
class Start:
    """Supervisor: begin the execution."""

    msg_id: int = 0
    sent: float = 0.0


@record
class Assignment:
    """Who a worker performs an attempt for: the execution, its supervisor, the worker's
    actor path and kind there, and the tracer it writes to. Carried by every
    :class:`Perform`, so a worker reused by another run or execution keeps nothing of the
    previous one."""

    supervisor: Any
    execution_id: str
    path: str
    kind: str
    tracer: Any


@record
class Perform:
    """Worker: run one action attempt and report :class:`Performed` to its supervisor."""

    command: RunAction
    assignment: Assignment
    action: Any = None
    """The resolved :class:`runtime.actions.Action` (None for an action-less task)."""
    msg_id: int = 0
    sent: float = 0.0


@record
class Performed:
    """Supervisor: an action attempt ended (sent by a worker or a child supervisor)."""

    run: int
    item: int | None
    attempt: int
    outcome: Outcome
    result: Any = None
    error: str | None = None
    worker: str = ""
    """Actor path of the reporting worker (for the trace and the pool); the executor
    (``ray``) for a remote attempt."""
    idempotency_key: str | None = None
    """A remote attempt's key (its trace lines name it)."""
    duration: float = 0.0
    wait: float = 0.0
    """How long the :class:`Perform` waited in the worker's mailbox."""
    msg_id: int = 0
    sent: float = 0.0


@record
class RegisterCanceller:
    """Supervisor: call ``kill`` if this attempt is cancelled or times out."""

    key: AttemptKey
    kill: Callable[[], None]
    msg_id: int = 0
    sent: float = 0.0


@record
class TimerDue:
    """Supervisor: a timer it set went off."""

    key: TimerKey
    timer_id: int
    msg_id: int = 0
    sent: float = 0.0


@record
class Cancel:
    """Supervisor: cancel the execution (``force``: kill running actions whatever the policy)."""

    reason: str = ""
    force: bool = False
    msg_id: int = 0
    sent: float = 0.0


@record
class Pause:
    """Supervisor: pause the execution."""

    msg_id: int = 0
    sent: float = 0.0


@record
class Resume:
    """Supervisor: resume the execution."""

    msg_id: int = 0
    sent: float = 0.0


@record
class Kill:
    """Reaper: call ``kill`` (a process-group kill may block for its grace period)."""

    kill: Callable[[], None]
    msg_id: int = 0
    sent: float = 0.0


@record
class WorkersGranted:
    """Supervisor: ``count`` worker permits for the pool of run ``run`` (at least one), from
    the process's worker budget (:mod:`actors.capacity`)."""

    run: int
    count: int
    workers: tuple[Any, ...] = ()
    """Idle workers handed over with the permits (at most ``count``): the pool uses them
    before it starts new ones."""
    msg_id: int = 0
    sent: float = 0.0
