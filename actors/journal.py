"""The journal: one actor per engine, the only writer (and reader) of the engine's store.

Supervisors tell it :class:`Append` (a new execution's record, journal entries, a status
change); it collects them into one :class:`~runtime.store.base.Batch` and writes the batch
in one transaction (**group commit**). A batch closes when it holds
:attr:`GroupCommit.max_entries` entries or :attr:`GroupCommit.window` seconds after its first
message, whichever comes first (the window is a timer message, nothing polls). After the
commit every appender is told :class:`Committed` with the last sequence number of its
execution that is now durable; a supervisor holds back what it tells its callers (progress,
the result) and the start of non-idempotent attempts until then.

Reads (:class:`Query`) go through the same mailbox, so they see every commit before them
and the store is never touched by two threads: the journal opens its store in its own
thread and closes it when it stops. Ordering is the mailbox's.

Misuse: never write to the engine's store from anywhere else; never ``ask`` the journal from
inside an actor (it may be busy committing); a failed write is reported to the appenders of
the batch as :class:`Committed` with an ``error`` (their executions cannot stay durable), and
later batches are still tried.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pykka
import structlog

from runtime.errors import StoreError
from runtime.records import record
from runtime.store import Batch, EntryRow, ExecutionRow, InquiryRow, StatusUpdate, Store

from .timers import TIMERS

__all__ = ["Append", "Commit", "Committed", "GroupCommit", "Journal", "JournalStats", "Query",
           "Stats", "Watch"]

log = structlog.get_logger("troupe.journal")


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupCommit:
    """When a batch closes: ``max_entries`` entries, or ``window`` seconds after it opened."""

    max_entries: int = 512
    window: float = 0.004
    """Seconds (perf/README.md, section "Durable executions", measured the defaults)."""


@record
class Append:
    """Journal: make these durable, then tell ``appender`` :class:`Committed`."""

    execution_id: str
    seq: int
    """The execution's last sequence number once this is written (its entries end there)."""
    entries: tuple[EntryRow, ...] = ()
    execution: ExecutionRow | None = None
    """A new execution's record (its first append)."""
    update: StatusUpdate | None = None
    inquiries: tuple[InquiryRow, ...] = ()
    """The rows of the execution's inquiries that opened or closed (the index)."""
    appender: Any = None
    msg_id: int = 0
    sent: float = 0.0


@record
class Committed:
    """Supervisor: the entries of this execution up to ``seq`` are durable (or ``error``)."""

    execution_id: str
    seq: int
    error: str | None = None
    msg_id: int = 0
    sent: float = 0.0


@record
class Query:
    """Journal (ask): ``call(store)``'s value, after every commit before it."""

    call: Callable[[Store], Any]
    msg_id: int = 0
    sent: float = 0.0


@record
class Stats:
    """Journal (ask): a :class:`JournalStats` of what it wrote so far."""

    msg_id: int = 0
    sent: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Commit:
    """What one group commit made durable (told to the watchers, see :class:`Watch`)."""

    executions: frozenset[str]
    """The executions whose records, entries or status changes it wrote."""
    entries: int
    """How many journal entries it wrote (the batch size)."""
    seconds: float
    """How long the transaction took."""


@record
class Watch:
    """Journal: call ``callback`` with a :class:`Commit` after every successful commit
    (``add=False``: stop). The callback runs in the journal's thread: it must not block."""

    callback: Callable[[Commit], None]
    add: bool = True
    msg_id: int = 0
    sent: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalStats:
    """What a journal wrote: transactions, entries, and how long appends waited."""

    commits: int
    entries: int
    failed: int
    waits: tuple[float, ...]
    """Seconds from each append's send to its commit (the last 10,000)."""


@record
class _Close:
    """Journal: the window of batch ``batch`` is over."""

    batch: int
    msg_id: int = 0
    sent: float = 0.0


