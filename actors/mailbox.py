"""An actor whose mailbox can hand over, in one go, the messages waiting at its head.

A supervisor of a with-items run receives one ``Performed`` per item; feeding the machine
with up to 64 of them in one step is what keeps the per-item cost low (``perf/README.md``).
To take the reports queued behind the one being handled, the actor must own its mailbox:
:class:`BatchingActor` is a :class:`pykka.ThreadingActor` whose inbox is a
:class:`BatchingInbox`, created through ``Actor._create_actor_inbox``, the hook pykka
documents for implementors of actor types (pykka 4.x: "Create an inbox for the actor").
pykka only calls ``put``, ``get`` and ``empty`` on an inbox (its ``ActorInbox`` protocol).

This module is the single place that knows pykka's envelope format (``Envelope.message``
and ``Envelope.reply_to``, an internal pykka type); ``setup.cfg`` pins pykka's major version
and ``tests/actors/test_mailbox.py`` pins the behaviour, so a pykka release changing either
fails there, not in the supervisor.

How it works: ``put`` is the underlying :class:`queue.SimpleQueue`'s own (thread-safe, no
Python frame per tell). Only the actor's own thread calls ``get``, ``empty`` and
:meth:`BatchingInbox.take`; ``take`` pops envelopes while they qualify, and the first one
that does not is kept aside (``_held``) and returned by the next ``get``: the order of
messages is kept, nothing is peeked at, nothing is locked.

Misuse: call :meth:`BatchingActor.take_waiting` only from the actor's own thread (inside
``on_receive``); asks (messages with a reply) are never taken, they stop the batch.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pykka

if TYPE_CHECKING:
    from pykka._envelope import Envelope

__all__ = ["BatchingActor", "BatchingInbox", "depth"]


class BatchingInbox:
    """A pykka actor inbox that can hand over the tells waiting at its head."""

    __slots__ = ("_held", "_queue", "put")

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Envelope[Any]] = queue.SimpleQueue()
        self._held: Envelope[Any] | None = None
        """An envelope taken out by :meth:`take` that did not qualify: the next one out."""
        self.put: Callable[[Envelope[Any]], None] = self._queue.put

    def get(self) -> Envelope[Any]:
        """The next envelope (blocks until there is one)."""
        held = self._held
        if held is not None:
            self._held = None
            return held
        return self._queue.get()

    def qsize(self) -> int:
        """How many messages wait (approximately, as ``queue.Queue.qsize``)."""
        return self._queue.qsize() + (self._held is not None)

    def empty(self) -> bool:
        """Tell whether no envelope is waiting."""
        return self._held is None and self._queue.empty()

    def take(self, accept: Callable[[Any], bool], limit: int) -> list[Any]:
        """Up to ``limit`` messages waiting at the head, while ``accept(message)`` holds and
        none expects a reply (an ask ends the batch, as does any message ``accept`` refuses;
        it stays next in line)."""
        taken: list[Any] = []
        if self._held is not None:
            return taken
        get = self._queue.get_nowait
        while len(taken) < limit:
            try:
                envelope = get()
            except queue.Empty:
                break
            message = envelope.message
            if envelope.reply_to is not None or not accept(message):
                self._held = envelope
                break
            taken.append(message)
        return taken


class BatchingActor(pykka.ThreadingActor):
    """A threading actor that may take the messages waiting behind the one it handles."""

    actor_inbox: BatchingInbox

    @staticmethod
    def _create_actor_inbox() -> BatchingInbox:
        return BatchingInbox()

    def take_waiting(self, accept: Callable[[Any], bool], limit: int) -> list[Any]:
        """The tells waiting at the head of this actor's mailbox that ``accept`` takes
        (see :meth:`BatchingInbox.take`); call only from the actor's own thread."""
        return self.actor_inbox.take(accept, limit)


def depth(actor: Any) -> int:
    """How many messages wait in the mailbox of ``actor`` (an actor ref, or the actor
    itself from its own thread): its inbox's ``qsize()``, approximate as a queue's is."""
    return int(actor.actor_inbox.qsize())
