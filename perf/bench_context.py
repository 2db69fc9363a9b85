"""1. Context cost: handing the context to a task and to an item, and publishing into it.

The state is real: the pure state machine (``runtime.driver.run_sync``) runs a chain of M tasks
that each publish an S-byte result, then starts a with-items task whose items stay in flight.
Every (M, S) state is built in one process, then all of them are timed round-robin (each
round: a batch of calls per operation per state), so the machine's noise falls on every cell
alike; a cell's figure is the median over rounds, then over processes. Timed operations:

* ``task_us``: what the machine does to hand the context to a task: ``Tx.scope(run)`` (the
  Scope holds the context *handle*) and the ``RunAction`` built from it;
* ``item_us``: the same for one item: a Scope with the item, the item's input rendered
  (``{x: '{{ item() }}'}``) and its ``RunAction``;
* ``publish_us``: ``Context.publish`` of one more S-byte value into the M-value context;
* ``lookup_us``: rendering ``{{ ctx('r_<last>') }}`` (reads one value from the M-value view);
* ``step_us``: one whole machine step for an item completion: ``advance(state,
  ActionCompleted(item))``, which records the result and releases the next item (median of
  ``steps`` consecutive steps).

All of them should be flat in M and S: the context is a pyrsistent map passed by reference.
"""

from __future__ import annotations

import time
from typing import Any

from _common import KB, chain_then_items, median


class _Case:
    """One (M, S) state and the operations timed on it."""

    def __init__(self, m: int, s: int, n_items: int) -> None:
        from runtime.commands import RunAction
        from runtime.driver import run_sync
        from runtime.machine.tx import Tx
        from runtime.spec import load_workflow
        from runtime.status import Outcome
        from runtime.templating import compile_value

        self.m, self.s, self.n_items = m, s, n_items
        blob = "x" * s

        def action(command: RunAction) -> tuple[Any, Any]:
            if command.task == "fan":
                return None, None  # items stay in flight
            return Outcome.SUCCEEDED, blob

        record = run_sync(load_workflow(chain_then_items(m, n_items)), action=action)
        self.status = str(record.status.value)
        self.state = record.state
        self.fan_id = self.state.latest[("fan", 0)]
        fan = self.state.run(self.fan_id)
        assert fan.items is not None and fan.items.active == 32, fan
        ctx = fan.ctx
        assert len(ctx.view) >= m and ctx.version == m
        self.ctx_keys = len(ctx.view)
        self.next_item = 0

        tx = Tx(self.state, time.time())
        item_input = compile_value({"x": "{{ item() }}"}, "orquesta", task="fan",
                                   field="input")
        lookup = compile_value(f"{{{{ ctx('r_{m - 1}') }}}}" if m else "{{ 1 }}", "orquesta")

        def hand_to_task() -> RunAction:
            scope = tx.scope(fan)
            return RunAction(run=fan.id, task=scope.task or fan.task, route=fan.route,
                             attempt=1, action=fan.action, input=None, timeout=None)

        def hand_to_item() -> RunAction:
            scope = tx.scope(fan, item=7, index=7, has_item=True)
            rendered = item_input.render(scope)
            return RunAction(run=fan.id, task=fan.task, route=fan.route, attempt=1,
                             action=fan.action, input=rendered, item=7, timeout=None,
                             concurrency=32)

        value = "y" * s

        def publish() -> Any:
            return ctx.publish("new_value", value)

        scope_for_lookup = tx.scope(fan)

        def lookup_value() -> Any:
            return lookup.render(scope_for_lookup)

        self.ops = {"task_us": hand_to_task, "item_us": hand_to_item, "publish_us": publish,
                    "lookup_us": lookup_value}
        self.samples: dict[str, list[float]] = {k: [] for k in (*self.ops, "step_us")}

    def measure(self, batch: int, steps: int) -> None:
        clock = time.perf_counter
        for key, fn in self.ops.items():
            fn()
            start = clock()
            for _ in range(batch):
                fn()
            self.samples[key].append((clock() - start) / batch * 1e6)
        times = _advance_items(self, steps)
        self.samples["step_us"].append(median(times) * 1e6)


