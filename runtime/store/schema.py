"""The SQL stores' schema: its migrations, in order, and the statements both backends run.

The schema has a version, the number of migrations applied; ``schema_version`` holds one row
per applied migration (``version``, ``applied_at``). :data:`MIGRATIONS` is the ordered list
of steps: step *n* (1-based) takes a store from version *n - 1* to *n*. A store applies the
steps it lacks in one transaction when it is opened, and refuses to open a store whose
version is higher than ``len(MIGRATIONS)`` (written by a newer Troupe).

Statements are written once for both backends; the few types that differ are named in braces
and filled from the backend's :class:`Dialect` (``{key}``: an id column, compared as bytes so
that ids sort as in Python; ``{real}``: a float of 8 bytes). Statements with parameters use
``?``; the PostgreSQL backend turns each into ``%s``.

Misuse: never edit a migration that has shipped (stores out there have applied it): append a
new one. Never put a ``?`` or a ``%`` in a statement other than as a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .base import UNFINISHED, ExecutionRow

__all__ = [
    "COUNT_BY_STATUS",
    "DELETE_ENTRIES",
    "DELETE_EXECUTIONS",
    "DELETE_INQUIRIES",
    "ENTRY_EXISTS",
    "EXECUTION_COLUMNS",
    "INSERT_ENTRY",
    "KV_DELETE",
    "KV_SELECT",
    "KV_UPSERT",
    "MIGRATIONS",
    "SELECT_ENTRIES",
    "SELECT_EXECUTION",
    "SELECT_EXECUTION_BY_KEY",
    "SELECT_INQUIRY",
    "UPDATE_STATUS",
    "UPSERT_EXECUTION",
    "UPSERT_INQUIRY",
    "Dialect",
    "kv_select_all",
    "select_executions",
    "select_inquiries",
    "select_unfinished",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Dialect:
    """What differs between the SQL backends."""

    name: str
    key: str
    """The type of id columns."""
    real: str = "DOUBLE PRECISION"
    lock: str | None = None
    """A statement that serialises migrations (run first in their transaction), if needed."""

    def render(self, statement: str) -> str:
        """``statement`` with this dialect's types filled in."""
        return statement.format(key=self.key, real=self.real)


VERSION_TABLE = ("CREATE TABLE IF NOT EXISTS schema_version "
                 "(version INTEGER PRIMARY KEY, applied_at {real} NOT NULL)")
CURRENT_VERSION = "SELECT COALESCE(MAX(version), 0) FROM schema_version"
RECORD_VERSION = "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: executions and their journals.
    (
        """CREATE TABLE executions (
            id {key} PRIMARY KEY,
            workflow TEXT NOT NULL,
            text TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            parameters TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at {real} NOT NULL,
            updated_at {real} NOT NULL,
            finished_at {real},
            parent {key},
            parent_task TEXT,
            base_dir TEXT,
            result TEXT
        )""",
        "CREATE INDEX executions_by_created ON executions (created_at, id)",
        "CREATE INDEX executions_by_status ON executions (status, created_at, id)",
        "CREATE INDEX executions_by_workflow ON executions (workflow, created_at, id)",
        "CREATE INDEX executions_by_finished ON executions (finished_at)",
        """CREATE TABLE entries (
            execution_id {key} NOT NULL,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            body TEXT NOT NULL,
            at {real} NOT NULL,
            PRIMARY KEY (execution_id, seq)
        )""",
    ),
    # 2: the idempotency key an execution was requested with (the HTTP API's), unique.
    (
        "ALTER TABLE executions ADD COLUMN idempotency_key TEXT",
        "CREATE UNIQUE INDEX executions_by_idempotency_key ON executions (idempotency_key)",
        "CREATE INDEX executions_by_parent ON executions (parent, created_at, id)",
    ),
    # 3: the key-value store (StackStorm's datastore, read by st2kv; docs/kv.md).
    (
        """CREATE TABLE kv (
            scope {key} NOT NULL,
            key {key} NOT NULL,
            value TEXT NOT NULL,
            secret INTEGER NOT NULL,
            updated_at {real} NOT NULL,
            PRIMARY KEY (scope, key)
        )""",
    ),
    # 4: the inquiries as shown, kept current (listed and paged without reading journals).
    (
        """CREATE TABLE inquiries (
            id {key} PRIMARY KEY,
            execution_id {key} NOT NULL,
            status TEXT NOT NULL,
            opened_at {real} NOT NULL,
            updated_at {real} NOT NULL,
            body TEXT NOT NULL
        )""",
        "CREATE INDEX inquiries_by_opened ON inquiries (opened_at, id)",
        "CREATE INDEX inquiries_by_status ON inquiries (status, opened_at, id)",
        "CREATE INDEX inquiries_by_execution ON inquiries (execution_id, opened_at, id)",
    ),
)
"""Step n takes the schema from version n - 1 to n."""

EXECUTION_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ExecutionRow))
_COLUMNS = ", ".join(EXECUTION_COLUMNS)
_UPSERT_SET = ", ".join(f"{c} = excluded.{c}" for c in EXECUTION_COLUMNS if c != "id")