class Journal(pykka.ThreadingActor):
    """Writes the engine's store in group commits; answers reads in mailbox order."""

    use_daemon_thread = True

    def __init__(self, store: Store, group: GroupCommit | None = None) -> None:
        super().__init__()
        self.store = store
        self.group = group or GroupCommit()
        self.batch_number = 0
        self.pending: list[Append] = []
        self.entries = 0
        self.commits = 0
        """Transactions written."""
        self.written = 0
        """Entries written."""
        self.failed = 0
        """Batches that could not be written."""
        self.waits: deque[float] = deque(maxlen=10_000)
        """Seconds from an append's send to its commit, the latest ones."""
        self.watchers: tuple[Callable[[Commit], None], ...] = ()

    def on_start(self) -> None:
        self.store.open()

    def on_stop(self) -> None:
        self._close_batch()
        self.store.close()

    def on_receive(self, message: Any) -> Any:
        handler = _HANDLERS.get(type(message))
        return None if handler is None else handler(self, message)

    def _on_close(self, message: _Close) -> None:
        if message.batch == self.batch_number:
            self._close_batch()

    def _query(self, message: Query) -> Any:
        self._close_batch()  # a read sees everything appended before it
        return message.call(self.store)

    def _stats(self, message: Stats) -> JournalStats:
        return JournalStats(commits=self.commits, entries=self.written, failed=self.failed,
                            waits=tuple(self.waits))

    def _watch(self, message: Watch) -> None:
        others = tuple(w for w in self.watchers if w != message.callback)
        self.watchers = (*others, message.callback) if message.add else others

    def _append(self, message: Append) -> None:
        if not self.pending:
            number = self.batch_number
            TIMERS.set(self.group.window, self.actor_ref,
                       lambda _tid, number=number: _Close(batch=number))
        self.pending.append(message)
        self.entries += len(message.entries)
        if self.entries >= self.group.max_entries:
            self._close_batch()

    def _close_batch(self) -> None:
        """Write the open batch in one transaction and tell its appenders."""
        if not self.pending:
            return
        pending, self.pending, self.entries = self.pending, [], 0
        self.batch_number += 1
        batch = Batch(
            executions=tuple(m.execution for m in pending if m.execution is not None),
            entries=tuple(e for m in pending for e in m.entries),
            updates=tuple(m.update for m in pending if m.update is not None),
            inquiries=tuple(i for m in pending for i in m.inquiries),
        )
        error: str | None = None
        began = time.monotonic()
        try:
            self.store.write(batch)
            self.commits += 1
            self.written += len(batch.entries)
            self._tell_watchers(pending, len(batch.entries), time.monotonic() - began)
        except StoreError as exc:
            error = str(exc)
            self.failed += 1
            log.error("journal write failed", store=self.store.url, error=error)
        except Exception as exc:  # a backend bug: the executions cannot stay durable
            error = f"{type(exc).__name__}: {exc}"
            self.failed += 1
            log.error("journal write failed", store=self.store.url, exc_info=exc)
        now = time.monotonic()
        self.waits.extend(now - m.sent for m in pending if m.sent)
        self._acknowledge(pending, error)

    def _tell_watchers(self, pending: list[Append], entries: int, seconds: float) -> None:
        if not self.watchers:
            return
        commit = Commit(executions=frozenset(m.execution_id for m in pending),
                        entries=entries, seconds=seconds)
        for watcher in self.watchers:
            try:
                watcher(commit)
            except Exception:  # logged: a broken watcher must not stop the journal
                log.warning("journal watcher failed", exc_info=True)

    @staticmethod
    def _acknowledge(pending: list[Append], error: str | None) -> None:
        last: dict[str, tuple[Any, int]] = {}
        for message in pending:
            known = last.get(message.execution_id)
            if known is None or message.seq >= known[1]:
                last[message.execution_id] = (message.appender, message.seq)
        for execution_id, (appender, seq) in last.items():
            if appender is None:
                continue
            try:
                appender.tell(Committed(execution_id=execution_id, seq=seq, error=error))
            except pykka.ActorDeadError:
                pass  # the supervisor is gone (stopped from outside); nothing waits


_HANDLERS: dict[type, Callable[[Journal, Any], Any]] = {
    Append: Journal._append,
    _Close: Journal._on_close,
    Query: Journal._query,
    Stats: Journal._stats,
    Watch: Journal._watch,
}
"""Message type -> its handler (others are ignored)."""
