"""The record of one action invocation: which execution, task, route, item and attempt.

The engine builds one :class:`Call` per attempt and hands it to every action whose function
declares a keyword-only parameter named ``call``. Besides the identity of the attempt it
carries the attempt's time limit and the hook through which an action that starts something
killable (a process, a wait) tells the engine how to stop it, and the attempt's
:attr:`Call.idempotency_key`, which an action hands to external systems so that they can
deduplicate a request the engine may have sent before a crash.

Misuse: do not keep a ``Call`` past the attempt it describes (a retry gets a new one); do not
call ``call.on_cancel`` more than once per thing started, and never block inside the function
you register: the engine calls it from another thread, possibly after the action returned, so
it must be quick, idempotent and harmless once the action is over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Call", "CancelHook", "idempotency_key"]

CancelHook = Callable[[Callable[[], None]], None]
"""Type of ``Call.on_cancel``: receives the function that stops what the action started."""


def _ignore(kill: Callable[[], None]) -> None:
    """Default ``on_cancel``: drop the registration (the attempt cannot be cancelled)."""
    del kill


def idempotency_key(execution_id: str, task: str, route: int, item: int | None,
                    attempt: int, rerun: int = 0) -> str:
    """The idempotency key of one attempt: ``EXECUTION/TASK/ROUTE/ITEM/ATTEMPT``.

    ``ITEM`` is the with-items index, or ``-`` for a task without items; route, item and
    attempt are decimal integers. The format is stable (external systems store these keys):
    it is built only from what the journal holds, so it is the same for the attempt after a
    crash and recovery, and different for every other attempt (a retry gets a new key).
    ``EXECUTION`` is the execution id, followed by ``.rN`` for the runs of its ``N``-th
    rerun (``rerun``), so a rerun's attempts never repeat a key of the runs before. A task
    name may hold ``/``: split from the right (the last three parts are never names).
    """
    execution = execution_id if not rerun else f"{execution_id}.r{rerun}"
    return f"{execution}/{task}/{route}/{'-' if item is None else item}/{attempt}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """Record of one action invocation, given to actions that ask for it (keyword-only param
    named ``call``)."""

    execution_id: str
    """Id of the workflow execution the attempt belongs to."""
    task: str
    """Name of the task being run."""
    route: int = 0
    """Route number of the task run."""
    item: int | None = None
    """With-items index, else ``None``."""
    attempt: int = 1
    """1-based attempt number (a retry increases it)."""
    action: str = ""
    """The action reference as written, e.g. ``core.local``."""
    timeout: float | None = None
    """Seconds this attempt may take (the task-level timeout), or ``None``."""
    idempotency_key: str = ""
    """The attempt's key, :func:`idempotency_key` of the fields above (the engine always
    sets it; only a ``Call`` built by hand has ``""``)."""
    on_cancel: CancelHook = _ignore
    """Register the function that stops what the action started.

    An action that starts something killable calls ``call.on_cancel(kill)`` once; the engine
    calls ``kill()`` (from another thread) if the attempt is cancelled or times out. The
    engine must call ``kill`` at once if the attempt was already cancelled when it registers.
    The default ignores the registration.
    """
