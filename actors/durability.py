"""One execution's link to the engine's journal: what it journals, and what waits for it.

A durable supervisor journals every event its state machine consumes, the timers it arms
and clears, and, before an attempt of a non-idempotent action is handed over, that the
attempt started (:class:`~runtime.store.entries.AttemptStarted`). :class:`Durability`
numbers these entries (``seq`` 1, 2, 3... per execution), sends the entries of one handled
message as one :class:`~actors.journal.Append`, and holds back until the journal says they
are :class:`~actors.journal.Committed`:

- what the caller is told (progress events, the final result, the report to a parent), so
  a caller never learns of something a crash could take back;
- the start of a non-idempotent attempt (the fence: a commit or two, and only for such
  actions), so after a crash an attempt that may have run is known to have started and is
  not run blindly again.

At most one append per execution is outstanding at a time; what is journaled meanwhile
goes as the next one, so a busy execution sends one message per commit.

Misuse: only the supervisor's thread uses it; call :meth:`send` once the message that
recorded entries is handled; a callback held here must not raise (it runs when a
``Committed`` arrives).
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import pykka

from runtime.store import EntryRow, ExecutionRow, InquiryRow, StatusUpdate
from runtime.store.codec import encode

from .journal import Append, Committed
from .messages import AttemptKey

__all__ = ["Durability"]


class Durability:
    """Numbers an execution's journal entries and holds back what waits for them."""

    __slots__ = ("committed", "execution_id", "failed", "fenced", "inquiries", "journal",
                 "new_row", "outstanding", "owner", "pending", "seq", "update", "waiting")

    def __init__(self, *, journal: Any, owner: Any, execution_id: str, seq: int = 0,
                 new_row: ExecutionRow | None = None) -> None:
        self.journal = journal
        self.owner = owner
        self.execution_id = execution_id
        self.seq = seq
        """The last sequence number given to an entry."""
        self.committed = seq
        """The last sequence number the journal made durable."""
        self.new_row = new_row
        """The execution's record, sent with its first entries (None once sent, or when
        the execution was recovered)."""
        self.pending: list[EntryRow] = []
        self.update: StatusUpdate | None = None
        self.inquiries: list[InquiryRow] = []
        self.waiting: deque[tuple[int, Callable[[], None]]] = deque()
        self.fenced: dict[AttemptKey, tuple[int, Callable[[], None]]] = {}
        self.failed: str | None = None
        """Why the journal could not write this execution's entries, once it failed."""
        self.outstanding = False
        """An append was sent and its ``Committed`` has not come back: what is journaled
        meanwhile waits, and goes as one append when it comes (one message per commit, not
        one per handled message: a with-items run would otherwise send one per item)."""

    def record(self, entry: Any, at: float) -> None:
        """Journal ``entry`` (an event the machine consumed, or a journal record)."""
        kind, body = encode(entry)
        self.seq += 1
        self.pending.append(EntryRow(execution_id=self.execution_id, seq=self.seq, kind=kind,
                                     body=body, at=at))

    def inquiry(self, row: InquiryRow) -> None:
        """Index an inquiry as it is now (written with the entries journaled so far)."""
        self.inquiries.append(row)

    def status(self, status: str, *, finished: bool = False, result: Any = None) -> None:
        """Journal the execution's status (with its result when it finished)."""
        now = time.time()
        self.update = StatusUpdate(
            execution_id=self.execution_id, status=status, updated_at=now,
            finished_at=now if finished else None,
            result=None if result is None else json.dumps(result, default=str))

    def send(self) -> None:
        """Send what was journaled since the last send, as one append (unless an append is
        outstanding: then it goes when that one is committed)."""
        if self.outstanding or not (self.pending or self.update or self.new_row
                                    or self.inquiries):
            return
        message = Append(execution_id=self.execution_id, seq=self.seq,
                         entries=tuple(self.pending), execution=self.new_row,
                         update=self.update, inquiries=tuple(self.inquiries),
                         appender=self.owner, sent=time.monotonic())
        self.pending, self.update, self.new_row, self.inquiries = [], None, None, []
        self.outstanding = True
        try:
            self.journal.tell(message)
        except pykka.ActorDeadError:  # the engine closed: this execution stays unfinished
            self.failed = self.failed or "the engine's journal is closed"

    def after(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once everything journaled so far is durable (now if it is)."""
        if self.seq <= self.committed and not self.pending and self.update is None \
                and not self.inquiries:
            callback()
        else:
            self.waiting.append((self.seq, callback))

    def fence(self, key: AttemptKey, start: Callable[[], None]) -> None:
        """Call ``start`` once the attempt's ``AttemptStarted`` (just recorded) is durable."""
        self.fenced[key] = (self.seq, start)

    def unfence(self, key: AttemptKey) -> bool:
        """Forget a fenced attempt that is canceled before it started; whether it was."""
        return self.fenced.pop(key, None) is not None

    def committed_upto(self, message: Committed) -> None:
        """The journal made entries durable up to ``message.seq``: release what waited."""
        if message.error is not None and self.failed is None:
            self.failed = message.error
        self.outstanding = False
        self.committed = max(self.committed, message.seq)
        committed = self.committed
        if self.fenced:
            ready = [key for key, (seq, _) in self.fenced.items() if seq <= committed]
            for key in ready:
                _, start = self.fenced.pop(key)
                start()
        waiting = self.waiting
        while waiting and waiting[0][0] <= committed:
            waiting.popleft()[1]()
