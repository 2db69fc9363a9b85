"""The batching mailbox: what it hands over and what it keeps in order.

These tests pin the part of pykka :mod:`actors.mailbox` depends on (the inbox hook and the
envelope format): a pykka release changing them fails here.
"""

from __future__ import annotations

import queue
from typing import Any

import pykka
from pykka._envelope import Envelope

from actors.mailbox import BatchingActor, BatchingInbox


def _is_int(message: Any) -> bool:
    return type(message) is int


def test_take_hands_over_the_accepted_head_and_keeps_the_rest_in_order() -> None:
    inbox = BatchingInbox()
    for message in (1, 2, "stop", 3):
        inbox.put(Envelope(message))
    assert inbox.take(_is_int, 10) == [1, 2]
    assert inbox.take(_is_int, 10) == []  # the refused message is next in line
    assert not inbox.empty()
    assert inbox.get().message == "stop"
    assert inbox.take(_is_int, 10) == [3]
    assert inbox.empty()


def test_take_stops_at_an_ask_and_at_its_limit() -> None:
    inbox = BatchingInbox()
    reply: pykka.ThreadingFuture[Any] = pykka.ThreadingFuture()
    for envelope in (Envelope(1), Envelope(2), Envelope(3), Envelope(4, reply_to=reply)):
        inbox.put(envelope)
    assert inbox.take(_is_int, 2) == [1, 2]
    assert inbox.take(_is_int, 5) == [3]
    asked = inbox.get()
    assert asked.message == 4 and asked.reply_to is reply


class _Batcher(BatchingActor):
    """Blocks on its first message until the test has told the others, then batches."""

    def __init__(self, gate: queue.SimpleQueue[None], seen: queue.SimpleQueue[Any]) -> None:
        super().__init__()
        self.gate = gate
        self.seen = seen

    def on_receive(self, message: Any) -> Any:
        if message == "first":
            self.gate.get(timeout=10)
            self.seen.put(self.take_waiting(_is_int, 64))
            return None
        self.seen.put(message)
        return "answered"


def test_an_actor_takes_the_tells_queued_behind_the_message_it_handles() -> None:
    gate: queue.SimpleQueue[None] = queue.SimpleQueue()
    seen: queue.SimpleQueue[Any] = queue.SimpleQueue()
    ref = _Batcher.start(gate, seen)
    ref.tell("first")
    for n in (1, 2, 3):
        ref.tell(n)
    answer = ref.ask("question", block=False)
    ref.tell(4)
    gate.put(None)
    assert seen.get(timeout=10) == [1, 2, 3]
    assert answer.get(timeout=10) == "answered"
    assert seen.get(timeout=10) == "question"
    assert seen.get(timeout=10) == 4
    ref.stop()


def test_only_the_mailbox_module_knows_pykka_internals() -> None:
    """The envelope format and the inbox are used in actors/mailbox.py and nowhere else."""
    from pathlib import Path

    import actors

    root = Path(actors.__file__).parent
    private = ("actor_inbox", "reply_to", "pykka._", "Envelope")
    users = {path.name for path in root.glob("*.py")
             if any(word in path.read_text(encoding="utf-8") for word in private)}
    assert users == {"mailbox.py"}
