"""Drive the Orquesta conformance cases through ``start_workflow()`` and compare the outcome.

A case (format: ``<suite>/README.md``) is a workflow, its inputs, what each action "returns"
(``mock_action_executions``) and what must happen. :func:`run_case` starts the workflow through
the public API with one mock callable per action reference and keeps the reference's *wave
discipline* from the outside, so that a concurrent engine gives deterministic answers:

1. wait until every action the engine dispatched has reached its mock (the mocks block);
2. take those calls as the wave, sorted by task name then route (one item per with-items run);
3. deliver their completions one at a time, each only once the engine has processed the
   previous one (its progress event arrived and ``handle.status`` answered);
4. repeat until the workflow finished, or only ``running`` mocks are left.

Knowing which calls are still on their way comes from the progress events (``on_event``): a
``task_started`` of a task with an action promises a call, ``task_retrying`` promises the next
attempt, an ``item_finished`` of a with-items run with a concurrency limit may release one more.

Mocks are bound to executions by the ``mock`` field of ``expected_action_executions`` (task,
route labels, item, occurrence) when the case has it, otherwise by the README's matching rules
(``seq_id`` against the sequence the waves produce, then list order). :func:`compare` checks
the README's levels 1-3 and, where it is well defined, level 4.

Misuse: one :class:`WaveDriver` per execution; everything but the mock callables runs in the
calling thread (worker threads only put calls into the inbox and wait on their own event).
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from runtime import ActionFailed, ActionTimedOut
from runtime.actions.call import Call

__all__ = [
    "Case",
    "Comparison",
    "Observed",
    "SuiteLocation",
    "WaveDriver",
    "compare",
    "extra_case_files",
    "iter_cases",
    "load_case",
    "locate_suite",
    "run_case",
    "suite_case_files",
]

PSEUDO_TASKS = frozenset({"continue", "noop", "fail"})
REPO_ROOT = Path(__file__).resolve().parents[2]
EXTRA_DIR = Path(__file__).resolve().parent / "extra_cases"
ENV_VAR = "TROUPE_CONFORMANCE_DIR"

SETTLE_LIMIT = 10.0
"""Seconds to wait for a call the engine promised (a retry delay included) before giving up."""
SOFT_WAIT = 0.3
"""Seconds to wait for a call the engine may or may not make (a with-items release)."""
QUIET = 0.003
"""Seconds without news after which a settled engine is taken as quiescent."""
ACK_LIMIT = 10.0
"""Seconds to wait for the engine to process one delivered completion."""
STALL_HELD = 0.3
"""Seconds to wait for news when only never-completing (``running``) mocks are left."""
STALL_IDLE = 10.0
"""Seconds to wait for news when nothing is pending (a ``delay`` timer may be running)."""
CALL_LIMIT = 120.0
"""Safety net: a mock never blocks its worker thread longer than this."""


# ---- locating and loading cases ----------------------------------------------------------


@dataclass(frozen=True)
class SuiteLocation:
    """Where the Orquesta cases are (``orquesta`` holds ``index.yaml``), or where we looked."""

    orquesta: Path | None
    looked: tuple[Path, ...]


VENDORED_DIR = Path(__file__).resolve().parent / "suite"
"""A snapshot of ``shared/conformance`` (Apache-2.0, attribution in its README and LICENSE)."""


def locate_suite(environ: Mapping[str, str] | None = None) -> SuiteLocation:
    """Find the directory holding ``orquesta/index.yaml``.

    ``$TROUPE_CONFORMANCE_DIR`` may name the ``conformance`` directory or its ``orquesta``
    subdirectory, and is then the only place looked at; without it, ``../shared/conformance``
    next to the repository (the team's current copy), else the snapshot vendored in
    ``tests/conformance/suite`` (so a clean clone anywhere runs the suite).
    """
    env = (os.environ if environ is None else environ).get(ENV_VAR)
    bases = ([Path(env).expanduser()] if env
             else [REPO_ROOT.parent / "shared" / "conformance", VENDORED_DIR])
    looked = tuple(index for base in bases
                   for index in (base / "orquesta" / "index.yaml", base / "index.yaml"))
    for index in looked:
        if index.is_file():
            return SuiteLocation(index.parent, looked)
    return SuiteLocation(None, looked)


def suite_case_files(orquesta: Path) -> list[Path]:
    """The case files ``index.yaml`` lists, in its order."""
    index = yaml.safe_load((orquesta / "index.yaml").read_text(encoding="utf-8"))
    return [orquesta / entry["file"] for entry in index["cases"]]


def extra_case_files() -> list[Path]:
    """Troupe's own cases (same format), sorted by name."""
    return sorted(EXTRA_DIR.glob("*.yaml"))


@dataclass(frozen=True)
class TaskFacts:
    """What the runner needs to know about one task of the workflow."""

    has_action: bool
    concurrency: int | None
    """Literal with-items concurrency; None when absent."""
    concurrency_known: bool
    has_next: bool
    targets: frozenset[str]


@dataclass(frozen=True)
class Case:
    """One conformance case file, parsed."""

    name: str
    path: Path
    data: dict[str, Any]
    spec: dict[str, Any]
    """The workflow definition parsed as YAML (only to learn action references and shape)."""

    @property
    def workflow(self) -> str:
        return str(self.data["workflow"])

    @property
    def inputs(self) -> dict[str, Any]:
        return dict(self.data.get("inputs") or {})

    @property
    def mocks(self) -> list[dict[str, Any]]:
        return list(self.data.get("mock_action_executions") or [])

    @property
    def routes(self) -> list[tuple[str, ...]]:
        return [tuple(r) for r in self.data.get("expected_routes") or [[]]]

    @property
    def executions(self) -> list[dict[str, Any]] | None:
        value = self.data.get("expected_action_executions")
        return None if value is None else list(value)

    def tasks(self) -> dict[str, Any]:
        return dict(self.spec.get("tasks") or {})

    def action_refs(self) -> set[str]:
        """Every static action reference (first word of ``action``) the workflow uses."""
        refs = set()
        for body in self.tasks().values():
            action = (body or {}).get("action")
            if isinstance(action, str) and action.strip() and "{{" not in action.split()[0]:
                refs.add(action.split()[0])
        return refs

    def facts(self) -> dict[str, TaskFacts]:
        out = {}
        for name, raw in self.tasks().items():
            body = raw or {}
            with_ = body.get("with")
            concurrency: int | None = None
            known = True
            if isinstance(with_, dict) and with_.get("concurrency") is not None:
                value = with_["concurrency"]
                if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
                    concurrency = max(int(value), 1)
                else:
                    known = False
            nexts = body.get("next") or []
            targets: set[str] = set()
            for transition in nexts:
                targets.update(_targets((transition or {}).get("do")))
            out[name] = TaskFacts(
                has_action=bool(body.get("action")),
                concurrency=concurrency,
                concurrency_known=known,
                has_next=bool(nexts),
                targets=frozenset(targets),
            )
        return out

    def is_pure_chain(self) -> bool:
        """One start task and at most one outbound target per task (pseudo-tasks included)."""
        facts = self.facts()
        targeted = set().union(*(f.targets for f in facts.values())) if facts else set()
        starts = [name for name in facts if name not in targeted]
        if len(starts) != 1:
            return False
        return all(len(f.targets - {"retry"}) <= 1 for f in facts.values())


def _targets(do: Any) -> list[str]:
    if do is None:
        return ["continue"]
    if isinstance(do, str):
        return [part.strip() for part in do.split(",") if part.strip()]
    return [str(part).strip() for part in do]


def load_case(path: Path) -> Case:
    """Parse one case file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec = yaml.safe_load(data["workflow"])
    return Case(name=str(data.get("name") or path.stem), path=path, data=data, spec=spec)


# ---- mocks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MockOutcome:
    """What one action execution reports."""

    status: str
    result: Any = None
    mock: int | None = None
    """Index into ``mock_action_executions`` (None: the default)."""


DEFAULT = MockOutcome(status="succeeded")


def _split_name(entry: str) -> tuple[str, int]:
    """``task3__r2`` -> (``task3``, 2); ``task3`` -> (``task3``, 0)."""
    name, sep, route = entry.rpartition("__r")
    if sep and route.isdigit():
        return name, int(route)
    return entry, 0


class MockBook:
    """Decides what each action execution reports, following the case's mocks."""

    def __init__(self, case: Case) -> None:
        self.entries = case.mocks
        self.left = [int(e.get("num_iter", 1) or 1) for e in self.entries]
        self.routes = case.routes
        self.by_execution: dict[tuple[str, tuple[str, ...] | None, int | None], deque[Any]] | None
        self.by_execution = None
        self.route_sensitive: set[tuple[str, int | None]] = set()
        executions = case.executions
        if executions is not None:
            self.by_execution = {}
            for entry in executions:
                name, route = _split_name(entry["task"])
                labels = self.routes[route] if route < len(self.routes) else None
                key = (name, labels, entry.get("item_id"))
                self.by_execution.setdefault(key, deque()).append(entry.get("mock"))
                if entry.get("mock") is not None and route != 0:
                    self.route_sensitive.add((name, entry.get("item_id")))

    def labels_of(self, route: int) -> tuple[str, ...] | None:
        """The Orquesta route labels of route number ``route`` (None if unknown)."""
        return self.routes[route] if route < len(self.routes) else None

    def named_items(self, task: str) -> list[int]:
        """Items the mocks of ``task`` name, in list order."""
        return [int(e["item_id"]) for e in self.entries
                if e.get("task_id") == task and e.get("item_id") is not None]

    def bind(self, task: str, route: int, item: int | None, seq_index: int | None) -> MockOutcome:
        """Pick the outcome of the next execution of ``task`` (route, item, sequence index)."""
        if self.by_execution is not None:
            queue_ = self.by_execution.get((task, self.labels_of(route), item))
            index = queue_.popleft() if queue_ else None
        else:
            index = self._by_rules(task, item, seq_index)
        if index is None:
            return DEFAULT
        if self.left[index] > 0:
            self.left[index] -= 1
        entry = self.entries[index]
        return MockOutcome(status=str(entry.get("status") or "succeeded"),
                           result=entry.get("result"), mock=index)

    def _by_rules(self, task: str, item: int | None, seq_index: int | None) -> int | None:
        unused = [i for i, e in enumerate(self.entries)
                  if e.get("task_id") == task and self.left[i] > 0]
        if item is not None:
            for i in unused:
                entry = self.entries[i]
                if entry.get("item_id") == item and entry.get("seq_id") in (None, seq_index):
                    return i
            return None
        for i in unused:
            if seq_index is not None and self.entries[i].get("seq_id") == seq_index:
                return i
        if unused and self.entries[unused[0]].get("seq_id") is None:
            return unused[0]
        return None


# ---- the driver --------------------------------------------------------------------------


@dataclass(eq=False)
class PendingCall:
    """One action execution, blocked in its mock until the driver releases it."""

    task: str
    route: int
    item: int | None
    attempt: int
    action: str
    input: Any
    order: int
    released: threading.Event = field(default_factory=threading.Event)
    outcome: MockOutcome | None = None
    bound: MockOutcome | None = None
    assumed_labels: tuple[str, ...] | None = None

    def kill(self) -> None:
        """The engine cancelled the attempt: let the worker thread go."""
        self.released.set()


@dataclass
class _Expect:
    task: str
    route: int
    item: int | None
    attempt: int
    hard: bool
    deadline: float


@dataclass
class _Items:
    total: int
    concurrency: int
    released: int
    stopped: bool = False
    reported: set[int] = field(default_factory=set)


@dataclass
class Observed:
    """Everything the driver saw of one execution."""

    result: Any
    """The :class:`ExecutionResult` (after the cancel, for a workflow left running)."""
    status: str
    """The status as observed: final, or ``running`` when only running mocks were left."""
    left_running: bool
    wait_timed_out: bool | None
    """For a workflow left running: whether ``handle.wait(1 s)`` raised TimeoutError."""
    calls: list[PendingCall]
    terminal_runs: set[int]
    vsequence: list[tuple[str, int]]
    notes: list[str]


class WaveDriver:
    """Runs one case through ``start_workflow`` with the wave discipline (module docstring)."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.facts = case.facts()
        self.book = MockBook(case)
        self.inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self.counter = itertools.count()
        self.calls: list[PendingCall] = []
        self.pending: list[PendingCall] = []
        self.held: list[PendingCall] = []
        self.expect: list[_Expect] = []
        self.items: dict[int, _Items] = {}
        self.latest_run: dict[tuple[str, int], int] = {}
        self.staged: list[tuple[str, int, int]] = []
        self.vsequence: list[tuple[str, int]] = []
        self.vindex: dict[int, int] = {}
        self.finished = False
        self.failed_seen = False
        self.terminal: set[int] = set()
        self.finished_since: list[int] = []
        self.awaiting: PendingCall | None = None
        self.acked = False
        self.notes: list[str] = []

    # -- mock callables (worker threads) --

    def actions(self) -> dict[str, Any]:
        """One mock callable per action reference of the workflow."""
        return {ref: self._mock(ref) for ref in sorted(self.case.action_refs())}

    def _mock(self, ref: str) -> Any:
        inbox = self.inbox
        counter = self.counter

        def mock(*, call: Call, **kwargs: Any) -> Any:
            pending = PendingCall(task=call.task, route=call.route, item=call.item,
                                  attempt=call.attempt, action=ref, input=kwargs or None,
                                  order=next(counter))
            call.on_cancel(pending.kill)
            inbox.put(("call", pending))
            pending.released.wait(CALL_LIMIT)
            outcome = pending.outcome
            if outcome is None:
                raise ActionFailed("mock never completed (cancelled or torn down)")
            if outcome.status == "succeeded":
                return outcome.result
            if outcome.status in ("timeout", "timed_out"):
                raise ActionTimedOut("mock timeout", result=outcome.result)
            raise ActionFailed("mock failure", result=outcome.result)

        mock.__name__ = f"mock_{ref.replace('.', '_')}"
        return mock

    # -- the controller (test thread) --

    def run(self) -> Observed:
        from runtime import start_workflow

        handle = start_workflow(self.case.workflow, self.case.inputs, actions=self.actions(),
                                on_event=lambda event: self.inbox.put(("event", event)),
                                entry_points=False)
        try:
            self._drive(handle)
            left_running = not self.finished
            timed_out: bool | None = None
            status: str
            if left_running:
                try:
                    handle.wait(timeout=1.0)
                    timed_out = False
                except TimeoutError:
                    timed_out = True
                status = str(handle.status)
                handle.cancel("conformance case left running")
            result = handle.wait(timeout=10.0)
            if not left_running:
                status = str(result.status)
            self._pump_all()
        finally:
            for call in self.calls:
                call.released.set()
        return Observed(result=result, status=status, left_running=left_running,
                        wait_timed_out=timed_out, calls=list(self.calls),
                        terminal_runs=set(self.terminal), vsequence=list(self.vsequence),
                        notes=self.notes)

    def _drive(self, handle: Any) -> None:
        self._settle()
        while not self.finished:
            wave = self._form_wave()
            if not wave:
                limit = STALL_HELD if self.held else STALL_IDLE
                if not self._pump(limit):
                    if not self.held:
                        self.notes.append("runner: nothing pending and the workflow not done")
                    return
                self._settle()
                continue
            for call in wave:
                run = self.latest_run.get((call.task, call.route))
                seq_index = self.vindex.get(run) if run is not None else None
                outcome = self.book.bind(call.task, call.route, call.item, seq_index)
                call.bound = outcome
                call.assumed_labels = self.book.labels_of(call.route)
                if outcome.status == "running":
                    self.held.append(call)
                    continue
                self._release(handle, call, outcome)
            self._settle()

    def _form_wave(self) -> list[PendingCall]:
        for task, route, run in sorted(self.staged):
            self.vindex[run] = len(self.vsequence)
            self.vsequence.append((task, route))
        self.staged.clear()
        groups: dict[tuple[str, int], list[PendingCall]] = {}
        for call in self.pending:
            groups.setdefault((call.task, call.route), []).append(call)
        wave: list[PendingCall] = []
        for key, calls in groups.items():
            itemless = [c for c in calls if c.item is None]
            wave.extend(itemless)
            with_items = [c for c in calls if c.item is not None]
            if with_items:
                wave.append(self._next_item(key, with_items))
        wave.sort(key=lambda c: (c.task, c.route, -1 if c.item is None else c.item, c.order))
        chosen = set(map(id, wave))
        self.pending = [c for c in self.pending if id(c) not in chosen]
        return wave

    def _next_item(self, key: tuple[str, int], calls: list[PendingCall]) -> PendingCall:
        """README: the items the mocks name, in list order, then the one after the highest."""
        run = self.latest_run.get(key)
        state = self.items.get(run) if run is not None else None
        reported = state.reported if state is not None else set()
        by_item = {c.item: c for c in sorted(calls, key=lambda c: c.order)}
        for item in self.book.named_items(key[0]):
            if item not in reported and item in by_item:
                return by_item[item]
        following = max(reported) + 1 if reported else 0
        if following in by_item:
            return by_item[following]
        return by_item[min(i for i in by_item if i is not None)]

    def _release(self, handle: Any, call: PendingCall, outcome: MockOutcome) -> None:
        self.finished_since = []
        self.awaiting = call
        self.acked = False
        call.outcome = outcome
        call.released.set()
        deadline = time.monotonic() + ACK_LIMIT
        while not self.acked and not self.finished:
            if time.monotonic() > deadline:
                self.notes.append(f"runner: completion of {call.task}@{call.route} "
                                  f"item {call.item} was never acknowledged")
                break
            self._pump(0.05)
        self.awaiting = None
        status = str(handle.status)  # answered once the engine processed everything before
        self._pump_all()
        if status != "running":
            self.failed_seen = True
            self.terminal.update(self.finished_since)

    def _settle(self) -> None:
        deadline = time.monotonic() + SETTLE_LIMIT
        while True:
            self._pump_all()
            if self.finished:
                return
            now = time.monotonic()
            self.expect = [x for x in self.expect if x.hard or x.deadline > now]
            if not self.expect:
                if not self._pump(QUIET):
                    return
                continue
            if now > deadline:
                missing = ", ".join(f"{x.task}@{x.route} item {x.item} attempt {x.attempt}"
                                    for x in self.expect)
                self.notes.append(f"runner: promised calls never came: {missing}")
                self.expect.clear()
                return
            self._pump(0.02)

    def _pump_all(self) -> None:
        while self._pump(0):
            pass

    def _pump(self, timeout: float) -> bool:
        try:
            kind, obj = (self.inbox.get(timeout=timeout) if timeout > 0
                         else self.inbox.get_nowait())
        except queue.Empty:
            return False
        if kind == "call":
            self._on_call(obj)
        else:
            self._on_event(obj)
        return True

    def _on_call(self, call: PendingCall) -> None:
        self.calls.append(call)
        self.pending.append(call)
        for index, x in enumerate(self.expect):
            if (x.task, x.route, x.item) == (call.task, call.route, call.item) and (
                x.attempt == call.attempt
            ):
                del self.expect[index]
                break

    def _promise(self, task: str, route: int, item: int | None, attempt: int,
                 *, hard: bool = True) -> None:
        limit = SETTLE_LIMIT if hard else SOFT_WAIT
        self.expect.append(_Expect(task, route, item, attempt, hard,
                                   time.monotonic() + limit))

    def _on_event(self, event: Any) -> None:
        kind = event.kind
        if kind == "task_started":
            self._on_started(event)
        elif kind == "task_retrying":
            self._promise(event.task, event.route, event.item, event.attempt or 1)
            self._ack(event, event.item)
        elif kind == "item_finished":
            self._ack(event, event.item)
            state = self.items.get(event.run)
            if state is None:
                return
            state.reported.add(event.item)
            if event.status != "succeeded":
                state.stopped = True
            elif state.released < state.total and not state.stopped:
                self._promise(event.task, event.route, state.released, 1, hard=False)
                state.released += 1
        elif kind == "task_finished":
            if event.pseudo and event.task in PSEUDO_TASKS:
                self.vsequence.append((event.task, event.route))
                return
            self.finished_since.append(event.run)
            if self.failed_seen:
                self.terminal.add(event.run)
            self.expect = [x for x in self.expect
                           if (x.task, x.route) != (event.task, event.route)]
            self._ack(event, None)
        elif kind == "workflow_finished":
            self.finished = True
            self.expect.clear()

    def _on_started(self, event: Any) -> None:
        self.latest_run[(event.task, event.route)] = event.run
        self.staged.append((event.task, event.route, event.run))
        facts = self.facts.get(event.task)
        if facts is None or not facts.has_action:
            return
        if event.total is None:
            self._promise(event.task, event.route, None, 1)
            return
        total = int(event.total)
        if facts.concurrency_known:
            limit = min(total, facts.concurrency or total)
            for item in range(limit):
                self._promise(event.task, event.route, item, 1)
        else:
            limit = total
            for item in range(total):
                self._promise(event.task, event.route, item, 1, hard=False)
        self.items[event.run] = _Items(total=total, concurrency=limit, released=limit)

    def _ack(self, event: Any, item: int | None) -> None:
        call = self.awaiting
        if call is not None and (call.task, call.route, call.item) == (
            event.task, event.route, item
        ):
            self.acked = True


def run_case(case: Case) -> Observed:
    """Run ``case`` through ``start_workflow`` under the wave discipline."""
    return WaveDriver(case).run()


# ---- comparison --------------------------------------------------------------------------


LEVELS = {
    1: "status, output, errors",
    2: "task runs (count and distinct routes per task)",
    3: "action executions (task, item, action, input, status)",
    4: "exact order / terminal tasks",
}


@dataclass
class Comparison:
    """Mismatches per level (empty lists: that level matches)."""

    case: str
    levels: dict[int, list[str]] = field(default_factory=lambda: {k: [] for k in LEVELS})
    checked: dict[int, bool] = field(default_factory=lambda: dict.fromkeys(LEVELS, False))
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(self.levels.values())

    def render(self) -> str:
        lines = [f"case {self.case}:"]
        for level, title in LEVELS.items():
            problems = self.levels[level]
            if not self.checked[level]:
                state = "not checked"
            else:
                state = "ok" if not problems else "MISMATCH"
            lines.append(f"  level {level} ({title}): {state}")
            lines.extend(f"    - {p}" for p in problems)
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def error_kind(entry: Mapping[str, Any]) -> str:
    """Map an Orquesta error entry to Troupe's error kinds."""
    message = str(entry.get("message") or "")
    if message.startswith("Execution failed"):
        return "action_failed"
    if "UnreachableJoinError" in message:
        return "unreachable_join"
    return "expression"


_ENGINE_KINDS = {"output": "expression", "items": "expression", "action_timed_out":
                 "action_failed"}


def _canon(value: Any) -> str:
    if value in ({}, None):
        value = None
    return json.dumps(value, sort_keys=True, default=str)


def compare(case: Case, seen: Observed) -> Comparison:
    """Compare what the engine did with what the case expects, level by level."""
    out = Comparison(case=case.name, notes=list(seen.notes))
    result = seen.result
    labels: dict[int, tuple[str, ...]] = {0: ()}
    for record in result.sequence:
        labels[record.route] = tuple(record.route_path)
    routes = case.routes
    data = case.data

    # level 1
    out.checked[1] = True
    level1 = out.levels[1]
    expected_status = data["expected_workflow_status"]
    status = seen.status
    if seen.left_running and status == "failing":
        # Orquesta's workflow is failed at once while actions still run; Troupe says ``failing``
        # until they end, and a mock that never completes keeps it there.
        status = "failed"
    if status != expected_status:
        level1.append(f"status: expected {expected_status!r}, got {seen.status!r}")
    if seen.left_running and seen.wait_timed_out is not True:
        level1.append("workflow left running but handle.wait(1 s) did not time out")
    if "expected_output" in data:
        expected_output = data["expected_output"] or {}
        if result.output != expected_output:
            level1.append(f"output: expected {expected_output!r}, got {result.output!r}")
    if "expected_errors" in data:
        level1.extend(_compare_errors(data["expected_errors"] or [], result.errors, labels,
                                      routes))

    # level 2
    out.checked[2] = True
    expected_runs: dict[str, list[tuple[str, ...] | int]] = {}
    for entry in data["expected_task_sequence"]:
        name, route = _split_name(entry)
        expected_runs.setdefault(name, []).append(route)
    actual_runs: dict[str, list[tuple[str, ...] | int]] = {}
    for record in result.sequence:
        actual_runs.setdefault(record.name, []).append(tuple(record.route_path))
    for name in sorted(set(expected_runs) | set(actual_runs)):
        want = expected_runs.get(name, [])
        got = actual_runs.get(name, [])
        want_shape = (len(want), len(set(want)))
        got_shape = (len(got), len(set(got)))
        if want_shape != got_shape:
            out.levels[2].append(
                f"{name}: expected {want_shape[0]} run(s) on {want_shape[1]} route(s), "
                f"got {got_shape[0]} on {got_shape[1]}")

    # level 3
    if case.executions is not None:
        out.checked[3] = True
        out.levels[3].extend(_compare_executions(case, seen))

    # level 4 (optional parts)
    if case.is_pure_chain() and not seen.left_running:
        out.checked[4] = True
        got_order = [r.name if not r.route else f"{r.name}__r{r.route}" for r in result.sequence]
        if got_order != list(data["expected_task_sequence"]):
            out.levels[4].append(
                f"sequence order: expected {data['expected_task_sequence']}, got {got_order}")
    if "expected_term_tasks" in data and not seen.left_running:
        out.checked[4] = True
        out.levels[4].extend(_compare_terminal(case, seen, routes))
    return out


def _compare_errors(expected: list[Mapping[str, Any]], actual: list[Any],
                    labels: Mapping[int, tuple[str, ...]],
                    routes: list[tuple[str, ...]]) -> list[str]:
    problems = []
    remaining = list(actual)
    for entry in expected:
        kind = error_kind(entry)
        task = entry.get("task_id")
        route = entry.get("route")
        want_labels = routes[route] if route is not None and route < len(routes) else None
        match = None
        for error in remaining:
            if error.task != task:
                continue
            # Orquesta logs the `fail` command as a failed execution; any kind Troupe gives it is
            # its own naming of the same fact.
            if task != "fail" and _ENGINE_KINDS.get(error.kind, error.kind) != kind:
                continue
            if route is not None:
                got = labels.get(error.route if error.route is not None else 0)
                if got != want_labels:
                    continue
            if "result" in entry and error.result != entry["result"]:
                continue
            match = error
            break
        if match is None:
            where = f" on route {list(want_labels or [])}" if route is not None else ""
            problems.append(f"missing error ({kind}, {task}){where}: {entry.get('message')}")
        else:
            remaining.remove(match)
    problems.extend(f"unexpected error ({e.kind}, {e.task}, route {e.route}): {e.message}"
                    for e in remaining)
    return problems


def _compare_executions(case: Case, seen: Observed) -> list[str]:
    problems = []
    book_sensitive = MockBook(case).route_sensitive
    labels: dict[int, tuple[str, ...]] = {0: ()}
    for record in seen.result.sequence:
        labels[record.route] = tuple(record.route_path)
    actual: list[tuple[str, int | None, str | None, str, str]] = []
    for call in seen.calls:
        status = call.outcome.status if call.outcome is not None else "running"
        actual.append((call.task, call.item, call.action, _canon(call.input), status))
        if (call.bound is not None and (call.task, call.item) in book_sensitive
                and labels.get(call.route) != call.assumed_labels):
            problems.append(
                f"mock for {call.task} on engine route {call.route} was bound assuming labels "
                f"{call.assumed_labels}, but the engine's route {call.route} is "
                f"{labels.get(call.route)} (route numbering differs from Orquesta's)")
    for record in seen.result.tasks:
        if record.action is None and record.attempts:
            actual.append((record.name, None, None, _canon(None), "succeeded"))
    expected = case.executions or []
    remaining = Counter(actual)
    wildcard = []
    for entry in expected:
        name, _ = _split_name(entry["task"])
        status = str(entry.get("status") or "succeeded")
        if "input" not in entry:
            wildcard.append((name, entry.get("item_id"), entry.get("action"), status))
            continue
        key = (name, entry.get("item_id"), entry.get("action"), _canon(entry["input"]), status)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            problems.append(f"missing execution {_show(key)}")
    for name, item, action, status in wildcard:
        key = next((k for k, n in remaining.items()
                    if n > 0 and (k[0], k[1], k[2], k[4]) == (name, item, action, status)), None)
        if key is None:
            problems.append(f"missing execution {_show((name, item, action, '*', status))}")
        else:
            remaining[key] -= 1
    for key, count in sorted(remaining.items(), key=lambda kv: str(kv[0])):
        problems.extend(f"unexpected execution {_show(key)}" for _ in range(count))
    return problems


def _show(key: tuple[Any, ...]) -> str:
    task, item, action, inputs, status = key
    where = task if item is None else f"{task}[item {item}]"
    return f"{where} {action} input={inputs} -> {status}"


def _compare_terminal(case: Case, seen: Observed, routes: list[tuple[str, ...]]) -> list[str]:
    """Non-pseudo terminal runs: no ``next``, or completed once the workflow was finished."""
    facts = case.facts()
    got: Counter[tuple[str, tuple[str, ...]]] = Counter()
    for record in seen.result.sequence:
        if record.pseudo or record.status in ("running", "canceled"):
            continue
        no_next = record.name in facts and not facts[record.name].has_next
        if no_next or record.run in seen.terminal_runs:
            got[(record.name, tuple(record.route_path))] += 1
    want: Counter[tuple[str, tuple[str, ...]]] = Counter()
    for entry in case.data["expected_term_tasks"]:
        name, route = _split_name(entry)
        if name in PSEUDO_TASKS:
            continue
        want[(name, routes[route] if route < len(routes) else ())] += 1
    if got == want:
        return []
    return [f"terminal tasks: expected {_runs(want)}, got {_runs(got)}"]


def _runs(counter: Counter[tuple[str, tuple[str, ...]]]) -> list[str]:
    return sorted(f"{name}{list(route) if route else ''}" for name, route in counter.elements())


def iter_cases(files: list[Path]) -> Iterator[Case]:
    """Load each file as a case."""
    for path in files:
        yield load_case(path)
