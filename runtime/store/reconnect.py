"""Riding out a lost database connection: reconnect with backoff, then do the call again.

A server store's connection can go away under a running engine: the database restarts,
fails over, or a network cut or an administrator ends the session. Without this, every
write after that fails and every running execution loses its durability at once. With it,
the store's one writer (the journal actor) waits, reconnecting with exponential backoff up
to a deadline, and meanwhile the appends queue in its mailbox; what callers wait for (a
commit) simply arrives later. Only when the deadline passes is the error raised, as before.

The call is told whether it runs again after a reconnect (``again``): a write whose commit
may have gone through before the connection died checks first whether it did (a batch is one
transaction: all of it is there, or none), so nothing is written twice.

Misuse: only for failures the store classifies as a lost connection (``lost()``): retrying
a constraint violation or a syntax error would only repeat it, later; never from more than
one thread (the store is single-threaded anyway).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import structlog

from runtime.errors import StoreError

__all__ = ["Backoff", "retrying"]

T = TypeVar("T")
log = structlog.get_logger("troupe.store")


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    """How long to keep reconnecting, and how long to wait between tries."""

    within: float = 30.0
    """Seconds from the first failure after which the error is raised (0: never retry)."""
    first: float = 0.05
    """Seconds before the first reconnect."""
    most: float = 2.0
    """The longest wait between two tries."""


def retrying(call: Callable[[bool], T], *, lost: Callable[[], bool],
             reconnect: Callable[[], None], backoff: Backoff, url: str,
             sleep: Callable[[float], None] = time.sleep,
             clock: Callable[[], float] = time.monotonic) -> T:
    """``call(False)``; while it fails with a lost connection, reconnect and ``call(True)``.

    ``reconnect`` may fail itself (the server is still down): that counts as one more try.
    The :class:`StoreError` of the last try is raised once ``backoff.within`` has passed.
    """
    again = False
    delay = backoff.first
    deadline: float | None = None
    while True:
        try:
            return call(again)
        except StoreError as error:
            if not lost():
                raise
            now = clock()
            deadline = now + backoff.within if deadline is None else deadline
            if now + delay > deadline:
                raise
            log.warning("store connection lost, reconnecting", store=url,
                        problem=error.problem, retry_in=delay)
        sleep(delay)
        delay = min(delay * 2, backoff.most)
        again = True
        try:
            reconnect()
        except StoreError as error:  # still down: the next call fails again, lost()
            log.warning("store reconnect failed", store=url, problem=error.problem)
        else:
            log.info("store reconnected", store=url)
