"""What every store does, the same on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from runtime.errors import StoreError
from runtime.store import UNFINISHED, Batch, StatusUpdate

from .conftest import Backend
from .rows import entry, execution


def test_an_execution_and_its_journal_read_back_as_written(backend: Backend) -> None:
    store = backend.new()
    row = execution("e1", parent="p0", parent_task="sub", base_dir="/srv/flows")
    body = '{"z": 1, "a": [1.5, "é", null],  "z": 2}'  # order, spacing, a duplicate key
    store.write(Batch(executions=(row,), entries=(entry("e1", 1, body=body),)))
    assert store.execution("e1") == row
    assert store.entries("e1") == (entry("e1", 1, body=body),)
    assert store.execution("nobody") is None
    assert store.entries("nobody") == ()


def test_entries_come_back_in_seq_order_per_execution(backend: Backend) -> None:
    store = backend.new()
    store.write(Batch(executions=(execution("a"), execution("b"))))
    store.write(Batch(entries=(entry("a", 3), entry("b", 1), entry("a", 1))))
    store.write(Batch(entries=(entry("a", 2, kind="TimerArmed"), entry("b", 2))))
    assert [(e.seq, e.kind) for e in store.entries("a")] == [
        (1, "ActionCompleted"), (2, "TimerArmed"), (3, "ActionCompleted")]
    assert [e.seq for e in store.entries("b")] == [1, 2]


def test_a_batch_is_all_or_nothing(backend: Backend) -> None:
    """A batch with an entry written twice leaves nothing of itself, before or after it."""
    store = backend.new()
    store.write(Batch(executions=(execution("a"),), entries=(entry("a", 1),)))
    bad = Batch(executions=(execution("b"),),
                entries=(entry("b", 1), entry("a", 2), entry("a", 1, kind="Again")),
                updates=(StatusUpdate(execution_id="a", status="failed", updated_at=5.0),))
    with pytest.raises(StoreError) as raised:
        store.write(bad)
    assert raised.value.url == store.url
    assert store.execution("b") is None
    assert store.entries("b") == ()
    assert store.entries("a") == (entry("a", 1),)
    assert store.execution("a") == execution("a")
    in_one = Batch(executions=(execution("c"),), entries=(entry("c", 1), entry("c", 1)))
    with pytest.raises(StoreError):
        store.write(in_one)
    assert store.execution("c") is None
    store.write(Batch(entries=(entry("a", 2),)))  # the store goes on after a failed batch
    assert [e.seq for e in store.entries("a")] == [1, 2]


def test_an_empty_batch_writes_nothing(backend: Backend) -> None:
    store = backend.new()
    store.write(Batch())
    assert store.executions().executions == ()


def test_status_updates_and_results(backend: Backend) -> None:
    store = backend.new()
    store.write(Batch(executions=(execution("a"),)))
    store.write(Batch(updates=(StatusUpdate(execution_id="a", status="pausing",
                                            updated_at=1010.0),)))
    assert store.execution("a") == execution("a", status="pausing", updated_at=1010.0)
    done = StatusUpdate(execution_id="a", status="succeeded", updated_at=1020.0,
                        finished_at=1020.0, result='{"output": {"x": 1}, "errors": []}')
    store.write(Batch(updates=(done,)))
    # An update without a result or end keeps those it has.
    store.write(Batch(updates=(StatusUpdate(execution_id="a", status="succeeded",
                                            updated_at=1030.0),)))
    got = store.execution("a")
    assert got is not None
    assert (got.status, got.updated_at, got.finished_at, got.result) == (
        "succeeded", 1030.0, 1020.0, done.result)
    # An update of an unknown execution changes nothing.
    store.write(Batch(updates=(StatusUpdate(execution_id="nobody", status="failed",
                                            updated_at=1.0),)))
    assert store.execution("nobody") is None


def test_one_batch_creates_journals_and_updates_in_order(backend: Backend) -> None:
    """Executions, then entries, then updates: a batch may create and finish an execution."""
    store = backend.new()
    store.write(Batch(executions=(execution("a"),), entries=(entry("a", 1),),
                      updates=(StatusUpdate(execution_id="a", status="succeeded",
                                            updated_at=2.0, finished_at=2.0),)))
    got = store.execution("a")
    assert got is not None
    assert (got.status, got.finished_at) == ("succeeded", 2.0)


def test_an_execution_written_again_replaces_its_row_and_keeps_its_journal(
        backend: Backend) -> None:
    store = backend.new()
    store.write(Batch(executions=(execution("a"),), entries=(entry("a", 1),)))
    again = execution("a", status="paused", parameters="{}", updated_at=2000.0)
    store.write(Batch(executions=(again,)))
    assert store.execution("a") == again
    assert [e.seq for e in store.entries("a")] == [1]


def test_list_filters_by_status_workflow_and_since(backend: Backend) -> None:
    store = backend.new()
    rows = (execution("a", workflow="w1", status="running", created_at=10.0),
            execution("b", workflow="w2", status="succeeded", created_at=20.0),
            execution("c", workflow="w1", status="succeeded", created_at=30.0),
            execution("d", workflow="w1", status="running", created_at=40.0))
    store.write(Batch(executions=rows))

    def ids(**filters: object) -> list[str]:
        return [r.id for r in store.executions(**filters).executions]  # type: ignore[arg-type]

    assert ids() == ["d", "c", "b", "a"]
    assert ids(status="running") == ["d", "a"]
    assert ids(workflow="w1") == ["d", "c", "a"]
    assert ids(since=20.0) == ["d", "c", "b"]
    assert ids(status="succeeded", workflow="w1", since=25.0) == ["c"]
    assert ids(workflow="none") == []
    assert ids(limit=0) == []


def test_paging_goes_through_every_row_once_newest_first(backend: Backend) -> None:
    """Many rows, many with the same created_at: pages by cursor cover each row once; rows
    added meanwhile (newer) do not shift the pages."""
    store = backend.new()
    rows = tuple(execution(f"e{i:03d}", created_at=float(i // 4)) for i in range(103))
    store.write(Batch(executions=rows))
    seen: list[str] = []
    page = store.executions(limit=10)
    while True:
        seen += [r.id for r in page.executions]
        if page.cursor is None:
            break
        store.write(Batch(executions=(execution(f"new{len(seen)}", created_at=999.0),)))
        page = store.executions(limit=10, cursor=page.cursor)
    expected = sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)
    assert seen == [r.id for r in expected]


def test_a_last_full_page_has_no_cursor(backend: Backend) -> None:
    store = backend.new()
    store.write(Batch(executions=tuple(execution(f"e{i}", created_at=float(i))
                                       for i in range(4))))
    first = store.executions(limit=2)
    assert first.cursor is not None
    last = store.executions(limit=2, cursor=first.cursor)
    assert ([r.id for r in last.executions], last.cursor) == (["e1", "e0"], None)
    assert store.executions(limit=4).cursor is None


def test_unfinished_lists_what_recovery_continues_oldest_first(backend: Backend) -> None:
    store = backend.new()
    statuses = ["succeeded", "running", "failed", "paused", "canceled", "pausing",
                "canceling", "requested"]
    store.write(Batch(executions=tuple(
        execution(f"e{i}", status=s, created_at=100.0 - i) for i, s in enumerate(statuses))))
    got = store.unfinished()
    assert all(r.status in UNFINISHED for r in got)
    assert [r.id for r in got] == [f"e{i}" for i, s in reversed(list(enumerate(statuses)))
                                   if s in UNFINISHED]


def test_purge_removes_finished_executions_with_their_journals(backend: Backend) -> None:
    store = backend.new()
    store.write(Batch(
        executions=(execution("old", status="succeeded", finished_at=50.0),
                    execution("new", status="failed", finished_at=150.0),
                    execution("edge", status="failed", finished_at=100.0),
                    execution("live", status="running")),
        entries=(entry("old", 1), entry("old", 2), entry("new", 1), entry("live", 1))))
    assert store.purge(finished_before=100.0) == 1
    assert store.execution("old") is None
    assert store.entries("old") == ()
    assert {r.id for r in store.executions().executions} == {"new", "edge", "live"}
    assert [e.seq for e in store.entries("live")] == [1]
    assert store.purge(finished_before=100.0) == 0
    assert store.purge(finished_before=1e12) == 2
    assert [r.id for r in store.executions().executions] == ["live"]
    # A purged id's journal may start again (its entries are gone, not reserved).
    store.write(Batch(executions=(execution("old"),), entries=(entry("old", 1),)))
    assert [e.seq for e in store.entries("old")] == [1]


def test_a_closed_store_can_be_closed_again(backend: Backend) -> None:
    store = backend.new()
    store.close()
    store.close()
