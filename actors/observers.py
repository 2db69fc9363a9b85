"""Attempt observers: callables told how long each action attempt took, as it ends.

A worker that finishes an attempt (succeeded, failed, timed out) tells every observer
``(action reference, seconds, outcome)`` from its own thread, before it reports to its
supervisor. The daemon's ``/metrics`` keeps a histogram of action durations this way.
Observers are process-wide (every execution of every engine in the process), added and
removed by replacing one tuple, so a worker reads them without a lock.

Misuse: an observer runs in a worker's thread between the action and its report: it must
be quick and must not block; one that raises is logged and skipped.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from runtime.status import Outcome

__all__ = ["ATTEMPTS", "AttemptObserver", "AttemptObservers"]

log = structlog.get_logger("troupe.workers")

AttemptObserver = Callable[[str, float, Outcome], None]


class AttemptObservers:
    """The process's attempt observers."""

    __slots__ = ("observers",)

    def __init__(self) -> None:
        self.observers: tuple[AttemptObserver, ...] = ()

    def add(self, observer: AttemptObserver) -> Callable[[], None]:
        """Start telling ``observer``; return what stops it."""
        self.observers = (*self.observers, observer)
        return lambda: self.remove(observer)

    def remove(self, observer: AttemptObserver) -> None:
        """Stop telling ``observer`` (nothing if it was not told)."""
        self.observers = tuple(o for o in self.observers if o is not observer)

    def tell(self, action: str, seconds: float, outcome: Outcome) -> None:
        """Tell every observer about one attempt that ended."""
        for observer in self.observers:
            try:
                observer(action, seconds, outcome)
            except Exception:  # logged: a broken observer must not lose the attempt's report
                log.warning("attempt observer failed", exc_info=True)


ATTEMPTS = AttemptObservers()
"""The observers of every attempt in this process."""
