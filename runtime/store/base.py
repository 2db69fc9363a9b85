"""The store behind durable executions: what it holds, and the interface every backend has.

A store keeps, per execution, one :class:`ExecutionRow` (the workflow's text and its hash,
parameters, status, timestamps, parent execution) and its journal: the :class:`EntryRow`
sequence of everything the execution's state machine consumed (its events, in order) plus
the journal's own entries (an attempt of a non-idempotent action started, a timer armed or
cleared; :mod:`runtime.store.entries`). It also holds the key-value store that ``st2kv``
reads (:class:`KvRow`; docs/kv.md). Replaying an execution's events rebuilds its state
exactly; the other entries tell recovery what was in flight.

Every write is one :class:`Batch` applied in one transaction (group commit: the journal
actor collects a batch from many executions and writes it at once). A backend is used from
one thread only, the one that called :meth:`Store.open` (the journal actor's): no connection
is shared between threads, so a backend needs no locking.

Misuse: never write outside :meth:`Store.write` (one batch, one transaction); never use a
store from a thread other than the one that opened it; never rewrite an entry (entries are
appended, ``seq`` grows by one per execution from 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from runtime.status import WORKFLOW_DONE, WorkflowStatus

__all__ = [
    "UNFINISHED",
    "Batch",
    "EntryRow",
    "ExecutionRow",
    "InquiryPage",
    "InquiryRow",
    "KvRow",
    "Page",
    "StatusUpdate",
    "Store",
]

UNFINISHED: tuple[str, ...] = tuple(s.value for s in WorkflowStatus if s not in WORKFLOW_DONE)
"""Statuses of executions recovery continues (the values of the non-final workflow statuses)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionRow:
    """One execution as stored."""

    id: str
    workflow: str
    """The workflow's name (its ``ref``/name, else its file name, else ``<inline>``)."""
    text: str
    """The workflow document as loaded (YAML text), so recovery needs no file."""
    text_hash: str
    """SHA-256 of ``text`` (hex)."""
    parameters: str
    """The parameters, JSON (secret inputs included: the store file is private)."""
    status: str
    created_at: float
    updated_at: float
    finished_at: float | None = None
    parent: str | None = None
    """The parent execution, for a sub-workflow."""
    parent_task: str | None = None
    base_dir: str | None = None
    """The directory the workflow's relative sub-workflow paths are resolved from."""
    result: str | None = None
    """When finished: JSON of ``{"output": ..., "errors": [...]}``."""
    idempotency_key: str | None = None
    """The key the execution was requested with (unique in a store), so that asking again
    with it finds this execution instead of starting a second one."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryRow:
    """One journal entry of an execution."""

    execution_id: str
    seq: int
    """1, 2, 3... per execution, in the order the entries happened."""
    kind: str
    """The record's type name (``ActionCompleted``, ``AttemptStarted``...)."""
    body: str
    """The record's fields, JSON (:mod:`runtime.store.codec`)."""
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusUpdate:
    """A change of an execution's status (and, when it finished, its result)."""

    execution_id: str
    status: str
    updated_at: float
    finished_at: float | None = None
    result: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InquiryRow:
    """One inquiry as it is shown (secrets masked), kept current as it opens and closes: the
    index that lists inquiries of every status without replaying journals (the journal's
    ``InquiryOpened`` entries and ``InquiryAnswered`` events remain the authority)."""

    id: str
    execution_id: str
    status: str
    opened_at: float
    updated_at: float
    body: str
    """The inquiry, JSON (:func:`runtime.inquiry_rows.inquiry_row`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InquiryPage:
    """Inquiries oldest first (by ``opened_at``, then id); ``cursor`` fetches the next page
    (None: the last)."""

    inquiries: tuple[InquiryRow, ...]
    cursor: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Batch:
    """What one transaction writes: new executions first, then entries, then updates, then
    the inquiries' rows."""

    executions: tuple[ExecutionRow, ...] = ()
    entries: tuple[EntryRow, ...] = ()
    updates: tuple[StatusUpdate, ...] = ()
    inquiries: tuple[InquiryRow, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.executions or self.entries or self.updates or self.inquiries)


@dataclass(frozen=True, slots=True, kw_only=True)
class KvRow:
    """One key-value pair of the key-value store (StackStorm's datastore, ``st2kv``)."""

    scope: str
    """``system``, or ``user`` (then ``key`` is ``USER:NAME``, as StackStorm stores it)."""
    key: str
    value: str
    """The value as text; a secret's is its Fernet token (:mod:`runtime.kv.crypto`)."""
    secret: bool = False
    updated_at: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """One page of executions, newest first; ``cursor`` fetches the next page (None: last)."""

    executions: tuple[ExecutionRow, ...]
    cursor: str | None = None


class Store(Protocol):
    """A durable home for executions and their journals (SQLite, PostgreSQL, memory)."""

    url: str
    """Where it is, as given to :func:`runtime.store.open_store` (secrets in it masked)."""

    def open(self) -> None:
        """Connect, and create or migrate the schema (in the thread that will use it)."""

    def close(self) -> None:
        """Release the connection (idempotent)."""

    def write(self, batch: Batch) -> None:
        """Apply ``batch`` in one transaction: all of it is durable, or none of it."""

    def execution(self, execution_id: str) -> ExecutionRow | None:
        """The execution ``execution_id``, or None."""

    def executions(self, *, status: str | None = None, workflow: str | None = None,
                   since: float | None = None, limit: int = 100,
                   cursor: str | None = None, parent: str | None = None) -> Page:
        """Executions newest first (by ``created_at``, then id), filtered (``parent``: the
        sub-workflows of that execution); paged by cursor."""

    def counts(self) -> dict[str, int]:
        """How many executions the store holds, by status value."""

    def execution_by_key(self, idempotency_key: str) -> ExecutionRow | None:
        """The execution requested with ``idempotency_key``, or None."""

    def entries(self, execution_id: str, after: int = 0) -> tuple[EntryRow, ...]:
        """The journal of ``execution_id``, in ``seq`` order (only ``seq > after``)."""

    def unfinished(self) -> tuple[ExecutionRow, ...]:
        """Executions whose status is in :data:`UNFINISHED`, oldest first."""

    def purge(self, *, finished_before: float) -> int:
        """Remove finished executions (and their journals) that finished before the time
        given; return how many."""

    def inquiry(self, inquiry_id: str) -> InquiryRow | None:
        """The inquiry ``inquiry_id``, or None."""

    def inquiries(self, *, status: str | None = None, execution: str | None = None,
                  limit: int = 100, cursor: str | None = None) -> InquiryPage:
        """Inquiries oldest first, filtered (``execution``: of that execution and its
        sub-workflows); paged by cursor."""

    def kv_get(self, scope: str, key: str) -> KvRow | None:
        """The key-value pair ``key`` of ``scope``, or None."""

    def kv_list(self, *, scope: str | None = None, prefix: str = "") -> tuple[KvRow, ...]:
        """Key-value pairs (of ``scope``, whose key starts with ``prefix``) by scope, key."""

    def kv_set(self, row: KvRow) -> None:
        """Write a key-value pair (replacing the one of its scope and key), in one
        transaction."""

    def kv_delete(self, scope: str, key: str) -> bool:
        """Remove a key-value pair; whether there was one."""
