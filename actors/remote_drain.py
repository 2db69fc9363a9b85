"""Which engines drain, as the supervisors sending attempts to a remote executor see it.

A local attempt waits for a permit of the process's budget (:mod:`actors.capacity`), and a
draining engine's budget grants none, so a held engine starts no local attempt. A remote
attempt (:mod:`actors.remote`) takes no permit: its supervisor asks :func:`held` before it
submits one, and an attempt of a held engine waits, unsubmitted, as a local one waits for
its permit (``docs/executors.md``).

:func:`hold` marks the engine's group held, then returns every supervisor of the group
that sends remote attempts (:func:`register`), for :func:`actors.drain.hold` to ask
:class:`~actors.messages.Hold` of. The order is what makes it safe without a lock: a
supervisor registers before its first submission and reads :func:`held` at each one; one
that registered before :func:`hold` listed the supervisors is asked (its answer comes after
the message it was handling, so no submission of it follows the hold), one that registered
after it reads the mark, which was set first. The book is only changed by whole ``set`` /
``dict`` operations, each atomic in CPython.

Misuse: register from the supervisor's own thread before it submits, and unregister when it
stops; mark only from the engine's thread (:func:`actors.drain.hold`); never iterate the
book in place (:func:`hold` copies it).
"""

from __future__ import annotations

from typing import Any

__all__ = ["held", "hold", "register", "release", "unregister"]

_HELD: set[str] = set()
"""Groups (engines' journals) that drain."""

_SENDERS: dict[str, dict[str, Any]] = {}
"""Group -> its supervisors that send remote attempts (URN -> actor ref)."""


def register(group: str, ref: Any) -> None:
    """The supervisor ``ref`` of ``group`` sends remote attempts (before the first one)."""
    _SENDERS.setdefault(group, {})[ref.actor_urn] = ref


def unregister(group: str, ref: Any) -> None:
    """The supervisor ``ref`` stopped."""
    _SENDERS.get(group, {}).pop(ref.actor_urn, None)


def held(group: str | None) -> bool:
    """Whether the engine of ``group`` drains (a remote attempt of it is not submitted)."""
    return group is not None and group in _HELD


def hold(group: str) -> list[Any]:
    """Mark ``group`` held; its supervisors that send remote attempts (to ask to hold)."""
    _HELD.add(group)
    return list(dict(_SENDERS.get(group, {})).values())


def release(group: str) -> None:
    """Forget ``group`` (its engine closed: nothing of it runs any more)."""
    _HELD.discard(group)
    _SENDERS.pop(group, None)