def cell(ms: list[int], sizes: list[int], rounds: int = 15, batch: int = 200,
         steps: int = 100) -> dict[str, Any]:
    """Build every (M, S) state, then time all of them round-robin, ``rounds`` times, so
    that the machine's noise falls on every cell alike; per cell, the median over rounds."""
    cases = [_Case(m, s, rounds * steps + 64) for s in sizes for m in ms]
    for _ in range(rounds):
        for case in cases:
            case.measure(batch, steps)
    rows = []
    for case in cases:
        row: dict[str, Any] = {"m": case.m, "s": case.s, "ctx_keys": case.ctx_keys,
                               "ctx_bytes": case.m * case.s}
        for key, values in case.samples.items():
            row[key] = median(values)
        row["failures"] = [] if case.status == "running" else [
            f"context m={case.m} s={case.s}: machine status {case.status}"]
        rows.append(row)
    return {"rows": rows}


def _advance_items(case: Any, steps: int) -> list[float]:
    """Feed the next ``steps`` item completions of ``case`` (``state``, ``fan_id``,
    ``next_item``, ``n_items``) to the machine; return the seconds of each step."""
    from runtime.commands import RunAction
    from runtime.events import ActionCompleted
    from runtime.machine import advance
    from runtime.status import Outcome

    clock = time.perf_counter
    times = []
    state = case.state
    for item in range(case.next_item, case.next_item + steps):
        event = ActionCompleted(run=case.fan_id, item=item, attempt=1,
                                outcome=Outcome.SUCCEEDED, result=None, at=time.time())
        start = clock()
        state, commands = advance(state, event)
        times.append(clock() - start)
        assert any(isinstance(c, RunAction) for c in commands) or item + 32 >= case.n_items
    case.state = state
    case.next_item += steps
    return times


def machine_step_us(n: int, steps: int) -> float:
    """Median µs of one machine step per item completion, for an N-item task (M = 0)."""
    from types import SimpleNamespace

    from runtime.driver import run_sync
    from runtime.spec import load_workflow

    record = run_sync(load_workflow(chain_then_items(0, n)), action=lambda _c: (None, None))
    case = SimpleNamespace(state=record.state, fan_id=record.state.latest[("fan", 0)],
                           next_item=0, n_items=n)
    return median(_advance_items(case, min(steps, n - 32))) * 1e6


def machine_batched_us(n: int, batch: int = 16, rounds: int = 5) -> float:
    """Best-of-``rounds`` µs per item of an N-item task (M = 0) whose completions are fed
    ``batch`` at a time with ``advance_many(..., item_notices=False)``, as the supervisor does
    when reports wait in its mailbox and nobody follows progress (events built in advance)."""
    from runtime.commands import RunAction
    from runtime.events import ActionCompleted, WorkflowRequested
    from runtime.machine import advance, advance_many, initial_state
    from runtime.spec import load_workflow
    from runtime.status import Outcome, WorkflowStatus

    defn = load_workflow(chain_then_items(0, n))
    best = float("inf")
    for _ in range(rounds):
        state, commands = advance(initial_state(defn), WorkflowRequested(
            execution_id="bench", parameters={}, at=0.0), item_notices=False)
        pending = [c for c in commands if type(c) is RunAction]
        spent = 0.0
        while pending:
            head, pending = pending[:batch], pending[batch:]
            events = [ActionCompleted(run=c.run, item=c.item, attempt=c.attempt,
                                      outcome=Outcome.SUCCEEDED, at=1.0) for c in head]
            start = time.perf_counter()
            state, commands = advance_many(state, events, item_notices=False)
            spent += time.perf_counter() - start
            pending += [c for c in commands if type(c) is RunAction]
        assert state.status is WorkflowStatus.SUCCEEDED, state.status
        best = min(best, spent / n)
    return best * 1e6


def run(runner: Any, quick: bool) -> dict[str, Any]:
    ms = [0, 10, 100] if quick else [0, 10, 50, 100, 500]
    sizes = [1 * KB, 10 * KB]
    repeats = 1 if quick else 3
    params = {"rounds": 5, "batch": 50, "steps": 50} if quick else {}
    runs = [runner("bench_context:cell", {"ms": ms, "sizes": sizes, **params})
            for _ in range(repeats)]
    rows = []
    for i, first in enumerate(runs[0]["rows"]):
        row: dict[str, Any] = {"m": first["m"], "s": first["s"], "repeats": len(runs)}
        for key in ("task_us", "item_us", "publish_us", "lookup_us", "step_us"):
            row[key] = median(r["rows"][i][key] for r in runs)
            row[key + "_all"] = [r["rows"][i][key] for r in runs]
        row["failures"] = [f for r in runs for f in r["rows"][i]["failures"]]
        rows.append(row)
    flat = {}
    for key in ("task_us", "item_us", "publish_us", "step_us"):
        values = [r[key] for r in rows]
        flat[key] = max(values) / min(values)
    return {"rows": rows, "max_over_min": flat}
