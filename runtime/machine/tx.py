"""Scratch space for one step of the state machine.

A :class:`Tx` is opened on a :class:`WorkflowState` for one step (one event, or the batch
:func:`runtime.machine.advance_many` was given), collects the changes as evolvers and local
fields, collects the commands, and :meth:`Tx.commit` builds the next state in one go. It lives
only inside the machine; the states it reads are never changed, so the machine stays a pure
function.

The progress of a with-items run is worked on in an :class:`ItemsWork` (mutable counters and
vector evolvers) opened by :meth:`Tx.open_items`: an item completing and the next one being
released then change a few fields, and the ``ItemsProgress`` and ``TaskRun`` records are
built once per step, not once per item. :meth:`Tx.run` folds a run's open work back into its
record before handing it out, so every other reader sees the current run.

Misuse: never keep a Tx beyond one step; never hand its evolvers to anyone; never read a run
through ``tx.runs`` directly (use :meth:`Tx.run` or :meth:`Tx.all_runs`, which fold); never
keep an :class:`ItemsWork` across a call that may fold it (fetch it again with ``open_items``).
"""

from __future__ import annotations

from dataclasses import fields
from functools import partial
from operator import attrgetter
from typing import Any

from pyrsistent import PMap, PSet, PVector, pmap, pvector
from pyrsistent.typing import PVectorEvolver

from runtime.commands import Command, ErrorRecord
from runtime.context import Context
from runtime.inquiries import Inquiry
from runtime.kv.snapshot import KvSnapshot
from runtime.limits import Limits
from runtime.records import evolve
from runtime.spec.model import Policies, TaskDef, WorkflowDef
from runtime.status import TaskStatus, WorkflowStatus
from runtime.templating import Scope

from .state import ItemsProgress, JoinBarrier, RerunEntry, TaskRun, WorkflowState

__all__ = ["MIRRORED", "ItemsWork", "Tx", "create_run", "evolve", "fail_workflow"]


class ItemsWork:
    """Mutable working copy of one running with-items run's progress, for one step.

    ``run`` is the run's record as of opening (its fields other than ``items`` do not change
    while the work is open: any change goes through :meth:`Tx.run`, which folds the work
    first); ``progress`` is its ``ItemsProgress`` as of opening, which still holds the parts
    that do not change per item (``values``, ``concurrency``, ``attempts``).
    """

    __slots__ = (
        "active",
        "concurrency",
        "done",
        "failed",
        "next_index",
        "progress",
        "results",
        "returned",
        "run",
        "statuses",
        "task",
        "total",
    )

    def __init__(self, run: TaskRun, task: TaskDef) -> None:
        progress = run.items
        assert progress is not None
        self.run = run
        self.task = task
        self.progress = progress
        self.results = progress.results.evolver()
        self.statuses = progress.statuses.evolver()
        self.concurrency = progress.concurrency
        self.total = len(progress.values)
        self.next_index = progress.next_index
        self.returned = progress.returned
        self.active = progress.active
        self.done = progress.done
        self.failed = progress.failed

    def fold(self) -> TaskRun:
        """The run's record with this work applied."""
        progress: ItemsProgress = evolve(self.progress, {
            "results": self.results.persistent(),
            "statuses": self.statuses.persistent(),
            "next_index": self.next_index,
            "returned": self.returned,
            "active": self.active,
            "done": self.done,
            "failed": self.failed,
        })
        return evolve(self.run, {"items": progress})


_UNMIRRORED = frozenset({"defn", "runs", "events"})
MIRRORED: tuple[str, ...] = tuple(
    f.name for f in fields(WorkflowState) if f.name not in _UNMIRRORED
)
"""The state's fields a Tx works on as plain attributes (``runs`` gets an evolver, ``defn``
never changes, ``events`` is counted by :meth:`Tx.commit`)."""

_read_mirrored = attrgetter(*MIRRORED)


