"""A sequential reference interpreter of both dialects, written from the design notes.

Source: ``/work/shared/design/dsl.md`` (sections 1.4-1.9 for Orquesta, 2.4-2.8 for Attune)
and ``docs/language.md`` where Troupe documents its own choice. Virtual time, no threads:
an attempt takes one time unit, a retry waits its delay; which in-flight attempt ends next
is the earliest (ties: the one started first) unless ``order`` names it. The differential
test passes the engine's observed order: both see one interleaving, differences are semantic.

Choices where dsl.md is silent or ambiguous (each follows Orquesta/Attune, or Troupe's doc):
- A publish creates a context entry holding everything the branch published since the root
  (its run's plus the new keys); a run sees the root updated by its entries in arrival order,
  so at a join the last arrival's values win, inherited ones included (Orquesta merges whole
  contexts). The output context is the root updated by each terminal run's entries, in run
  order ("the first fully, the others without the root entry").
  A run is terminal if its task has no ``next`` at all (statically: a task whose
  transitions all stayed false is not), if it is an engine command, or if it ended when
  the workflow was already failing (or failed it): Orquesta marks ``term`` the same way.
- A route label ``task__tK`` numbers K the source's transitions *into that target* (the
  multigraph key: Orquesta's ``task-duplicate-transition`` case gives ``task1__t0``,
  ``task1__t1`` for two transitions to ``task2``), not the transition's place in ``next``.
- Once an Orquesta workflow is failing, a with-items run that is not ``run_on_fail``
  releases no more items; if items were left unrun it ends ``canceled`` without following
  its transitions (Orquesta's conductor hands out items only through ``get_next_tasks``).
- A retry waiting for its delay when an Orquesta workflow fails never starts: its run
  ends ``canceled`` without transitions (which retries were still waiting is timing, so
  the given order says it). A waiting item retry ends the item ``canceled``, and its run
  then ends ``failed`` like a run with a failed item (Troupe's choice; Orquesta is silent).
- Retries are per item for with-items tasks (Troupe); every failed attempt is an error.
  Once an Orquesta workflow is failing (fail fast) no attempt is retried: a retry is new
  work, and only ``run_on_fail`` runs start after the failure.
- With-items results are the ordered list of item results in both dialects (Troupe).
- Attune: ``output_map`` only on success; a task runs at most once; a join N counts inbound
  tasks already completed; a failed task is handled if a successor was scheduled.

Misuse: ``order`` must name attempts the interpreter has in flight; :class:`Diverged` says
the engine ended an attempt the reference never started.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.reference.model import COMMANDS, Cond, Pub, Task, Workflow, mock_result

Key = tuple[str, tuple[str, ...], int, int | None]
"""Identity of an in-flight attempt: task, route labels, which run of the task on that
route (0 for the first), item."""
Step = tuple[Key, bool]
"""One entry of a given order: the attempt that ended, and whether it ended canceled (a
retry that was waiting for its delay when the workflow failed: it never started)."""


class Diverged(Exception):
    """The given order names an attempt the reference does not have in flight (or none)."""


@dataclass
class Run:
    """One run of a task (or of an engine command) on a route."""
    task: str
    route: tuple[str, ...]
    ctx: list[int]
    status: str = "running"
    attempts: int = 0
    result: Any = None
    items: list[Any] | None = None
    pending: list[int] = field(default_factory=list)
    active: int = 0
    item_failed: bool = False
    terminal: bool = False
    pseudo: bool = False
    run_on_fail: bool = False
    nth: int = 0


@dataclass
class Flight:
    """One attempt in flight."""
    run: Run
    item: int | None
    attempt: int
    ends: float
    seq: int


@dataclass(frozen=True)
class Outcome:
    """What the reference computed."""
    status: str
    output: dict[str, Any]
    errors: list[tuple[str, int | None, str]]
    runs: list[tuple[str, str, int | None]]


class Reference:
    """One execution of ``wf`` (``fails``: injected failures, from the root workflow)."""

    def __init__(self, wf: Workflow, fails: frozenset[Any] | None = None,
                 order: list[Step] | None = None) -> None:
        self.wf, self.fails, self.order = wf, wf.fails if fails is None else fails, order
        self.orq = wf.dialect == "orquesta"
        self.contexts: list[dict[str, Any]] = [dict(wf.vars)]
        self.store = dict(wf.vars)  # Attune's one global store
        self.runs: list[Run] = []
        self.flights: list[Flight] = []
        self.instant: list[tuple[Task, Run]] = []
        self.joins: dict[tuple[str, tuple[str, ...]], tuple[set[str], list[int], Run | None]] = {}
        self.errors: list[tuple[str, int | None, str]] = []
        self.failed = False
        self.now, self.seq = 0.0, 0
        self.inbound = {t.name: [(s.name, i) for s in wf.tasks for i, tr in enumerate(s.next)
                                 for d in tr.do if d == t.name] for t in wf.tasks}
        self.cyclic = {t.name for t in wf.tasks if self._reaches(t.name, t.name)}
        self.done: set[str] = set()       # Attune: completed (or handled) task names
        self.started: set[str] = set()    # Attune: task names ever scheduled
        self.child_runs: list[tuple[str, str, int | None]] = []

    def _reaches(self, src: str, dst: str) -> bool:
        seen, todo = set(), [src]
        while todo:
            for tr in self.wf.task(todo.pop()).next:
                for d in tr.do:
                    if d == dst:
                        return True
                    if d not in COMMANDS and d not in seen:
                        seen.add(d)
                        todo.append(d)
        return False

    # -- expressions -------------------------------------------------------------------
    def ctx_of(self, run: Run) -> dict[str, Any]:
        """The variables a run sees."""
        return {**self.contexts[0], **self.writes(run)} if self.orq else self.store

    def writes(self, run: Run) -> dict[str, Any]:
        """What the branches into ``run`` published since the root, the last arrival last."""
        return {k: v for i in run.ctx if i for k, v in self.contexts[i].items()}

    def holds(self, cond: Cond | None, status: str, ctx: dict[str, Any]) -> bool:
        """Evaluate a ``when``."""
        if cond is None:
            return True
        kind = cond.kind
        if kind == "and":
            return all(self.holds(p, status, ctx) for p in cond.parts)
        if kind in ("lt", "ge"):
            return bool(ctx[cond.var] < cond.k) == (kind == "lt")
        return {"ok": status == "succeeded", "fail": status == "failed", "done": True}[kind]

    @staticmethod
    def value(pub: Pub, ctx: dict[str, Any], result: Any) -> Any:
        """Evaluate a publish."""
        return {"const": lambda: pub.value, "result": lambda: result,
                "incr": lambda: ctx[pub.var] + 1, "copy": lambda: ctx[pub.var]}[pub.kind]()

    # -- the loop ----------------------------------------------------------------------
    def run(self) -> Outcome:
        """Run to the end and return the outcome."""
        for task in self.wf.tasks:
            if not self.inbound[task.name]:
                self.dispatch(task, (), [0], False)
        self.settle()
        while self.flights:
            flight, canceled = self.pick()
            (self.drop if canceled else self.land)(flight)
            self.settle()
        return self.finish()

    def pick(self) -> tuple[Flight, bool]:
        """The attempt that ends next, and whether it ends canceled."""
        canceled = False
        if self.order is not None:
            if not self.order:
                raise Diverged(f"engine ended nothing more, reference has {self.flights}")
            (name, route, nth, item), canceled = key, _ = self.order.pop(0)
            same = [f for f in self.flights
                    if (f.run.task, f.run.route, f.item) == (name, route, item)]
            if not same:
                raise Diverged(f"engine ended {key}, reference has {self.flights}")
            f = next((f for f in same if f.run.nth == nth), same[0])  # nth: a tie-break
        else:
            f = min(self.flights, key=lambda f: (f.ends, f.seq))
        self.flights.remove(f)
        self.now = max(self.now, f.ends)
        return f, canceled

    def drop(self, f: Flight) -> None:
        """A retry waiting for its delay when the workflow failed: the run ends canceled."""
        if not (self.orq and self.failed and f.attempt > 1):
            raise Diverged(f"engine canceled {f.run.task} attempt {f.attempt}")
        if f.item is not None:  # the item ends canceled, which fails the run (as an error)
            self.end_item(self.wf.task(f.run.task), f.run, f.item, False, None)
            return
        f.run.attempts -= 1
        f.run.status, f.run.terminal = "canceled", True

    def fly(self, run: Run, item: int | None, attempt: int, delay: float = 0.0) -> None:
        self.seq += 1
        self.flights.append(Flight(run, item, attempt, self.now + delay + 1, self.seq))

    def dispatch(self, task: Task, route: tuple[str, ...], ctx: list[int],
                 run_on_fail: bool) -> None:
        """Start a run of ``task`` (unless a failure stops new work)."""
        if self.orq and self.failed and not run_on_fail:
            return
        run = Run(task.name, route, list(ctx), run_on_fail=run_on_fail)
        run.nth = sum(r.task == run.task and r.route == run.route for r in self.runs)
        self.runs.append(run)
        self.started.add(task.name)
        if task.items is None:
            run.attempts = 1
            self.fly(run, None, 1)
            return
        size = task.batch or 1
        count = -(-task.items // size)
        run.items = [None] * count
        run.pending = list(range(count))
        default = None if self.orq else 1
        limit = task.concurrency if task.concurrency is not None else default
        for _ in range(count if limit is None else min(limit, count)):
            self.release(run)
        if count == 0:  # ends at once, after the step that started it (its own event)
            self.instant.append((task, run))

    def settle(self) -> None:
        """End the with-items runs of no items started by the last step, in order."""
        while self.instant:
            task, run = self.instant.pop(0)
            self.complete(task, run, "succeeded", [])

    def release(self, run: Run) -> None:
        run.active += 1
        self.fly(run, run.pending.pop(0), 1)

    def attempt(self, f: Flight) -> tuple[bool, Any, str]:
        """Run the mock action (or the sub-workflow) of one attempt: ok, result, error kind."""
        task = self.wf.task(f.run.task)
        if task.sub is not None:
            child = Reference(task.sub, self.fails).run()  # its errors stay its own
            return child.status == "succeeded", child.output, "action_failed"
        result = mock_result(task.name, f.item, f.attempt)
        return (task.name, f.item, f.attempt) not in self.fails, result, "action_failed"

    def land(self, f: Flight) -> None:
        """An attempt ended."""
        task, run = self.wf.task(f.run.task), f.run
        ok, result, kind = self.attempt(f)
        status = "succeeded" if ok else "failed"
        if not ok:
            self.errors.append((task.name, f.item, kind))
        retry = task.retry
        if retry is not None and f.attempt <= retry.count and not (self.orq and self.failed):
            when = retry.when if self.orq else None
            again = (self.holds(when, status, self.ctx_of(run)) if when is not None
                     else not ok)
            if again:
                if f.item is None:
                    run.attempts += 1
                n = f.attempt
                delay = {"constant": retry.delay, "linear": retry.delay * n,
                         "exponential": retry.delay * 2 ** (n - 1)}[retry.backoff]
                self.fly(run, f.item, f.attempt + 1, delay)
                return
        if f.item is None:
            self.complete(task, run, status, result)
            return
        self.end_item(task, run, f.item, ok, result)

    def end_item(self, task: Task, run: Run, item: int, ok: bool, result: Any) -> None:
        """An item ended: release the next ones, or end the run."""
        assert run.items is not None
        run.items[item] = result
        run.active -= 1
        run.item_failed |= not ok
        stop = self.orq and run.item_failed and run.active == 0
        limit = task.concurrency if task.concurrency is not None else (None if self.orq else 1)
        halted = self.orq and self.failed and not run.run_on_fail
        while run.pending and not stop and not halted and (limit is None or
                                                            run.active < limit):
            self.release(run)
        if halted and run.active == 0 and run.pending and not run.item_failed:
            run.status, run.result = "canceled", run.items  # stopped by the failure
            run.terminal = True
            return
        if run.active == 0 and (stop or not run.pending):
            self.complete(task, run, "failed" if run.item_failed else "succeeded", run.items)

    def complete(self, task: Task, run: Run, status: str, result: Any) -> None:
        """A run ended: evaluate its transitions."""
        run.status, run.result = status, result
        (self.follow if self.orq else self.follow_attune)(task, run)

    def follow(self, task: Task, run: Run) -> None:
        """Orquesta: every transition whose ``when`` holds fires, sorted by target name."""
        ctx = self.ctx_of(run)
        edges: list[tuple[str, int, list[int]]] = []
        for index, trans in enumerate(task.next):
            if not self.holds(trans.when, run.status, ctx):
                continue
            new, rolling = self.writes(run), dict(ctx)
            for pub in trans.publish:
                new[pub.name] = rolling[pub.name] = self.value(pub, rolling, run.result)
            idxs = list(run.ctx)
            if trans.publish:
                self.contexts.append(new)
                idxs = [len(self.contexts) - 1]
            for target in trans.do or ("continue",):
                edges.append((target, index, idxs))
        remedied = any(t != "continue" for t, _, _ in edges)
        failing = any(t == "fail" for t, _, _ in edges)
        for target, index, idxs in sorted(edges, key=lambda e: e[0]):
            if target in COMMANDS:
                if target == "fail":
                    self.errors.append(("fail", None, "fail_command"))
                self.runs.append(Run(target, run.route, idxs, status="failed" if
                                     target == "fail" else "succeeded", terminal=True,
                                     pseudo=True))
                continue
            self.arrive(self.wf.task(target), run, index, idxs, failing)
        if failing or (run.status == "failed" and not remedied):
            self.failed = True
        run.terminal |= self.failed  # completed the workflow, or arrived afterwards

    def arrive(self, target: Task, src: Run, index: int, idxs: list[int],
               run_on_fail: bool) -> None:
        """A fired transition reaches a real task: a join, a split, or a plain arrival."""
        route = src.route
        if target.join is None:
            if len(self.inbound[target.name]) > 1 and target.name not in self.cyclic:
                source = self.wf.task(src.task)
                key = sum(target.name in t.do for t in source.next[:index])
                route = (*route, f"{src.task}__t{key}")
            self.dispatch(target, route, idxs, run_on_fail)
            return
        key = (target.name, route)
        seen, ctx, started = self.joins.get(key, (set(), [], None))
        seen.add(src.task)
        ctx.extend(idxs)
        need = (len({s for s, _ in self.inbound[target.name]}) if target.join == "all"
                else int(target.join))
        self.joins[key] = (seen, ctx, started)
        if started is None and len(seen) >= need:
            self.dispatch(target, route, ctx, run_on_fail)
            self.joins[key] = (seen, ctx, self.runs[-1] if self.runs else None)

    def follow_attune(self, task: Task, run: Run) -> None:
        """Attune: transitions in list order on the global store; each task runs once."""
        scheduled = False
        if run.status == "succeeded":
            self.done.add(task.name)
        for trans in task.next:
            if not self.holds(trans.when, run.status, self.store):
                continue
            for pub in trans.publish:
                self.store[pub.name] = self.value(pub, self.store, run.result)
            for target in trans.do:
                nxt = self.wf.task(target)
                if target in self.started:
                    continue
                if nxt.join is not None:
                    preds = {s for s, _ in self.inbound[target]}
                    if len(preds & (self.done | {task.name})) < int(nxt.join):
                        scheduled = True  # deferred, counted as handled (see docstring)
                        continue
                self.dispatch(nxt, (), [0], False)
                scheduled = True
        if run.status == "failed":
            if scheduled:
                self.done.add(task.name)
            else:
                run.terminal = True
                self.failed = True

    def finish(self) -> Outcome:
        """The end: unreachable joins, status, output."""
        if self.orq:  # also when already failed: the error is recorded all the same
            for (name, _route), (_seen, _ctx, started) in self.joins.items():
                if started is None:
                    self.failed = True
                    self.errors.append((name, None, "unreachable_join"))
        status = "failed" if self.failed else "succeeded"
        output: dict[str, Any] = {}
        if self.orq:
            ctx: dict[str, Any] = {}
            terminals = [r for r in self.runs if r.terminal or not self.wf.task(r.task).next]
            ctx = dict(self.contexts[0])
            for r in terminals:
                ctx.update(self.writes(r))
            output = {k: ctx[k] for k in self.wf.output}
        elif status == "succeeded":
            output = {k: self.store[k] for k in self.wf.output}
        runs = [(r.task, r.status, r.attempts if r.items is None else None)
                for r in self.runs if not r.pseudo]
        return Outcome(status, output, self.errors, runs)


def reference(wf: Workflow, order: list[Step] | None = None) -> Outcome:
    """Run ``wf`` in the reference and return its outcome."""
    return Reference(wf, order=None if order is None else list(order)).run()
