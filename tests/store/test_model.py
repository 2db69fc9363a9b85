"""The durable stores against the memory store as the model: after the same writes, every
listing, page by page, and every journal are the same."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.status import WorkflowStatus
from runtime.store import Batch, EntryRow, ExecutionRow, MemoryStore, StatusUpdate, Store

from .conftest import Backend
from .rows import execution

STATUSES = [s.value for s in WorkflowStatus]
ids = st.text(alphabet="abcXYZ09-_", min_size=1, max_size=4)
times = st.sampled_from([1.0, 2.5, 3.0, 1e9 + 0.125, 1.7e9 + 1 / 3])

rows = st.builds(lambda i, w, s, c, f: execution(i, workflow=w, status=s, created_at=c,
                                                  finished_at=f),
                 ids, st.sampled_from(["w1", "w2", "ü"]), st.sampled_from(STATUSES), times,
                 st.none() | times)


@st.composite
def histories(draw: st.DrawFn) -> list[Batch | float]:
    """Batches of new executions, entries and updates, and purges (a float: before when)."""
    steps: list[Batch | float] = []
    written: list[str] = []
    seqs: dict[str, int] = {}
    for _ in range(draw(st.integers(1, 5))):
        if written and draw(st.integers(0, 5)) == 0:
            steps.append(draw(times))
            continue
        new = draw(st.lists(rows, max_size=12, unique_by=lambda r: r.id))
        written += [r.id for r in new]
        targets = draw(st.lists(st.sampled_from(written), max_size=6)) if written else []
        entries = []
        for target in targets:
            seqs[target] = seqs.get(target, 0) + 1
            entries.append(EntryRow(execution_id=target, seq=seqs[target], kind="K",
                                    body=draw(st.text(max_size=8).filter(
                                        lambda t: "\x00" not in t)), at=1.0))
        updates = [StatusUpdate(execution_id=t, status=draw(st.sampled_from(STATUSES)),
                                updated_at=draw(times), finished_at=draw(st.none() | times),
                                result=draw(st.none() | st.just('{"output": {}}')))
                   for t in draw(st.lists(st.sampled_from(written), max_size=3))
                   ] if written else []
        steps.append(Batch(executions=tuple(new), entries=tuple(entries),
                           updates=tuple(updates)))
    return steps


queries = st.fixed_dictionaries({}, optional={
    "status": st.sampled_from(STATUSES), "workflow": st.sampled_from(["w1", "w2", "ü"]),
    "since": times})


def _pages(store: Store, limit: int, filters: dict[str, Any]) -> list[tuple[ExecutionRow, ...]]:
    pages = []
    cursor = None
    while True:
        page = store.executions(limit=limit, cursor=cursor, **filters)
        pages.append(page.executions)
        cursor = page.cursor
        if cursor is None:
            return pages


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(history=histories(), limit=st.integers(1, 7), filters=queries)
def test_a_durable_store_lists_and_pages_as_the_model(
        durable: Backend, history: list[Batch | float], limit: int,
        filters: dict[str, Any]) -> None:
    model, store = MemoryStore(), durable.new()
    written: set[str] = set()
    for step in history:
        if isinstance(step, Batch):
            model.write(step)
            store.write(step)
            written |= {r.id for r in step.executions}
        else:
            assert store.purge(finished_before=step) == model.purge(finished_before=step)
    assert _pages(store, limit, filters) == _pages(model, limit, filters)
    assert store.unfinished() == model.unfinished()
    for execution_id in written:
        assert store.execution(execution_id) == model.execution(execution_id)
        assert store.entries(execution_id) == model.entries(execution_id)
    store.close()