UPSERT_EXECUTION = (
    f"INSERT INTO executions ({_COLUMNS}) VALUES ({', '.join('?' * len(EXECUTION_COLUMNS))}) "
    f"ON CONFLICT (id) DO UPDATE SET {_UPSERT_SET}"
)
"""A new execution; one written again replaces its row (its journal stays), as in memory."""

INSERT_ENTRY = "INSERT INTO entries (execution_id, seq, kind, body, at) VALUES (?, ?, ?, ?, ?)"

UPDATE_STATUS = (
    "UPDATE executions SET status = ?, updated_at = ?, "
    "finished_at = COALESCE(?, finished_at), result = COALESCE(?, result) WHERE id = ?"
)

SELECT_EXECUTION = f"SELECT {_COLUMNS} FROM executions WHERE id = ?"

COUNT_BY_STATUS = "SELECT status, COUNT(*) FROM executions GROUP BY status"

SELECT_EXECUTION_BY_KEY = f"SELECT {_COLUMNS} FROM executions WHERE idempotency_key = ?"

ENTRY_EXISTS = "SELECT 1 FROM entries WHERE execution_id = ? AND seq = ?"
"""Whether one entry is stored (a batch retried after a lost connection checks its last)."""

SELECT_ENTRIES = (
    "SELECT execution_id, seq, kind, body, at FROM entries WHERE execution_id = ? AND seq > ? "
    "ORDER BY seq"
)

_FINISHED_BEFORE = ("finished_at IS NOT NULL AND finished_at < ? AND status NOT IN ("
                    + ", ".join(f"'{status}'" for status in UNFINISHED) + ")")
"""Finished before the horizon, and finished now (a rerun keeps its first end time while
it runs again: it is not purged then)."""
DELETE_ENTRIES = (
    f"DELETE FROM entries WHERE execution_id IN (SELECT id FROM executions WHERE "
    f"{_FINISHED_BEFORE})"
)
DELETE_EXECUTIONS = f"DELETE FROM executions WHERE {_FINISHED_BEFORE}"


_KV_COLUMNS = "scope, key, value, secret, updated_at"
KV_SELECT = f"SELECT {_KV_COLUMNS} FROM kv WHERE scope = ? AND key = ?"
KV_UPSERT = (
    f"INSERT INTO kv ({_KV_COLUMNS}) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, "
    "secret = excluded.secret, updated_at = excluded.updated_at"
)
KV_DELETE = "DELETE FROM kv WHERE scope = ? AND key = ?"


_INQUIRY_COLUMNS = "id, execution_id, status, opened_at, updated_at, body"
UPSERT_INQUIRY = (
    f"INSERT INTO inquiries ({_INQUIRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET status = excluded.status, "
    "updated_at = excluded.updated_at, body = excluded.body")
SELECT_INQUIRY = f"SELECT {_INQUIRY_COLUMNS} FROM inquiries WHERE id = ?"
DELETE_INQUIRIES = (
    f"DELETE FROM inquiries WHERE execution_id IN (SELECT id FROM executions WHERE "
    f"{_FINISHED_BEFORE})")


def select_inquiries(*, status: bool, execution: bool, after: bool) -> str:
    """The inquiry page query, oldest first, with the filters given (``?`` each, in the
    order status; execution, its sub-workflows' lower and upper id bounds; the cursor's
    opened_at twice and id; then the row limit). Ids compare as bytes (``{key}``), so
    ``root.`` < a sub-workflow's id < ``root/`` selects the sub-workflows of ``root``."""
    where = [clause for clause, given in (
        ("status = ?", status),
        ("(execution_id = ? OR (execution_id > ? AND execution_id < ?))", execution),
        ("(opened_at > ? OR (opened_at = ? AND id > ?))", after),
    ) if given]
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    return (f"SELECT {_INQUIRY_COLUMNS} FROM inquiries{condition} "
            "ORDER BY opened_at, id LIMIT ?")


def kv_select_all(*, scope: bool) -> str:
    """Every key-value pair (of one scope: ``?``) by scope and key; the prefix is filtered
    by the caller (a LIKE pattern would need escaping of ``%`` and ``_``)."""
    condition = " WHERE scope = ?" if scope else ""
    return f"SELECT {_KV_COLUMNS} FROM kv{condition} ORDER BY scope, key"


def select_executions(*, status: bool, workflow: bool, since: bool,
                      after: bool, parent: bool = False) -> str:
    """The page query, newest first, with the filters that are given (``?`` each, in the
    order status, workflow, since, parent, cursor's created_at and id, then the row
    limit)."""
    where = [clause for clause, given in (
        ("status = ?", status),
        ("workflow = ?", workflow),
        ("created_at >= ?", since),
        ("parent = ?", parent),
        ("(created_at < ? OR (created_at = ? AND id < ?))", after),
    ) if given]
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    return (f"SELECT {_COLUMNS} FROM executions{condition} "
            "ORDER BY created_at DESC, id DESC LIMIT ?")


def select_unfinished(count: int) -> str:
    """Executions whose status is one of ``count`` given, oldest first."""
    marks = ", ".join("?" * count)
    return f"SELECT {_COLUMNS} FROM executions WHERE status IN ({marks}) ORDER BY created_at, id"