class Tx:
    """Mutable working copy of a state for the length of one step.

    Its attributes are the state's fields (:data:`MIRRORED`, derived from
    :class:`WorkflowState`; the annotations below are for the type checker, and the module
    checks at import that they name exactly those fields), plus the step's own scratch.
    """

    __slots__ = (*MIRRORED, "asked", "at", "base", "commands", "defn", "empty_runs",
                 "item_notices", "policies", "runs", "work")

    execution_id: str
    status: WorkflowStatus
    params: PMap[str, Any]
    inputs: PMap[str, Any]
    root: Context
    store: PMap[str, Any]
    tasks_ns: PMap[str, Any]
    latest: PMap[tuple[str, int], int]
    ever_staged: PMap[str, bool]
    joins: PMap[tuple[str, int], JoinBarrier]
    routes: PVector[tuple[str, ...]]
    errors: PVector[ErrorRecord]
    open_runs: int
    inflight: int
    held: PVector[int]
    unhandled_failure: bool
    output: Any
    started_at: float
    finished_at: float | None
    limits: Limits
    held_bytes: int
    kv: KvSnapshot
    reruns: PVector[RerunEntry]
    inquiries: PMap[int, Inquiry]
    inquiry_ns: PMap[str, Any]
    ask_paused: bool
    paused_subs: PSet[tuple[int, int]]
    sub_paused: bool

    def __init__(self, state: WorkflowState, at: float, *, item_notices: bool = True) -> None:
        self.base = state
        self.item_notices = item_notices
        """Emit ``ItemFinished`` notices (a driver nobody follows may do without them)."""
        self.work: dict[int, ItemsWork] = {}
        self.empty_runs: list[int] = []
        """With-items runs of no items started in this step: they end after the step's
        handler (:func:`runtime.machine.runs.end_empty_runs`), as their own event would."""
        self.at = at
        self.asked = False
        """A ``core.ask`` opened in this step (the workflow pauses at its end)."""
        self.defn: WorkflowDef = state.defn
        self.policies: Policies = state.defn.policies
        self.commands: list[Command] = []
        self.runs: PVectorEvolver[TaskRun] = state.runs.evolver()
        for name, value in zip(MIRRORED, _read_mirrored(state), strict=True):
            setattr(self, name, value)

    # -- runs --------------------------------------------------------------------------

    def run(self, run_id: int) -> TaskRun:
        """Return the current version of run ``run_id`` (folding its open items work)."""
        if self.work:
            work = self.work.pop(run_id, None)
            if work is not None:
                run = self.runs[run_id] = work.fold()
                return run
        return self.runs[run_id]

    def all_runs(self) -> PVector[TaskRun]:
        """Every run, current (a PVector, in id order)."""
        self.fold_all()
        return self.runs.persistent()

    def fold_all(self) -> None:
        """Fold every open items work back into its run's record."""
        if self.work:
            for run_id, work in self.work.items():
                self.runs[run_id] = work.fold()
            self.work.clear()

    def open_items(self, run_id: int) -> ItemsWork | None:
        """The items work of run ``run_id``, opened if needed; None unless it is running
        with items."""
        work = self.work.get(run_id)
        if work is None:
            run = self.runs[run_id]
            if run.items is None or run.status is not TaskStatus.RUNNING:
                return None
            work = self.work[run_id] = ItemsWork(run, self.defn.task(run.task))
        return work

    def put(self, run: TaskRun) -> TaskRun:
        """Store a new version of ``run``; return it."""
        assert run.id not in self.work, "a run with open items work was stored unfolded"
        self.runs[run.id] = run
        return run

    def update(self, run: TaskRun, **changes: Any) -> TaskRun:
        """Store ``run`` with ``changes`` applied; return the new version."""
        return self.put(evolve(run, changes))

    def next_run_id(self) -> int:
        """Id the next created run will get."""
        return len(self.runs)

    # -- outputs of the step -----------------------------------------------------------

    def emit(self, command: Command) -> None:
        """Append a command."""
        self.commands.append(command)

    def error(self, record: ErrorRecord) -> None:
        """Append an entry to the workflow's error list."""
        self.errors = self.errors.append(record)

    # -- views -------------------------------------------------------------------------

    def visible(self, ctx: Context) -> Any:
        """The variables an expression sees, given a run's branch context."""
        return ctx.view if self.policies.branch_context else self.store

    def scope(self, run: TaskRun, **kwargs: Any) -> Scope:
        """Build the evaluation scope for expressions of ``run``."""
        return Scope(
            self.visible(run.ctx),
            task=run.task,
            task_statuses=partial(self.task_status, route=run.route),
            task_runs=partial(self.task_record, route=run.route),
            params=self.params,
            tasks=self.tasks_ns,
            system=self.system(),
            failed_includes_timeout=self.policies.failed_includes_timeout,
            kv=self.kv,
            inquiries=self.inquiry_ns,
            **kwargs,
        )

    def system(self) -> Any:
        """The ``system`` namespace (Attune)."""
        return pmap({"execution_id": self.execution_id, "workflow_start": self.started_at})

    def _latest_run(self, name: str, route: int) -> TaskRun | None:
        """The latest run of ``name`` on ``route`` or a parent route (the raw record)."""
        labels = self.routes[route]
        for candidate in range(len(self.routes) - 1, -1, -1):
            other = self.routes[candidate]
            if candidate == route or tuple(labels[: len(other)]) == tuple(other):
                run_id = self.latest.get((name, candidate))
                if run_id is not None:
                    # The raw record: its status is current even while its items work is
                    # open (folding here would stale the work an item render is using).
                    return self.runs[run_id]
        return None

    def task_status(self, name: str, route: int) -> str:
        """Status of task ``name`` on ``route`` or a parent route; ``"null"`` if unknown."""
        run = self._latest_run(name, route)
        return "null" if run is None else str(run.status.value)

    def task_record(self, name: str, route: int) -> PMap[str, Any] | None:
        """StackStorm's ``task(name)`` record of the latest run of ``name``; None if unknown.

        The fields are those st2 returns (``task_execution_id``, ``workflow_execution_id``,
        ``task_name``, ``task_id``, ``route``, ``result``, ``status``, ``start_timestamp``,
        ``end_timestamp``); timestamps are epoch seconds or None. A with-items run's
        ``result`` is st2's ``{items: [{status, result}, ...]}``, one entry per item.
        """
        run = self._latest_run(name, route) if route < len(self.routes) else None
        if run is None:
            return None
        return pmap({
            "task_execution_id": f"{self.execution_id}:{run.id}",
            "workflow_execution_id": self.execution_id,
            "task_name": run.task, "task_id": run.task, "route": run.route,
            "result": _st2_result(run), "status": str(run.status.value),
            "start_timestamp": run.started_at, "end_timestamp": run.finished_at,
        })

    def active(self) -> bool:
        """Tell whether the workflow may still start new work."""
        return self.status is WorkflowStatus.RUNNING

    def commit(self, consumed: int = 1) -> WorkflowState:
        """Build the next state (``consumed``: how many events this step took)."""
        self.fold_all()
        changes = {name: getattr(self, name) for name in MIRRORED}
        changes["runs"] = self.runs.persistent()
        changes["events"] = self.base.events + consumed
        return evolve(self.base, changes)


