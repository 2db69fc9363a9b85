"""The embedded store: one SQLite file, through the standard library (``sqlite:///PATH``).

``sqlite:///PATH`` names the file: what follows the third slash is the path, so
``sqlite:////var/lib/troupe.db`` is absolute and ``sqlite:///troupe.db`` is relative to the
working directory at :meth:`SqliteStore.open` (the path runs to the first ``?``, taken as
written, without percent-decoding). Options: ``synchronous=full`` (the default: a commit
survives a power loss) or ``synchronous=normal`` (a commit survives a crash of the process,
not of the machine), and ``busy_timeout=MS`` (how long a writer waits for another process's
lock, 5000 by default). The file runs in WAL mode, so readers never block the writer.

The file and its missing parent directories are created at open; a new file is created with
mode 0600 (it holds workflow parameters, secrets included), and SQLite gives its ``-wal`` and
``-shm`` files the same mode. An existing file keeps its mode.

Misuse: use the store from the thread that opened it only (sqlite3 raises otherwise, which
becomes a :class:`~runtime.errors.StoreError`); do not put the file on a network file
system (SQLite's locking, and so WAL, needs a local one).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qsl

from runtime.errors import StoreError

from . import schema
from .sql import Row, SqlStore

__all__ = ["SqliteOptions", "SqliteStore", "parse_sqlite_url"]

PREFIX = "sqlite:///"
SYNCHRONOUS = ("full", "normal")
DEFAULT_BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True, slots=True, kw_only=True)
class SqliteOptions:
    """What a ``sqlite:`` URL says."""

    path: Path
    synchronous: str = "full"
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS


def parse_sqlite_url(url: str) -> SqliteOptions:
    """The path and options of a ``sqlite:///PATH[?option=value&...]`` URL."""
    if not url.lower().startswith(PREFIX):
        raise StoreError(url=url, problem="a SQLite URL is sqlite:///PATH (three slashes)")
    path, _, query = url[len(PREFIX):].partition("?")
    if not path:
        raise StoreError(url=url, problem="the URL names no file (sqlite:///PATH)")
    options = dict(parse_qsl(query, keep_blank_values=True))
    unknown = sorted(set(options) - {"synchronous", "busy_timeout"})
    if unknown:
        raise StoreError(url=url, problem=f"unknown option(s) {', '.join(unknown)} "
                         "(synchronous, busy_timeout)")
    synchronous = options.get("synchronous", "full").lower()
    if synchronous not in SYNCHRONOUS:
        raise StoreError(url=url, problem=f"synchronous={synchronous}: full or normal")
    timeout = options.get("busy_timeout", str(DEFAULT_BUSY_TIMEOUT_MS))
    if not timeout.isdigit():
        raise StoreError(url=url, problem=f"busy_timeout={timeout}: milliseconds, 0 or more")
    return SqliteOptions(path=Path(path), synchronous=synchronous,
                         busy_timeout_ms=int(timeout))


class _SqliteTx:
    """Statements in the open transaction of one connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def run(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return self._connection.execute(sql, params).fetchall()

    def run_many(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        self._connection.executemany(sql, rows)

    def count(self, sql: str, params: Sequence[object] = ()) -> int:
        return self._connection.execute(sql, params).rowcount


class SqliteStore(SqlStore):
    """Executions and journals in a SQLite file (WAL, one writer at a time)."""

    dialect: ClassVar[schema.Dialect] = schema.Dialect(name="sqlite", key="TEXT")

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.options = parse_sqlite_url(url)
        self._connection: sqlite3.Connection | None = None

    @property
    def path(self) -> Path:
        """The file, as the URL names it (relative to the working directory if relative)."""
        return self.options.path

    def _connect(self) -> None:
        path = self.options.path
        if not path.parent.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Created here, not by sqlite3, so that it is private from its first byte.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        # isolation_level=None: no implicit transactions; _begin opens each one explicitly.
        connection = sqlite3.connect(path, timeout=self.options.busy_timeout_ms / 1000,
                                     isolation_level=None)
        try:
            mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(url=self.url, problem=f"cannot use WAL (journal mode {mode})")
            connection.execute(f"PRAGMA synchronous={self.options.synchronous.upper()}")
            connection.execute(f"PRAGMA busy_timeout={self.options.busy_timeout_ms}")
        except BaseException:
            connection.close()
            raise
        self._connection = connection

    def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    @contextmanager
    def _begin(self) -> Iterator[_SqliteTx]:
        connection = self._live()
        # IMMEDIATE: take the write lock now (waiting up to busy_timeout), never midway.
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield _SqliteTx(connection)
        except BaseException:
            connection.rollback()
            raise
        connection.commit()

    def _error_types(self) -> tuple[type[Exception], ...]:
        return (sqlite3.Error, OSError)

    def _read(self, sql: str, params: Sequence[object]) -> list[Row]:
        return self._live().execute(sql, params).fetchall()

    def _live(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StoreError(url=self.url, problem="the store is not open (call open() first)")
        return self._connection
