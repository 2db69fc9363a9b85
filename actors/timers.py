"""One timer thread per process that turns deadlines into messages.

:data:`TIMERS` keeps a heap of deadlines and blocks on its inbox with a timeout equal to the
time until the next deadline, so it wakes exactly when a timer is due or a request arrives;
a due timer is delivered as a message to the actor that set it. Nothing polls.

:class:`ExecutionTimers` is one execution's book of the timers it set.

Misuse: the callback target must be an actor ref (``tell`` is the only thing called); a timer
whose target died is dropped silently (that execution is over).
"""

from __future__ import annotations

import heapq
import itertools
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pykka

from runtime.events import TimerKey

from .messages import TimerDue

__all__ = ["TIMERS", "ExecutionTimers", "TimerService"]


@dataclass(frozen=True, slots=True)
class _Set:
    timer_id: int
    deadline: float
    target: Any
    message: Any


@dataclass(frozen=True, slots=True)
class _Drop:
    timer_id: int


class TimerService:
    """Delivers messages to actors at monotonic deadlines."""

    def __init__(self) -> None:
        self._inbox: queue.SimpleQueue[_Set | _Drop] = queue.SimpleQueue()
        self._ids = itertools.count(1)
        self._thread = threading.Thread(target=self._loop, name="troupe-timers", daemon=True)
        self._thread.start()

    def set(self, delay: float, target: Any, make_message: Any) -> int:
        """Deliver ``make_message(timer_id)`` to ``target`` after ``delay`` seconds."""
        timer_id = next(self._ids)
        message = make_message(timer_id)
        self._inbox.put(_Set(timer_id, time.monotonic() + max(delay, 0.0), target, message))
        return timer_id

    def cancel(self, timer_id: int) -> None:
        """Forget a timer (no effect if it already fired)."""
        self._inbox.put(_Drop(timer_id))

    def _loop(self) -> None:
        heap: list[tuple[float, int, Any, Any]] = []
        dropped: set[int] = set()
        while True:
            timeout = None
            if heap:
                timeout = max(heap[0][0] - time.monotonic(), 0.0)
            try:
                request = self._inbox.get(timeout=timeout)
            except queue.Empty:
                request = None
            if request is not None:
                _REQUESTS[type(request)](request, heap, dropped)
            now = time.monotonic()
            while heap and heap[0][0] <= now:
                _, timer_id, target, message = heapq.heappop(heap)
                if timer_id in dropped:
                    dropped.discard(timer_id)
                    continue
                try:
                    target.tell(message)
                except pykka.ActorDeadError:
                    pass  # the execution ended; its timers no longer matter
            if len(dropped) > 10_000:
                live = {entry[1] for entry in heap}
                dropped &= live


TIMERS = TimerService()
"""The process's timer service (started at import, under the import lock)."""


class ExecutionTimers:
    """The timers one execution's supervisor has set and not seen fire or forgotten.

    Each key (a :class:`~runtime.events.TimerKey`) has at most one live timer; a
    :class:`~actors.messages.TimerDue` counts only if it is the live timer of its key (a
    timer canceled or set again may still arrive: it is ignored).

    Misuse: only the supervisor's thread uses it; :meth:`close` when the execution ends.
    """

    __slots__ = ("live", "owner")

    def __init__(self, owner: Any) -> None:
        self.owner = owner
        self.live: dict[TimerKey, int] = {}

    def set(self, key: TimerKey, delay: float) -> int:
        """Set the timer of ``key`` (due in ``delay`` seconds); its id."""
        timer_id = TIMERS.set(delay, self.owner,
                              lambda tid, key=key: TimerDue(key=key, timer_id=tid))
        self.live[key] = timer_id
        return timer_id

    def cancel(self, key: TimerKey) -> None:
        """Forget the timer of ``key``, if any."""
        timer_id = self.live.pop(key, None)
        if timer_id is not None:
            TIMERS.cancel(timer_id)

    def due(self, message: TimerDue) -> bool:
        """Tell whether ``message`` is a live timer going off (then it is live no more)."""
        if self.live.get(message.key) != message.timer_id:
            return False
        del self.live[message.key]
        return True

    def close(self) -> None:
        """Cancel every live timer."""
        for timer_id in self.live.values():
            TIMERS.cancel(timer_id)
        self.live.clear()


def _push(request: Any, heap: list[tuple[float, int, Any, Any]], dropped: set[int]) -> None:
    heapq.heappush(heap, (request.deadline, request.timer_id, request.target, request.message))


def _forget(request: Any, heap: list[tuple[float, int, Any, Any]], dropped: set[int]) -> None:
    dropped.add(request.timer_id)


_REQUESTS: dict[type, Callable[[Any, list[tuple[float, int, Any, Any]], set[int]], None]] = {
    _Set: _push,
    _Drop: _forget,
}
"""What the timer thread does with each kind of request."""
