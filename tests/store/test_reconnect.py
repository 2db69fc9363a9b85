"""A lost database connection is ridden out: the store reconnects and nothing is lost or
written twice (runtime/store/reconnect.py).

The PostgreSQL cases end the store's session from the server side (``pg_terminate_backend``,
what a restart, a failover or an administrator does to it); the policy itself is checked
with a fake clock.
"""

from __future__ import annotations

import queue
import textwrap
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from runtime import Engine
from runtime.errors import StoreError
from runtime.status import WorkflowStatus
from runtime.store import Batch, PostgresStore
from runtime.store.reconnect import Backoff, retrying

from .conftest import pg_dsn, pg_url
from .rows import entry, execution

# --- the policy -----------------------------------------------------------------------------


class FakeTime:
    """A clock that moves only when slept on."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _failing(times: int, log: list[bool]) -> Any:
    def call(again: bool) -> str:
        log.append(again)
        if len(log) <= times:
            raise StoreError(url="db", problem="connection lost")
        return "done"
    return call


def test_a_lost_connection_is_retried_after_a_reconnect_with_growing_waits() -> None:
    clock, calls, reconnects = FakeTime(), [], []
    result = retrying(_failing(3, calls), lost=lambda: True,
                      reconnect=lambda: reconnects.append(1),
                      backoff=Backoff(within=10, first=0.1, most=0.3), url="db",
                      sleep=clock.sleep, clock=lambda: clock.now)
    assert result == "done"
    assert calls == [False, True, True, True]  # told it runs again after a reconnect
    assert len(reconnects) == 3
    assert clock.slept == pytest.approx([0.1, 0.2, 0.3])


def test_an_error_that_is_not_a_lost_connection_is_raised_at_once() -> None:
    calls: list[bool] = []
    with pytest.raises(StoreError):
        retrying(_failing(1, calls), lost=lambda: False, reconnect=pytest.fail,
                 backoff=Backoff(), url="db", sleep=pytest.fail)
    assert calls == [False]


def test_the_last_error_is_raised_once_the_deadline_passes() -> None:
    clock, calls = FakeTime(), []

    def down() -> None:
        raise StoreError(url="db", problem="connection refused")

    with pytest.raises(StoreError) as raised:
        retrying(_failing(100, calls), lost=lambda: True, reconnect=down,
                 backoff=Backoff(within=1.0, first=0.25, most=0.25), url="db",
                 sleep=clock.sleep, clock=lambda: clock.now)
    assert raised.value.problem == "connection lost"
    assert clock.now <= 1.0
    assert len(calls) == 5  # at 0, 0.25, 0.5, 0.75 and 1.0 s


def test_a_store_that_cannot_lose_its_connection_never_waits() -> None:
    calls: list[bool] = []
    with pytest.raises(StoreError):
        retrying(_failing(1, calls), lost=lambda: True, reconnect=pytest.fail,
                 backoff=Backoff(within=0.0), url="db", sleep=pytest.fail)


# --- PostgreSQL -----------------------------------------------------------------------------


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, Any]]:
    """A fresh schema and an admin connection that can end other sessions."""
    import psycopg

    dsn = pg_dsn()
    schema = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield schema, admin
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def _url(schema: str) -> str:
    return pg_url(pg_dsn(), schema, application_name=schema)


def _end_sessions(admin: Any, schema: str) -> int:
    """End every session of the store under test, from the server side; how many."""
    rows = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE application_name = %s", (schema,)).fetchall()
    return len(rows)


def test_a_write_and_a_read_after_the_session_was_ended_reconnect(
        pg_schema: tuple[str, Any]) -> None:
    schema, admin = pg_schema
    store = PostgresStore(_url(schema))
    store.open()
    try:
        store.write(Batch(executions=(execution("a"),), entries=(entry("a", 1),)))
        assert _end_sessions(admin, schema) == 1
        store.write(Batch(entries=(entry("a", 2),)))
        assert _end_sessions(admin, schema) == 1
        assert [e.seq for e in store.entries("a")] == [1, 2]
    finally:
        store.close()


def test_a_batch_whose_commit_went_through_is_not_written_twice(
        pg_schema: tuple[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    schema, admin = pg_schema
    store = PostgresStore(_url(schema))
    store.open()
    real = PostgresStore._write_once
    lost_after_commit = [True]

    def commit_then_lose(self: PostgresStore, batch: Batch) -> None:
        real(self, batch)
        if lost_after_commit.pop():
            _end_sessions(admin, schema)
            with self._guard("cannot write"):  # the answer to the commit never arrives
                self._live().execute("SELECT 1")

    monkeypatch.setattr(PostgresStore, "_write_once", commit_then_lose)
    try:
        store.write(Batch(executions=(execution("a"),), entries=(entry("a", 1), entry("a", 2))))
        assert lost_after_commit == []  # the failure happened, and was ridden out
        assert [e.seq for e in store.entries("a")] == [1, 2]
    finally:
        store.close()


def test_a_store_that_stays_down_raises_after_its_deadline(
        pg_schema: tuple[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    schema, admin = pg_schema
    store = PostgresStore(_url(schema))
    store.backoff = Backoff(within=0.3, first=0.05, most=0.1)
    store.open()

    def refused(self: PostgresStore) -> None:
        raise StoreError(url=self.url, problem="connection refused")

    try:
        _end_sessions(admin, schema)
        monkeypatch.setattr(PostgresStore, "_connect", refused)
        with pytest.raises(StoreError):
            store.write(Batch(entries=(entry("a", 1),)))
    finally:
        monkeypatch.undo()
        store.close()


GATED = textwrap.dedent("""\
    version: 1.0
    tasks:
      first:
        action: t.gate
        next: [{do: fan}]
      fan:
        with: {items: '{{ range(20) | list }}', concurrency: 4}
        action: t.gate
""")


def test_an_engine_on_postgresql_rides_out_its_sessions_being_ended(
        pg_schema: tuple[str, Any]) -> None:
    schema, admin = pg_schema
    entered: queue.Queue[int] = queue.Queue()
    release: queue.Queue[None] = queue.Queue()

    def gate(**_: Any) -> int:
        entered.put(1)
        release.get(timeout=30)
        return 1

    with Engine(store=_url(schema), actions={"t.gate": gate}) as engine:
        handle = engine.start_workflow(GATED)
        entered.get(timeout=30)  # the first task runs: its start is journaled
        assert _end_sessions(admin, schema) >= 1
        for _ in range(21):
            release.put(None)
        result = handle.wait(timeout=60)
    assert result.status == WorkflowStatus.SUCCEEDED
    with Engine(store=_url(schema), actions={"t.gate": gate}) as again:
        stored = again.get(handle.execution_id).wait(timeout=10)
    assert stored.status == WorkflowStatus.SUCCEEDED
    assert len(next(t for t in stored.tasks if t.name == "fan").result) == 20
