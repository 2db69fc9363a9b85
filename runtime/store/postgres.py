"""The server store: a PostgreSQL database, through psycopg 3 (``postgresql://...``).

The URL is libpq's (``postgresql://user:password@host:port/dbname?option=value``; also
``postgres://``): everything libpq accepts works, e.g. ``sslmode=require`` or
``options=-csearch_path%3Dtroupe`` to keep the tables in a schema of their own. The store's
``url``, and every error it raises, show the URL with its password masked.

The schema is the SQLite store's (:mod:`runtime.store.schema`); bodies, parameters and
results are ``text``, not ``jsonb``: they come back byte for byte as written (``jsonb``
would reorder keys and drop duplicates) and cost no parsing on the write path. Migrations
take a transaction-level advisory lock, so two processes opening one database at once apply
them once.

A lost connection (a server restart, a failover, an ended session) is ridden out for 30 s
(:mod:`runtime.store.reconnect`).

Misuse: use the store from the thread that opened it only (one connection, never shared);
do not point two Troupe versions with different schemas at one database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from runtime.errors import StoreError

from . import schema
from .reconnect import Backoff
from .sql import Row, SqlStore

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

__all__ = ["PostgresStore", "mask_password"]

MIGRATION_LOCK = 7_300_011
"""The advisory lock key migrations hold (any constant: it only has to be the same)."""
MASK = "***"


def mask_password(url: str) -> str:
    """``url`` with its password (in the authority or a ``password=`` option) masked."""
    parts = urlsplit(url)
    netloc, query = parts.netloc, parts.query
    userinfo, at, hosts = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.partition(':')[0]}:{MASK}@{hosts}"
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(key == "password" for key, _ in pairs):
        query = urlencode([(k, MASK if k == "password" else v) for k, v in pairs], safe="*")
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    # By hand: urlunsplit would drop an empty authority (postgresql:///db).
    rest = url[len(parts.scheme) + 3 + len(parts.netloc):].partition("?")[0]
    return f"{parts.scheme}://{netloc}{rest}{'?' + query if query else ''}"


def _password(url: str) -> str | None:
    """The password the URL gives, if any."""
    parts = urlsplit(url)
    given = dict(parse_qsl(parts.query)).get("password")
    return given or parts.password


class _PgTx:
    """Statements in the open transaction of one connection."""

    def __init__(self, connection: psycopg.Connection[TupleRow]) -> None:
        self._connection = connection

    def run(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        cursor = self._connection.execute(sql, params)
        return cursor.fetchall() if cursor.description is not None else []

    def run_many(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        with self._connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    def count(self, sql: str, params: Sequence[object] = ()) -> int:
        return self._connection.execute(sql, params).rowcount


class PostgresStore(SqlStore):
    """Executions and journals in a PostgreSQL database."""

    dialect: ClassVar[schema.Dialect] = schema.Dialect(
        name="postgresql", key='TEXT COLLATE "C"',
        lock=f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
    backoff = Backoff()
    """A server restart, a failover or an ended session is ridden out for 30 s."""

    def __init__(self, url: str) -> None:
        super().__init__(mask_password(url))
        self._conninfo = url
        self._connection: psycopg.Connection[TupleRow] | None = None

    def _connect(self) -> None:
        try:
            import psycopg
        except ImportError as error:
            raise StoreError(url=self.url, problem=(
                f"PostgreSQL needs psycopg 3 ({error}): pip install 'psycopg[binary]'"
            )) from error
        # autocommit: reads are single statements; every write is an explicit transaction.
        self._connection = psycopg.connect(self._conninfo, autocommit=True)

    def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    @contextmanager
    def _begin(self) -> Iterator[_PgTx]:
        connection = self._live()
        with connection.transaction():
            yield _PgTx(connection)

    def _read(self, sql: str, params: Sequence[object]) -> list[Row]:
        return self._live().execute(sql, params).fetchall()

    def _error_types(self) -> tuple[type[Exception], ...]:
        try:
            import psycopg
        except ImportError:  # _connect says so
            return ()
        return (psycopg.Error,)

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s")

    def _scrub(self, text: str) -> str:
        password = _password(self._conninfo)
        if not password:
            return text
        return text.replace(password, MASK).replace(unquote(password), MASK)

    def _lost(self) -> bool:
        connection = self._connection
        return self._open and (connection is None or connection.broken or connection.closed)

    def _live(self) -> psycopg.Connection[TupleRow]:
        if self._connection is None:
            raise StoreError(url=self.url, problem="the store is not open (call open() first)")
        return self._connection
