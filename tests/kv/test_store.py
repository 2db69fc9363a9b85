"""The ``kv`` table of every store (memory, SQLite, PostgreSQL): set, get, list, delete."""

from __future__ import annotations

import pytest

from runtime.store import KvRow
from runtime.store.schema import MIGRATIONS
from tests.store.conftest import Backend

pytestmark = pytest.mark.timeout(60)


def row(key: str, value: str = "v", *, scope: str = "system", secret: bool = False,
        at: float = 1.0) -> KvRow:
    return KvRow(scope=scope, key=key, value=value, secret=secret, updated_at=at)


def test_a_pair_reads_back_as_written(backend: Backend) -> None:
    store = backend.new()
    store.kv_set(row("a", "hello"))
    store.kv_set(row("alice:b", "tok", scope="user", secret=True, at=2.5))
    assert store.kv_get("system", "a") == row("a", "hello")
    assert store.kv_get("user", "alice:b") == row("alice:b", "tok", scope="user",
                                                 secret=True, at=2.5)
    assert store.kv_get("user", "a") is None
    assert store.kv_get("system", "nope") is None


def test_setting_again_replaces_the_value(backend: Backend) -> None:
    store = backend.new()
    store.kv_set(row("a", "one"))
    store.kv_set(row("a", "two", secret=True, at=3.0))
    assert store.kv_get("system", "a") == row("a", "two", secret=True, at=3.0)
    assert len(store.kv_list()) == 1


def test_list_is_ordered_and_filtered_by_scope_and_prefix(backend: Backend) -> None:
    store = backend.new()
    for key in ("b", "a_1", "a%2", "ab"):
        store.kv_set(row(key))
    store.kv_set(row("alice:a", scope="user"))
    assert [(r.scope, r.key) for r in store.kv_list()] == [
        ("system", "a%2"), ("system", "a_1"), ("system", "ab"), ("system", "b"),
        ("user", "alice:a")]
    assert [r.key for r in store.kv_list(scope="user")] == ["alice:a"]
    # % and _ are plain characters of a prefix (no LIKE pattern)
    assert [r.key for r in store.kv_list(prefix="a_")] == ["a_1"]
    assert [r.key for r in store.kv_list(prefix="a%")] == ["a%2"]
    assert store.kv_list(scope="system", prefix="z") == ()


def test_delete_says_whether_there_was_a_pair(backend: Backend) -> None:
    store = backend.new()
    store.kv_set(row("a"))
    assert store.kv_delete("system", "a") is True
    assert store.kv_delete("system", "a") is False
    assert store.kv_get("system", "a") is None


def test_pairs_survive_a_reopen_and_the_schema_has_the_kv_step(durable: Backend) -> None:
    url = durable.make_url()
    first = durable.at(url)
    first.kv_set(row("kept", "yes"))
    first.close()
    again = durable.at(url)
    assert again.kv_get("system", "kept") == row("kept", "yes")
    assert again.schema_version() == len(MIGRATIONS) >= 3  # type: ignore[attr-defined]
