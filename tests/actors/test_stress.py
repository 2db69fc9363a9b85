"""Many executions at once, under a small worker budget, poked with pauses, resumes and
cancels at whatever moment the test thread gets to them.

No timing is asserted: every execution must end (succeeded, failed or canceled, as its
pokes and item outcomes allow), each with-items result must hold one entry per item, and
no worker permit may be left taken (the shared fixture checks that after the test).
"""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from actors.capacity import WORKERS
from runtime import set_worker_limit, start_workflow

pytestmark = pytest.mark.timeout(120)

ORQUESTA = """
version: 1.0
input: [n, c]
tasks:
  fan:
    with: {items: '{{ range(ctx("n")) | list }}', concurrency: '{{ ctx("c") }}'}
    action: test.item
    input: {i: '{{ item() }}'}
    retry: {count: 1}
    next:
      - when: '{{ completed() }}'
        do: after
  side:
    action: test.item
    input: {i: -1}
  after: {action: core.noop}
"""

ATTUNE = """
version: "1.0.0"
parameters:
  n: {type: integer}
  c: {type: integer}
tasks:
  - name: fan
    action: test.item
    with_items: "{{ range(parameters.n) }}"
    concurrency: "{{ parameters.c }}"
    input: {i: "{{ item }}"}
    next:
      - do: [after]
  - name: after
    action: core.noop
"""


def item(i: int) -> int:
    if i % 7 == 3:
        raise RuntimeError(f"item {i} fails")
    if i % 3 == 0:
        time.sleep(0.001)
    return i


@pytest.mark.parametrize("seed", range(16))
def test_executions_under_a_small_budget_always_end(seed: int) -> None:
    rng = random.Random(seed)
    old_limit = WORKERS.usage()[1]
    set_worker_limit(rng.choice([1, 2, 3, 5]))
    try:
        handles: list[tuple[Any, int]] = []
        for _ in range(rng.randint(3, 6)):
            n, c = rng.randint(0, 12), rng.randint(1, 4)
            text = rng.choice([ORQUESTA, ATTUNE])
            handles.append((start_workflow(text, {"n": n, "c": c},
                                           actions={"test.item": item}), n))
            for handle, _ in rng.sample(handles, k=min(2, len(handles))):
                poke = rng.choice(["none", "none", "pause-resume", "pause", "cancel", "force"])
                if poke == "pause-resume":
                    handle.pause()
                    handle.resume()
                elif poke == "pause":  # resumed below, once everything was started
                    handle.pause()
                elif poke == "cancel":
                    handle.cancel()
                elif poke == "force":
                    handle.cancel(force=True)
        for handle, _ in handles:
            handle.resume()
        for handle, n in handles:
            result = handle.wait(60)
            assert str(result.status) in ("succeeded", "failed", "canceled"), result.errors
            fan = [t for t in result.tasks if t.name == "fan"]
            if str(result.status) == "succeeded":
                assert fan and len(fan[0].result) == n
    finally:
        set_worker_limit(old_limit)
