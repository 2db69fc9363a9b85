"""What the SQL stores share: the store's semantics written once, over a small backend API.

:class:`SqlStore` implements :class:`~runtime.store.base.Store` (migrations at open, one
transaction per batch, paging, purge) in terms of a connection a backend provides: it opens
one (:meth:`SqlStore._connect`), runs statements in a transaction (:meth:`SqlStore._begin`,
which yields a :class:`Tx`) or alone (:meth:`SqlStore._read`), and names the exceptions of
its driver (:meth:`SqlStore._error_types`), which become :class:`~runtime.errors.StoreError` here.

Misuse: a backend never commits anywhere but at the end of :meth:`SqlStore._begin`; use a
store from the thread that opened it only (the drivers refuse, or are not safe, otherwise).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar, Protocol, TypeVar

from runtime.errors import StoreError

from . import schema
from .base import UNFINISHED, Batch, EntryRow, ExecutionRow, InquiryPage, InquiryRow, KvRow, Page
from .paging import decode_cursor, inquiry_page_of, page_of
from .reconnect import Backoff, retrying

__all__ = ["SqlStore", "Tx"]

Row = tuple[Any, ...]
T = TypeVar("T")


class Tx(Protocol):
    """Statements inside one transaction."""

    def run(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Run one statement; its rows (none for a statement that returns none)."""

    def run_many(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        """Run one statement once per parameter row."""

    def count(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run one statement; how many rows it changed."""


class SqlStore(ABC):
    """A store in a SQL database; subclasses connect to one."""

    dialect: ClassVar[schema.Dialect]
    migrations: ClassVar[tuple[tuple[str, ...], ...]] = schema.MIGRATIONS
    """The migrations this store applies (a test may give a longer list)."""
    backoff: Backoff = Backoff(within=0.0)
    """How long a lost connection is ridden out (:mod:`runtime.store.reconnect`); a store
    whose connection cannot be lost (a file) never retries."""
    def __init__(self, url: str) -> None:
        self.url = url
        self._open = False

    # --- what a backend provides -------------------------------------------------------

    @abstractmethod
    def _connect(self) -> None:
        """Open the connection."""

    @abstractmethod
    def _disconnect(self) -> None:
        """Close the connection (it is open)."""

    @abstractmethod
    def _begin(self) -> AbstractContextManager[Tx]:
        """A transaction that takes the write lock at once; committed when the block ends
        normally, rolled back when it raises."""

    @abstractmethod
    def _read(self, sql: str, params: Sequence[object]) -> list[Row]:
        """Rows of one query, outside any write transaction."""

    @abstractmethod
    def _error_types(self) -> tuple[type[Exception], ...]:
        """The exceptions of the driver (they become :class:`StoreError`)."""

    def _sql(self, statement: str) -> str:
        """``statement`` in the driver's parameter style."""
        return statement

    # --- the Store --------------------------------------------------------------------

    def open(self) -> None:
        """Connect, and create the schema or apply the migrations it lacks."""
        if self._open:
            return
        with self._guard("cannot open"):
            self._connect()
            self._open = True
            try:
                self._migrate()
            except BaseException:
                self.close()
                raise

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._open:
            self._open = False
            with self._guard("cannot close"):
                self._disconnect()

    def schema_version(self) -> int:
        """The version of the schema in the store (the number of migrations applied)."""
        rows = self._query(schema.CURRENT_VERSION, ())
        return int(rows[0][0])

    def write(self, batch: Batch) -> None:
        """Apply ``batch`` in one transaction: all of it is committed, or nothing.

        After a lost connection the store reconnects and writes the batch again, unless its
        commit went through before the connection died (then it is not written twice).
        """
        if not batch:
            return

        def attempt(again: bool) -> None:
            if not (again and self._committed(batch)):
                self._write_once(batch)

        self._retrying(attempt)

    def _write_once(self, batch: Batch) -> None:
        with self._guard("cannot write"), self._transaction() as tx:
            if batch.executions:
                tx.run_many(self._sql(schema.UPSERT_EXECUTION),
                            [_execution_params(r) for r in batch.executions])
            if batch.entries:
                tx.run_many(self._sql(schema.INSERT_ENTRY),
                            [(e.execution_id, e.seq, e.kind, e.body, e.at)
                             for e in batch.entries])
            if batch.updates:
                tx.run_many(self._sql(schema.UPDATE_STATUS),
                            [(u.status, u.updated_at, u.finished_at, u.result, u.execution_id)
                             for u in batch.updates])
            if batch.inquiries:
                tx.run_many(self._sql(schema.UPSERT_INQUIRY),
                            [(i.id, i.execution_id, i.status, i.opened_at, i.updated_at,
                              i.body) for i in batch.inquiries])

    def _committed(self, batch: Batch) -> bool:
        """Whether ``batch`` is in the store already (its last entry is: one transaction)."""
        if not batch.entries:
            return False  # executions and status updates alone are safe to write again
        last = batch.entries[-1]
        with self._guard("cannot read"):
            return bool(self._read(self._sql(schema.ENTRY_EXISTS), (last.execution_id, last.seq)))

    def execution(self, execution_id: str) -> ExecutionRow | None:
        """The execution ``execution_id``, or None."""
        rows = self._query(schema.SELECT_EXECUTION, (execution_id,))
        return _execution(rows[0]) if rows else None

    def executions(self, *, status: str | None = None, workflow: str | None = None,
                   since: float | None = None, limit: int = 100,
                   cursor: str | None = None, parent: str | None = None) -> Page:
        """Executions newest first (by ``created_at``, then id), filtered; paged by cursor."""
        if limit <= 0:
            return Page(executions=())
        params: list[object] = [v for v in (status, workflow, since, parent) if v is not None]
        if cursor is not None:
            at, execution_id = decode_cursor(cursor)
            params += [at, at, execution_id]
        statement = schema.select_executions(
            status=status is not None, workflow=workflow is not None,
            since=since is not None, parent=parent is not None, after=cursor is not None)
        rows = self._query(statement, (*params, limit + 1))
        return page_of((_execution(r) for r in rows), limit, None)

    def execution_by_key(self, idempotency_key: str) -> ExecutionRow | None:
        """The execution requested with ``idempotency_key``, or None."""
        rows = self._query(schema.SELECT_EXECUTION_BY_KEY, (idempotency_key,))
        return _execution(rows[0]) if rows else None

    def counts(self) -> dict[str, int]:
        """How many executions the store holds, by status value."""
        return {str(r[0]): int(r[1]) for r in self._query(schema.COUNT_BY_STATUS, ())}

    def entries(self, execution_id: str, after: int = 0) -> tuple[EntryRow, ...]:
        """The journal of ``execution_id``, in ``seq`` order (only ``seq > after``)."""
        rows = self._query(schema.SELECT_ENTRIES, (execution_id, after))
        return tuple(EntryRow(execution_id=r[0], seq=r[1], kind=r[2], body=r[3], at=r[4])
                     for r in rows)

    def unfinished(self) -> tuple[ExecutionRow, ...]:
        """Executions whose status is in :data:`UNFINISHED`, oldest first."""
        rows = self._query(schema.select_unfinished(len(UNFINISHED)), UNFINISHED)
        return tuple(_execution(r) for r in rows)

    def purge(self, *, finished_before: float) -> int:
        """Remove the executions that finished before ``finished_before`` and their journals,
        in one transaction; how many executions."""
        with self._guard("cannot purge"), self._transaction() as tx:
            tx.run(self._sql(schema.DELETE_ENTRIES), (finished_before,))
            tx.run(self._sql(schema.DELETE_INQUIRIES), (finished_before,))
            return tx.count(self._sql(schema.DELETE_EXECUTIONS), (finished_before,))

    def inquiry(self, inquiry_id: str) -> InquiryRow | None:
        """The inquiry ``inquiry_id``, or None."""
        rows = self._query(schema.SELECT_INQUIRY, (inquiry_id,))
        return _inquiry(rows[0]) if rows else None

    def inquiries(self, *, status: str | None = None, execution: str | None = None,
                  limit: int = 100, cursor: str | None = None) -> InquiryPage:
        """Inquiries oldest first (by ``opened_at``, then id), filtered; paged by cursor."""
        if limit <= 0:
            return InquiryPage(inquiries=())
        params: list[object] = [] if status is None else [status]
        if execution is not None:
            params += [execution, execution + ".", execution + "/"]
        if cursor is not None:
            at, inquiry_id = decode_cursor(cursor)
            params += [at, at, inquiry_id]
        statement = schema.select_inquiries(status=status is not None,
                                            execution=execution is not None,
                                            after=cursor is not None)
        rows = self._query(statement, (*params, limit + 1))
        return inquiry_page_of((_inquiry(r) for r in rows), limit, None)

    def kv_get(self, scope: str, key: str) -> KvRow | None:
        """The key-value pair ``key`` of ``scope``, or None."""
        rows = self._query(schema.KV_SELECT, (scope, key))
        return _kv(rows[0]) if rows else None

    def kv_list(self, *, scope: str | None = None, prefix: str = "") -> tuple[KvRow, ...]:
        """Key-value pairs (of ``scope``, whose key starts with ``prefix``) by scope, key."""
        rows = self._query(schema.kv_select_all(scope=scope is not None),
                           () if scope is None else (scope,))
        return tuple(_kv(r) for r in rows if str(r[1]).startswith(prefix))

    def kv_set(self, row: KvRow) -> None:
        """Write a key-value pair, replacing the one of its scope and key."""
        with self._guard("cannot write"), self._transaction() as tx:
            tx.run(self._sql(schema.KV_UPSERT),
                   (row.scope, row.key, row.value, int(row.secret), row.updated_at))

    def kv_delete(self, scope: str, key: str) -> bool:
        """Remove a key-value pair; whether there was one."""
        with self._guard("cannot write"), self._transaction() as tx:
            return tx.count(self._sql(schema.KV_DELETE), (scope, key)) > 0

    # --- inside -----------------------------------------------------------------------

    def _migrate(self) -> None:
        """Apply the migrations the store lacks, all in one transaction."""
        render = self.dialect.render
        with self._begin() as tx:
            if self.dialect.lock is not None:
                tx.run(self.dialect.lock)
            tx.run(render(schema.VERSION_TABLE))
            current = int(tx.run(schema.CURRENT_VERSION)[0][0])
            known = len(self.migrations)
            if current > known:
                raise StoreError(url=self.url, problem=(
                    f"schema version {current} is newer than this Troupe knows ({known}): "
                    "open it with a newer Troupe"))
            for version in range(current + 1, known + 1):
                for statement in self.migrations[version - 1]:
                    tx.run(render(statement))
                tx.run(self._sql(schema.RECORD_VERSION), (version, time.time()))

    def _transaction(self) -> AbstractContextManager[Tx]:
        self._ensure_open()
        return self._begin()

    def _query(self, statement: str, params: Sequence[object]) -> list[Row]:
        def attempt(_again: bool) -> list[Row]:
            self._ensure_open()
            with self._guard("cannot read"):
                return self._read(self._sql(statement), params)

        return self._retrying(attempt)

    def _retrying(self, call: Callable[[bool], T]) -> T:
        return retrying(call, lost=self._lost, reconnect=self._reconnect,
                        backoff=self.backoff, url=self.url)

    def _lost(self) -> bool:
        """Whether the store is open but its connection is gone (then it reconnects)."""
        return False

    def _reconnect(self) -> None:
        """Drop the dead connection and open a new one."""
        with self._guard("cannot reconnect"):
            self._disconnect()
            self._connect()

    def _ensure_open(self) -> None:
        if not self._open:
            raise StoreError(url=self.url, problem="the store is not open (call open() first)")

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        """The driver's errors as :class:`StoreError`."""
        try:
            yield
        except self._error_types() as error:
            problem = self._scrub(f"{what}: {type(error).__name__}: {error}")
            raise StoreError(url=self.url, problem=problem) from error

    def _scrub(self, text: str) -> str:
        """``text`` without the secrets of the store's URL (a driver's message may quote it)."""
        return text


def _execution_params(row: ExecutionRow) -> tuple[object, ...]:
    return tuple(getattr(row, column) for column in schema.EXECUTION_COLUMNS)


def _execution(row: Row) -> ExecutionRow:
    return ExecutionRow(**dict(zip(schema.EXECUTION_COLUMNS, row, strict=True)))


def _inquiry(row: Row) -> InquiryRow:
    return InquiryRow(id=row[0], execution_id=row[1], status=row[2], opened_at=float(row[3]),
                      updated_at=float(row[4]), body=row[5])


def _kv(row: Row) -> KvRow:
    return KvRow(scope=row[0], key=row[1], value=row[2], secret=bool(row[3]),
                 updated_at=float(row[4]))
