"""Replaying one finished 10,000-item execution's journal, with and without the shortcut.

Run on its own (perf/README.md sections 9 and 12 quote it)::

    python perf/bench_replay.py              # 7 rounds, ~1 min
    python perf/bench_replay.py --rounds 1   # smoke

The journal is the web console's execution (tests/console/measure.py ``WIDE``: 10,000 items
at concurrency 50, each item's input a template, then one more task), run to its end by the
pure machine in this process (every item succeeds) and encoded as journal entries
(:mod:`runtime.store.codec`), 10,002 of them. Two readers replay it, as the daemon does:

* ``read_journal``: decode and replay (recovery, reruns, ``troupe show``;
  :mod:`runtime.store.replaying`);
* ``progress_log``: the console's first open (:class:`runtime.server.progress_log.ProgressLog`,
  which also turns the notices into progress events).

each as it is now (``on``: the attempts the journal reports on are not rendered again,
:mod:`runtime.machine.reported`, and ``read_journal`` feeds the machine in batches) and as
it was before (``off``: ``reported_items`` patched to report nothing, and ``read_journal``'s
replay patched back to one ``advance`` per event). CPU time of this process
(``time.process_time``), the four cells interleaved in every round; medians (min-max) in ms.
Every replay's state is checked equal to the live one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import runtime.server.progress_log as progress_log_module  # noqa: E402
import runtime.store.replaying as replaying_module  # noqa: E402
from runtime.commands import RunAction  # noqa: E402
from runtime.events import ActionCompleted, Event, WorkflowRequested  # noqa: E402
from runtime.machine import WorkflowState, advance, advance_many, initial_state  # noqa: E402
from runtime.machine.reported import NO_REPORTS  # noqa: E402
from runtime.masking import Masker  # noqa: E402
from runtime.spec import load_workflow  # noqa: E402
from runtime.spec.model import WorkflowDef  # noqa: E402
from runtime.status import Outcome, WorkflowStatus  # noqa: E402
from runtime.store import EntryRow  # noqa: E402
from runtime.store.codec import encode  # noqa: E402
from tests.console.measure import ITEMS, WIDE  # noqa: E402


def live_run(defn: WorkflowDef) -> tuple[WorkflowState, list[Event]]:
    """Run the execution to its end through the machine; its state and its events."""
    first = WorkflowRequested(execution_id="bench", parameters={"n": ITEMS}, at=0.0)
    state, commands = advance(initial_state(defn), first)
    events: list[Event] = [first]
    clock = 0.0
    while commands:
        clock += 0.001
        done = [ActionCompleted(run=c.run, item=c.item, attempt=c.attempt,
                                outcome=Outcome.SUCCEEDED, result=c.item, at=clock)
                for c in commands if isinstance(c, RunAction)]
        if not done:
            break
        events.extend(done)
        state, commands = advance_many(state, done, item_notices=False)
    assert state.status is WorkflowStatus.SUCCEEDED, state.status
    return state, events


def journal_of(events: list[Event]) -> list[EntryRow]:
    rows = []
    for seq, event in enumerate(events, 1):
        kind, body = encode(event)
        rows.append(EntryRow(execution_id="bench", seq=seq, kind=kind, body=body,
                             at=event.at))
    return rows


@contextmanager
def shortcut(on: bool) -> Iterator[None]:
    """Replay with the shortcut, or with its reports emptied (the code before it)."""
    if on:
        yield
        return
    saved = (replaying_module.replay, progress_log_module.reported_items)
    replaying_module.replay = one_by_one  # type: ignore[assignment]
    progress_log_module.reported_items = lambda events: NO_REPORTS  # type: ignore[assignment]
    try:
        yield
    finally:
        replaying_module.replay, progress_log_module.reported_items = saved


def one_by_one(defn: WorkflowDef, events: Iterable[Event]) -> WorkflowState:
    """The replay before the shortcut: every event its own step, every input rendered."""
    state = initial_state(defn)
    for event in events:
        state, _ = advance(state, event)
    return state


def cpu_ms(work: Callable[[], WorkflowState], on: bool, live: WorkflowState) -> float:
    with shortcut(on):
        start = time.process_time()
        state = work()
        spent = (time.process_time() - start) * 1000
    if state != live:
        raise RuntimeError("the replayed state differs from the live one")
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    defn = load_workflow(WIDE)
    live, events = live_run(defn)
    rows = journal_of(events)

    def read() -> WorkflowState:
        return replaying_module.read_journal(defn, rows).state

    def log() -> WorkflowState:
        progress = progress_log_module.ProgressLog("bench", defn, Masker(()))
        progress.feed(rows)
        return progress.state

    cells: dict[str, list[float]] = {}
    load_before = os.getloadavg()[0]
    for round_ in range(args.rounds):
        order = [("read_journal", read), ("progress_log", log)]
        for name, work in order if round_ % 2 else order[::-1]:
            for on in ((True, False) if round_ % 2 else (False, True)):
                key = f"{name}/{'on' if on else 'off'}"
                cells.setdefault(key, []).append(cpu_ms(work, on, live))
    out: dict[str, Any] = {"items": ITEMS, "entries": len(rows), "rounds": args.rounds,
                           "load_before": load_before, "load_after": os.getloadavg()[0]}
    for key, values in sorted(cells.items()):
        out[key] = {"median": round(statistics.median(values), 1),
                    "min": round(min(values), 1), "max": round(max(values), 1)}
    for name in ("read_journal", "progress_log"):
        out[f"{name}/speedup"] = round(out[f"{name}/off"]["median"]
                                       / out[f"{name}/on"]["median"], 2)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
