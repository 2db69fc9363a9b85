"""The idempotency key of an execution, its sub-workflow listing and the counts by status,
the same on memory, SQLite and PostgreSQL; and a store of schema version 1 migrated."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from runtime.errors import StoreError
from runtime.store import Batch, SqliteStore, StatusUpdate
from runtime.store.schema import MIGRATIONS

from .conftest import Backend
from .rows import entry, execution


def test_an_execution_is_found_by_its_idempotency_key(backend: Backend) -> None:
    store = backend.new()
    store.write(Batch(executions=(execution("a", idempotency_key="k-1"), execution("b"))))
    assert store.execution_by_key("k-1") == execution("a", idempotency_key="k-1")
    assert store.execution_by_key("k-2") is None
    assert store.execution("b") == execution("b")


def test_a_key_is_unique_and_a_batch_reusing_it_writes_nothing(backend: Backend) -> None:
    store = backend.new()
    store.write(Batch(executions=(execution("a", idempotency_key="k"),)))
    with pytest.raises(StoreError):
        store.write(Batch(executions=(execution("b", idempotency_key="k"),),
                          entries=(entry("b", 1),)))
    assert store.execution("b") is None
    assert store.entries("b") == ()
    with pytest.raises(StoreError):  # twice in one batch too
        store.write(Batch(executions=(execution("c", idempotency_key="j"),
                                      execution("d", idempotency_key="j"))))
    assert store.execution_by_key("j") is None
    store.write(Batch(executions=(execution("e"), execution("f"))))  # no key: no limit
    assert store.execution("f") == execution("f")


def test_a_purged_execution_frees_its_key(backend: Backend) -> None:
    store = backend.new()
    store.write(Batch(executions=(execution("a", idempotency_key="k"),)))
    store.write(Batch(updates=(StatusUpdate(execution_id="a", status="succeeded",
                                            updated_at=1001.0, finished_at=1001.0),)))
    assert store.purge(finished_before=2000.0) == 1
    assert store.execution_by_key("k") is None
    store.write(Batch(executions=(execution("b", idempotency_key="k"),)))
    assert store.execution_by_key("k") == execution("b", idempotency_key="k")


def test_entries_after_a_seq(backend: Backend) -> None:
    store = backend.new()
    store.write(Batch(executions=(execution("a"),),
                      entries=tuple(entry("a", n) for n in (1, 2, 3, 4))))
    assert [e.seq for e in store.entries("a", 2)] == [3, 4]
    assert store.entries("a", 4) == ()
    assert [e.seq for e in store.entries("a")] == [1, 2, 3, 4]


def test_children_of_a_parent_and_counts_by_status(backend: Backend) -> None:
    store = backend.new()
    store.write(Batch(executions=(
        execution("p", created_at=1.0), execution("c1", parent="p", created_at=2.0),
        execution("c2", parent="p", created_at=3.0, status="succeeded"),
        execution("x", parent="other", created_at=4.0))))
    assert [r.id for r in store.executions(parent="p").executions] == ["c2", "c1"]
    page = store.executions(parent="p", limit=1)
    assert [r.id for r in page.executions] == ["c2"]
    assert [r.id for r in store.executions(parent="p", cursor=page.cursor).executions] == [
        "c1"]
    assert [r.id for r in store.executions(parent="p", status="running").executions] == [
        "c1"]
    assert store.counts() == {"running": 3, "succeeded": 1}


def test_a_version_1_sqlite_store_gets_the_key_column(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                       "applied_at DOUBLE PRECISION NOT NULL)")
    for statement in MIGRATIONS[0]:
        connection.execute(statement.format(key="TEXT", real="DOUBLE PRECISION"))
    connection.execute("INSERT INTO schema_version VALUES (1, 0)")
    connection.execute(
        "INSERT INTO executions (id, workflow, text, text_hash, parameters, status, "
        "created_at, updated_at) VALUES ('old', 'w', 't', 'h', '{}', 'running', 1, 1)")
    connection.commit()
    connection.close()
    store = SqliteStore(f"sqlite:///{path}")
    store.open()
    try:
        assert store.schema_version() == len(MIGRATIONS)
        old = store.execution("old")
        assert old is not None and old.idempotency_key is None
        store.write(Batch(executions=(execution("new", idempotency_key="k"),)))
        assert store.execution_by_key("k") == execution("new", idempotency_key="k")
    finally:
        store.close()
