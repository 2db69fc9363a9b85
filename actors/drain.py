"""An engine's drain: its executions start no new attempt, and it waits for the running ones.

:func:`hold` holds the engine's group in the process's budget (:mod:`actors.capacity`: its
requests for permits wait for good, so a supervisor with no permit, a new execution, a
sub-workflow's child, starts nothing) and marks it held for remote attempts
(:mod:`actors.remote_drain`: a supervisor submits none to a remote executor any more), then
asks every supervisor of the group that holds permits or sends remote attempts to hand no
more attempts to its workers or its executor (:class:`~actors.messages.Hold`,
:meth:`actors.pools.Pools.hold`, :meth:`actors.remote.RemoteAttempts.hold`): when it
returns, no attempt of the engine starts any more. Nothing is journaled: it is not a pause,
and the next engine recovers every execution as it was. :func:`wait_quiet` then waits until
the group holds no permit and every remote attempt submitted before the hold reported:
every attempt that ran reported and its report is durable (held pools give permits back
only then, held remote attempts set their futures only then).

Misuse: call these from the engine's thread (not from an actor: :func:`hold` asks
supervisors), :func:`wait_quiet` only after :func:`hold` (else new attempts keep starting).
"""

from __future__ import annotations

import time
from typing import Any

import pykka

from . import remote_drain
from .capacity import WORKERS
from .messages import Hold

__all__ = ["forget", "hold", "wait_quiet"]

_REMOTE: dict[str, list[Any]] = {}
"""Group -> futures set once a held supervisor's remote attempts are over (and durable)."""


def hold(group: str, timeout: float = 10.0) -> None:
    """Hold the attempts of every execution of the engine whose journal is ``group``."""
    refs = {ref.actor_urn: ref for ref in WORKERS.hold(group)}
    refs.update((ref.actor_urn, ref) for ref in remote_drain.hold(group))
    answers = []
    for ref in refs.values():
        try:
            answers.append(ref.ask(Hold(), block=False))
        except pykka.ActorDeadError:
            pass  # it ended: its permits are given back
    quiet = _REMOTE.setdefault(group, [])
    for answer in answers:
        try:
            remote = answer.get(timeout=timeout)
        except pykka.ActorDeadError:
            continue  # it ended before it read the hold
        if remote is not None:
            quiet.append(remote)


def wait_quiet(group: str, timeout: float | None) -> bool:
    """Wait up to ``timeout`` seconds (None: no limit) until no attempt of the held group
    is in flight; whether none is."""
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        WORKERS.quiet(group).get(timeout=timeout)
        for remote in _REMOTE.get(group, []):
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            remote.get(timeout=left)
    except pykka.Timeout:
        return False
    return True


def forget(group: str) -> None:
    """The engine of ``group`` closed: forget its hold."""
    _REMOTE.pop(group, None)
    remote_drain.release(group)