def _st2_result(run: TaskRun) -> Any:
    """The result ``task(name)`` shows: per item ``{status, result}`` for with-items."""
    items = run.items
    if items is None:
        return run.result
    return pmap({"items": pvector(pmap({"status": status, "result": result})
                                  for status, result in zip(items.statuses, items.results,
                                                            strict=True))})


_annotated = {name for name in Tx.__annotations__ if name in Tx.__slots__}
if _annotated != set(MIRRORED):  # pragma: no cover - a state field without its annotation
    raise TypeError(f"Tx annotations differ from WorkflowState's fields: "
                    f"{sorted(_annotated ^ set(MIRRORED))}")


def create_run(
    tx: Tx,
    task: str,
    route: int,
    ctx: Context,
    *,
    source_run: int | None = None,
    pseudo: bool = False,
    status: TaskStatus = TaskStatus.READY,
    run_on_fail: bool = False,
) -> TaskRun:
    """Append a new run (sequence entry) of ``task`` on ``route``."""
    run = TaskRun(
        id=tx.next_run_id(),
        task=task,
        route=route,
        status=status,
        ctx=ctx,
        created_at=tx.at,
        pseudo=pseudo,
        source_run=source_run,
        run_on_fail=run_on_fail,
        rerun=len(tx.reruns),
    )
    tx.runs.append(run)
    tx.latest = tx.latest.set((task, route), run.id)
    tx.ever_staged = tx.ever_staged.set(task, True)
    if not pseudo:
        tx.open_runs += 1
    return run


def fail_workflow(tx: Tx) -> None:
    """Decide the workflow has failed; running work may still finish."""
    tx.unhandled_failure = True
    if tx.status in (WorkflowStatus.RUNNING, WorkflowStatus.PAUSING, WorkflowStatus.PAUSED):
        tx.status = WorkflowStatus.FAILING
