"""6. The floor: pykka's own dispatch-and-completion round trip, next to the engine, in one process.

The floor is the engine's with-items message pattern with nothing else: a supervisor actor
starts a pool of ``min(W, K)`` worker actors as it needs them (W = 32), tells each an
``Item``; a worker calls a no-op function and tells ``Done`` back; on each ``Done`` the
supervisor tells the now idle worker the next item, until K items are done. Messages are
frozen slotted dataclasses like the engine's. Timed from the supervisor receiving ``Go`` to
the K-th ``Done`` (pool start included, as in the engine's per-item figure; the steady-state
figure excluding the pool start is recorded too).

The engine's figure is the fan task's span of an M = 0 with-items workflow of K
``core.noop`` items, run in the same process right after the floor, alternating, so both see
the same noise; the ratio is taken per repeat, then the median.

Two figures of the state machine alone, in the same process: one ``advance()`` per item
completion (its step's fixed cost included), and ``advance_many()`` fed 16 completions per
step, as the supervisor feeds it the reports waiting in its mailbox (~18 per step on average
in a 10,000-item task here).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pykka

from _common import join_actor_threads, median


@dataclass(frozen=True, slots=True, kw_only=True)
class Go:
    k: int
    window: int
    done: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    index: int
    value: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Done:
    index: int
    worker: Any
    result: Any = None


def _noop(**_kwargs: Any) -> None:
    return None


class FloorWorker(pykka.ThreadingActor):
    use_daemon_thread = True

    def __init__(self, supervisor: Any) -> None:
        super().__init__()
        self.supervisor = supervisor

    def on_receive(self, message: Any) -> None:
        if isinstance(message, Item):
            result = _noop(x=message.value)
            self.supervisor.tell(Done(index=message.index, worker=self.actor_ref, result=result))


class FloorSupervisor(pykka.ThreadingActor):
    use_daemon_thread = True

    def __init__(self) -> None:
        super().__init__()
        self.workers: list[Any] = []
        self.k = 0
        self.next = 0
        self.finished = 0
        self.results: list[Any] = []
        self.go: Go | None = None
        self.started = 0.0
        self.pool_ready = 0.0

    def on_receive(self, message: Any) -> None:
        if isinstance(message, Go):
            self.go = message
            self.started = time.perf_counter()
            self.k = message.k
            self.results = [None] * message.k
            for _ in range(min(message.window, message.k)):
                worker = FloorWorker.start(self.actor_ref)
                self.workers.append(worker)
                worker.tell(Item(index=self.next, value=self.next))
                self.next += 1
            self.pool_ready = time.perf_counter()
        elif isinstance(message, Done):
            self.results[message.index] = message.result
            self.finished += 1
            if self.next < self.k:
                message.worker.tell(Item(index=self.next, value=self.next))
                self.next += 1
            elif self.finished == self.k:
                assert self.go is not None
                end = time.perf_counter()
                for worker in self.workers:
                    worker.stop(block=False)
                self.go.done.set((end - self.started, end - self.pool_ready))
                self.stop()


def floor_once(k: int, window: int = 32) -> tuple[float, float]:
    """Per-item microseconds (with pool start, steady state) of one floor run of K items."""
    done: pykka.ThreadingFuture[Any] = pykka.ThreadingFuture()
    ref = FloorSupervisor.start()
    ref.tell(Go(k=k, window=window, done=done))
    total, steady = done.get(timeout=600)
    pool = min(window, k)
    return total / k * 1e6, steady / max(k - pool, 1) * 1e6


def cell(k: int, rounds: int = 2) -> dict[str, Any]:
    import bench_context
    import bench_with_items

    bench_with_items._warm_up()
    floor_once(min(k, 200))
    floors, steadies, engines, failures = [], [], [], []
    for _ in range(rounds):
        join_actor_threads()
        total, steady = floor_once(k)
        floors.append(total)
        steadies.append(steady)
        join_actor_threads()
        run = bench_with_items.run_once(0, k, 0)
        engines.append(run["per_item_us"])
        failures += run["failures"]
    join_actor_threads()  # the last engine run's workers are still exiting
    machine = bench_context.machine_step_us(max(k, 2100), 2000)
    machine_batched = bench_context.machine_batched_us(max(k, 2000))
    return {"k": k, "floor_us": median(floors), "floor_steady_us": median(steadies),
            "machine_us": machine, "machine_batched_us": machine_batched,
            "engine_us": median(engines), "ratio": median(engines) / median(floors),
            "floor_all": floors, "engine_all": engines, "failures": failures}


def run(runner: Any, quick: bool) -> dict[str, Any]:
    ks = [1000] if quick else [100, 1000, 10_000]
    repeats = 1 if quick else 5
    rows = []
    for k in ks:
        runs = [runner("bench_floor:cell", {"k": k, "rounds": 1 if quick else 2})
                for _ in range(repeats)]
        rows.append({"k": k, "repeats": len(runs),
                     "floor_us": median(r["floor_us"] for r in runs),
                     "floor_steady_us": median(r["floor_steady_us"] for r in runs),
                     "engine_us": median(r["engine_us"] for r in runs),
                     "machine_us": median(r["machine_us"] for r in runs),
                     "machine_batched_us": median(r["machine_batched_us"] for r in runs),
                     "ratio": median(r["ratio"] for r in runs),
                     "ratios": [r["ratio"] for r in runs],
                     "failures": [f for r in runs for f in r["failures"]]})
    return {"rows": rows}
