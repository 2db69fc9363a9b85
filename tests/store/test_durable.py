"""What the durable stores (SQLite, PostgreSQL) add: reopening, and the versioned schema."""

from __future__ import annotations

import pytest

from runtime.errors import StoreError
from runtime.store import Batch, StatusUpdate
from runtime.store.schema import MIGRATIONS
from runtime.store.sql import SqlStore

from .conftest import Backend, open_backend
from .rows import entry, execution

EXTRA_STEP = ("CREATE TABLE notes (execution_id {key} NOT NULL, note TEXT NOT NULL)",
              "CREATE INDEX notes_by_execution ON notes (execution_id)")
BROKEN_STEP = ("CREATE TABLE half (x INTEGER)", "CREATE TABLE broken (")


def _knowing(backend: Backend, url: str,
             migrations: tuple[tuple[str, ...], ...]) -> SqlStore:
    """A store on ``url`` as code that knows ``migrations`` (not yet opened)."""
    base = type(open_backend(backend.name, url))
    later: SqlStore = type("Later", (base,), {"migrations": migrations})(url)
    backend.opened.append(later)
    return later


def _tables(store: SqlStore) -> set[str]:
    query = ("SELECT name FROM sqlite_master WHERE type = 'table'"
             if store.dialect.name == "sqlite" else
             "SELECT table_name FROM information_schema.tables "
             "WHERE table_schema = current_schema()")
    return {r[0] for r in store._query(query, ())}


def test_a_reopened_store_has_everything(durable: Backend) -> None:
    url = durable.make_url()
    store = durable.at(url)
    rows = tuple(execution(f"e{i}", created_at=float(i)) for i in range(5))
    store.write(Batch(executions=rows, entries=tuple(entry("e1", s) for s in (1, 2, 3))))
    store.write(Batch(updates=(StatusUpdate(execution_id="e2", status="succeeded",
                                            updated_at=9.0, finished_at=9.0, result="{}"),)))
    store.close()
    again = durable.at(url)
    assert again.execution("e0") == rows[0]
    assert [e.seq for e in again.entries("e1")] == [1, 2, 3]
    done = again.execution("e2")
    assert done is not None
    assert (done.status, done.result) == ("succeeded", "{}")
    assert [r.id for r in again.unfinished()] == ["e0", "e1", "e3", "e4"]
    again.write(Batch(entries=(entry("e1", 4),)))
    assert [e.seq for e in again.entries("e1")] == [1, 2, 3, 4]


def test_a_new_store_gets_the_whole_schema(durable: Backend) -> None:
    store = durable.new()
    assert isinstance(store, SqlStore)
    assert store.schema_version() == len(MIGRATIONS)
    assert {"schema_version", "executions", "entries"} <= _tables(store)


def test_opening_applies_only_the_migrations_a_store_lacks(durable: Backend) -> None:
    url = durable.make_url()
    store = durable.at(url)
    store.write(Batch(executions=(execution("a"),)))
    store.close()
    later = _knowing(durable, url, (*MIGRATIONS, EXTRA_STEP))
    later.open()
    assert later.schema_version() == len(MIGRATIONS) + 1
    assert "notes" in _tables(later)
    assert later.execution("a") == execution("a")
    later.close()
    later.open()  # nothing left to apply: the extra step does not run twice
    assert later.schema_version() == len(MIGRATIONS) + 1


def test_a_failing_migration_leaves_the_store_as_it_was(durable: Backend) -> None:
    url = durable.make_url()
    durable.at(url).close()
    broken = _knowing(durable, url, (*MIGRATIONS, EXTRA_STEP, BROKEN_STEP))
    with pytest.raises(StoreError) as raised:
        broken.open()
    assert raised.value.url == broken.url
    store = durable.at(url)
    assert isinstance(store, SqlStore)
    assert store.schema_version() == len(MIGRATIONS)
    assert _tables(store).isdisjoint({"notes", "half", "broken"})


def test_a_store_newer_than_the_code_refuses_to_open(durable: Backend) -> None:
    url = durable.make_url()
    later = _knowing(durable, url, (*MIGRATIONS, EXTRA_STEP))
    later.open()
    later.write(Batch(executions=(execution("a"),)))
    later.close()
    older = open_backend(durable.name, url)
    with pytest.raises(StoreError) as raised:
        older.open()
    assert raised.value.url == older.url
    with pytest.raises(StoreError):  # and it is not half open
        older.execution("a")
    later.open()
    assert later.schema_version() == len(MIGRATIONS) + 1
    assert later.execution("a") == execution("a")


def test_a_store_not_opened_says_so(durable: Backend) -> None:
    store = open_backend(durable.name, durable.make_url())
    with pytest.raises(StoreError) as raised:
        store.write(Batch(executions=(execution("a"),)))
    assert raised.value.url == store.url
    with pytest.raises(StoreError):
        store.executions()
