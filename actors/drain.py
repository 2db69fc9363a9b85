"""An engine's drain: its executions start no new attempt, and it waits for the running ones.

:func:`hold` holds the engine's group in the process's budget (:mod:`actors.capacity`: its
requests for permits wait for good, so a supervisor with no permit, a new execution, a
sub-workflow's child, starts nothing) and asks every supervisor of the group that holds
permits to hand no more attempts to its workers (:class:`~actors.messages.Hold`,
:meth:`actors.pools.Pools.hold`): when it returns, no attempt of the engine starts any more.
Nothing is journaled: it is not a pause, and the next engine recovers every execution as it
was. :func:`wait_quiet` then waits until the group holds no permit: every attempt that ran
reported and its report is durable (held pools give permits back only then).

Misuse: call these from the engine's thread (not from an actor: :func:`hold` asks
supervisors), :func:`wait_quiet` only after :func:`hold` (else new attempts keep starting).
"""

from __future__ import annotations

import pykka

from .capacity import WORKERS
from .messages import Hold

__all__ = ["hold", "wait_quiet"]


def hold(group: str, timeout: float = 10.0) -> None:
    """Hold the attempts of every execution of the engine whose journal is ``group``."""
    answers = []
    for ref in WORKERS.hold(group):
        try:
            answers.append(ref.ask(Hold(), block=False))
        except pykka.ActorDeadError:
            pass  # it ended: its permits are given back
    for answer in answers:
        try:
            answer.get(timeout=timeout)
        except pykka.ActorDeadError:
            pass  # it ended before it read the hold


def wait_quiet(group: str, timeout: float | None) -> bool:
    """Wait up to ``timeout`` seconds (None: no limit) until no attempt of the held group
    is in flight; whether none is."""
    try:
        WORKERS.quiet(group).get(timeout=timeout)
    except pykka.Timeout:
        return False
    return True
