"""The SQLite store's own promises: its URL, a private file, WAL, one thread, no waiting
forever on a lock."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.errors import StoreError
from runtime.store import Batch, SqliteStore, default_store_url, open_store
from runtime.store.sqlite import DEFAULT_BUSY_TIMEOUT_MS, parse_sqlite_url

from .rows import entry, execution


@pytest.fixture
def opened() -> Iterator[list[SqliteStore]]:
    stores: list[SqliteStore] = []
    yield stores
    for store in stores:
        store.close()


def _open(url: str, opened: list[SqliteStore]) -> SqliteStore:
    store = open_store(url)
    assert isinstance(store, SqliteStore)
    store.open()
    opened.append(store)
    return store


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_file_and_its_wal_are_private_whatever_the_umask(
        tmp_path: Path, opened: list[SqliteStore]) -> None:
    path = tmp_path / "deep" / "er" / "troupe.db"
    previous = os.umask(0)
    try:
        store = _open(f"sqlite:///{path}", opened)
        store.write(Batch(executions=(execution("a"),), entries=(entry("a", 1),)))
    finally:
        os.umask(previous)
    assert _mode(path) == 0o600
    assert _mode(path.with_name("troupe.db-wal")) == 0o600
    assert _mode(path.with_name("troupe.db-shm")) == 0o600
    assert _mode(path.parent) == 0o700


def test_a_relative_path_is_relative_to_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened: list[SqliteStore]) -> None:
    monkeypatch.chdir(tmp_path)
    store = _open("sqlite:///data/t.db", opened)
    store.write(Batch(executions=(execution("a"),)))
    assert (tmp_path / "data" / "t.db").is_file()


def test_url_options(tmp_path: Path) -> None:
    plain = parse_sqlite_url(f"sqlite:///{tmp_path}/a.db")
    assert (plain.path, plain.synchronous, plain.busy_timeout_ms) == (
        tmp_path / "a.db", "full", DEFAULT_BUSY_TIMEOUT_MS)
    tuned = parse_sqlite_url("sqlite:///a.db?synchronous=NORMAL&busy_timeout=250")
    assert (tuned.path, tuned.synchronous, tuned.busy_timeout_ms) == (
        Path("a.db"), "normal", 250)
    assert default_store_url().startswith("sqlite:////")


@pytest.mark.parametrize("url", [
    "sqlite://host/a.db", "sqlite:///", "sqlite:///a.db?synchronous=off",
    "sqlite:///a.db?busy_timeout=-1", "sqlite:///a.db?busy_timeout=soon",
    "sqlite:///a.db?journal=delete",
])
def test_a_bad_url_is_a_store_error(url: str) -> None:
    with pytest.raises(StoreError) as raised:
        open_store(url)
    assert raised.value.url == url


@pytest.mark.parametrize(("option", "level"), [("", 2), ("?synchronous=normal", 1)])
def test_the_connection_is_wal_with_the_synchronous_level_asked(
        tmp_path: Path, opened: list[SqliteStore], option: str, level: int) -> None:
    path = tmp_path / "s.db"
    store = _open(f"sqlite:///{path}{option}", opened)
    assert store._live().execute("PRAGMA synchronous").fetchone()[0] == level
    with sqlite3.connect(path) as other:  # WAL is a property of the file
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()


def test_use_from_another_thread_raises_and_leaves_the_store_whole(
        tmp_path: Path, opened: list[SqliteStore]) -> None:
    store = _open(f"sqlite:///{tmp_path}/t.db", opened)
    store.write(Batch(executions=(execution("a"),)))
    raised: list[BaseException] = []

    def elsewhere() -> None:
        try:
            store.write(Batch(executions=(execution("b"),), entries=(entry("a", 1),)))
        except BaseException as error:
            raised.append(error)

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert [type(e) for e in raised] == [StoreError]
    assert store.execution("b") is None
    assert store.entries("a") == ()
    store.write(Batch(entries=(entry("a", 1),)))
    assert [e.seq for e in store.entries("a")] == [1]


def test_a_writer_held_up_by_another_process_gives_up_after_its_busy_timeout(
        tmp_path: Path, opened: list[SqliteStore]) -> None:
    path = tmp_path / "busy.db"
    store = _open(f"sqlite:///{path}?busy_timeout=0", opened)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError) as raised:
            store.write(Batch(executions=(execution("a"),)))
        assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
        assert store.executions().executions == ()  # readers are not blocked (WAL)
        other.execute("ROLLBACK")
    finally:
        other.close()
    store.write(Batch(executions=(execution("a"),)))
    assert store.execution("a") == execution("a")


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database, " * 100)
    store = open_store(f"sqlite:///{path}")
    with pytest.raises(StoreError) as raised:
        store.open()
    assert raised.value.url == store.url
    assert path.read_text() == "not a database, " * 100


def test_a_directory_that_cannot_be_made_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    store = open_store(f"sqlite:///{tmp_path}/file/sub/t.db")
    with pytest.raises(StoreError):
        store.open()
