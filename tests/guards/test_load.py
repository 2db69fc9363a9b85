"""Load: many executions of many items each, started at once in one process, all finish;
the number of threads stays bounded (the worker budget and one supervisor per live
execution, never one per item) and
nothing deadlocks (on a timeout, faulthandler dumps every thread's stack).

The issue's size, 500 executions of 50 items, runs in the default suite (about 10 s on an
idle 2-core machine); ``TROUPE_LONG=1`` runs 2,000.
"""

from __future__ import annotations

import faulthandler
import os
import sys
import threading
from collections.abc import Iterator

import pytest

from actors.capacity import WORKERS
from runtime import set_worker_limit, start_workflow

LONG = os.environ.get("TROUPE_LONG") == "1"
EXECUTIONS = 2000 if LONG else 500
ITEMS = 50
DEADLINE = 900 if LONG else 300

pytestmark = pytest.mark.timeout(DEADLINE + 60)

WORKFLOW = """
version: 1.0
input: [n, k]
tasks:
  fan:
    with: '{{ range(ctx("n")) | list }}'
    action: load.item
    input: {i: '{{ item() }}', k: '{{ ctx("k") }}'}
    next: [{publish: [{total: '{{ result() | sum }}'}]}]
output: [{total: '{{ ctx("total") }}'}]
"""


def item(i: int, k: int) -> int:
    return i + k


WORKER_LIMIT = 64


@pytest.fixture
def small_budget() -> Iterator[None]:
    old_limit = WORKERS.usage()[1]
    set_worker_limit(WORKER_LIMIT)
    yield
    set_worker_limit(old_limit)


@pytest.fixture
def stacks_on_hang() -> Iterator[None]:
    """Dump every thread's stack if the test is still running at its deadline."""
    faulthandler.dump_traceback_later(DEADLINE, exit=False, file=sys.stderr)
    yield
    faulthandler.cancel_dump_traceback_later()


def test_many_executions_of_many_items_at_once_finish_with_bounded_threads(
        stacks_on_hang: None, small_budget: None) -> None:
    before = threading.active_count()
    peak = [before]

    handles = []
    for k in range(EXECUTIONS):
        handle = start_workflow(WORKFLOW, parameters={"n": ITEMS, "k": k},
                                actions={"load.item": item})
        handles.append(handle)
        peak[0] = max(peak[0], threading.active_count())
    results = []
    for handle in handles:
        results.append(handle.wait(timeout=DEADLINE))
        peak[0] = max(peak[0], threading.active_count())
    assert [r.status for r in results] == ["succeeded"] * EXECUTIONS, [
        r.errors for r in results if r.status != "succeeded"][:3]
    expected = [sum(range(ITEMS)) + ITEMS * k for k in range(EXECUTIONS)]
    assert [r.output["total"] for r in results] == expected
    # the worker budget's threads plus (at most) one per live execution: never one per item
    # (25,000 items), and never more than the budget for the items themselves
    assert peak[0] - before <= WORKER_LIMIT + EXECUTIONS + 16, peak[0]
