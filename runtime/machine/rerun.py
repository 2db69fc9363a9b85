"""Rerun: a finished execution runs again from some of its tasks (Orquesta's workflow rerun).

:func:`plan_rerun` is the planning, a pure function of the execution's state and the
request: it refuses (:class:`~runtime.errors.RerunRefused`) an execution that has not
finished, a task that is unknown, never ran or has no run on the route named, and a
``reset`` of a task that is unknown or not rerun; it returns the runs to run again:

- without tasks, the rerun candidates are the latest runs that failed (or timed out)
  without being remediated, and those a cancel stopped midway;
- with tasks, each task's latest run on the route named (on every route it ran on without
  one); a request on the path of another one (its run descends, through the runs that
  staged it, from another requested run) collapses into that one: rerunning the earlier
  reaches it anyway, and two would run that branch twice.

:func:`on_rerun` (the ``RerunRequested`` handler) carries the plan out: the workflow runs
again; the errors of the rerun tasks are cleared (and a cancel's, the output's, an
unreachable join's); the runs on the rerun path (the candidates and what they led to) are
no longer terminal, the joins they arrived at wait for them again and the tasks they
staged may be staged again;
then every candidate gets a new run with the context its first run was staged with (the
edited parameters set in it) and is dispatched. A with-items rerun keeps the results of its
items that succeeded, unless it is reset (:mod:`runtime.machine.carry`). Tasks not on the
rerun path keep their records and what they published, and are not called again. The
execution keeps each rerun in ``WorkflowState.reruns``; the runs a rerun creates carry its
number (``TaskRun.rerun``: their attempts' idempotency keys name it).

A task named ``task.inner`` (:func:`split_name`) is ``task`` here, rerun inside the
sub-workflow it called; which sub-workflow executions are continued that way is the
caller's decision (it reads their journals), given in ``RerunRequested.children``: their
new runs' first attempt names the execution it continues (``TaskRun.child``,
:func:`first_child`), which reruns with a request of its own.

Misuse: the caller checks the edited parameters (as at start) and plans first, to refuse
a bad request before anything is journaled; the handler plans again on the same state (a
replay does) and ignores a request the plan refuses.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyrsistent import pvector

from runtime.commands import RunAction, WorkflowRerun, sub_execution_id
from runtime.errors import RerunRefused
from runtime.events import Event, RerunRequested, RerunTask
from runtime.spec.model import WorkflowDef
from runtime.status import WORKFLOW_DONE, TaskStatus, WorkflowStatus, is_abended

from .runs import dispatch
from .state import JoinBarrier, RerunEntry, TaskRun, WorkflowState
from .tx import Tx, create_run

__all__ = ["first_child", "on_rerun", "plan_rerun", "rerun_history", "split_name"]

Planned = WorkflowState | Tx
"""What a plan reads: a state (the engine's check) or a step's working copy (the handler)."""


def plan_rerun(state: Planned, tasks: Iterable[RerunTask] = (),
               reset: Iterable[str] = ()) -> tuple[TaskRun, ...]:
    """The runs a rerun runs again, by (task, route) (see the module docstring)."""
    if state.status not in WORKFLOW_DONE:
        raise RerunRefused(state.execution_id, status=state.status.value)
    requested = tuple(tasks)
    if requested:
        candidates = _collapsed(state, [run for t in requested for run in _named(state, t)])
    else:
        candidates = [run for run in _latest(state) if _rerunnable(state, run)]
    if not candidates:
        raise RerunRefused(state.execution_id, reason="nothing_to_rerun")
    names = {run.task for run in candidates}
    for name in reset:
        if name not in state.defn.tasks:
            raise RerunRefused(state.execution_id, task=name, reason="unknown_task")
        if name not in names:
            raise RerunRefused(state.execution_id, task=name, reason="not_rerun")
    unique = {run.id: run for run in candidates}
    return tuple(sorted(unique.values(), key=lambda run: (run.task, run.route)))


def _latest(state: Planned) -> list[TaskRun]:
    return [state.runs[run_id] for run_id in state.latest.values()]


def _ran(run: TaskRun) -> bool:
    return not run.pseudo and run.started_at is not None


def _rerunnable(state: Planned, run: TaskRun) -> bool:
    """A run that failed without being remediated, or that a cancel stopped midway."""
    if not _ran(run):
        return False
    if run.status is TaskStatus.CANCELED:
        return True
    if not is_abended(run.status):
        return False
    return not any(e.run == run.id and e.handled_by is not None for e in state.errors)


def split_name(defn: WorkflowDef, name: str) -> tuple[str, str | None]:
    """``(task, inner)``: a task of ``defn``, and the name inside its sub-workflow
    (``deploy.push``: task ``deploy``, ``push`` in the workflow it calls; None: the task
    itself). A name that is a task is that task, dots and all."""
    if name in defn.tasks:
        return name, None
    for index, char in enumerate(name):
        if char == "." and name[:index] in defn.tasks:
            return name[:index], name[index + 1:] or None
    return name, None


def first_child(execution_id: str, run: TaskRun) -> str:
    """The id of the sub-workflow execution the last attempt of ``run`` started."""
    return sub_execution_id(execution_id, RunAction(
        run=run.id, task=run.task, route=run.route, attempt=run.attempt, action=run.action,
        input=None, child=run.child if run.attempt == 1 else None))


def _named(state: Planned, request: RerunTask) -> list[TaskRun]:
    task, _ = split_name(state.defn, request.task)
    if task not in state.defn.tasks:
        raise RerunRefused(state.execution_id, task=request.task, reason="unknown_task")
    runs = [run for run in _latest(state) if run.task == task and _ran(run)]
    if not runs:
        raise RerunRefused(state.execution_id, task=request.task, reason="never_ran")
    if request.route is None:
        return runs
    on_route = [run for run in runs if run.route == request.route]
    if not on_route:
        raise RerunRefused(state.execution_id, task=request.task, reason="bad_route")
    return on_route


def _collapsed(state: Planned, runs: list[TaskRun]) -> list[TaskRun]:
    """The requested runs without those on the path of another requested run."""
    ids = {run.id for run in runs}
    return [run for run in runs if not (_ancestors(state, run) & (ids - {run.id}))]


def _ancestors(state: Planned, run: TaskRun) -> set[int]:
    found: set[int] = set()
    source = run.source_run
    while source is not None and source not in found:
        found.add(source)
        source = state.runs[source].source_run
    return found


def _descendants(state: Planned, roots: Iterable[int]) -> set[int]:
    """The runs staged, at any distance, by the runs ``roots`` (and those)."""
    children: dict[int, list[int]] = {}
    for index in range(len(state.runs)):
        run = state.runs[index]
        if run.source_run is not None:
            children.setdefault(run.source_run, []).append(run.id)
    found: set[int] = set()
    stack = list(roots)
    while stack:
        run_id = stack.pop()
        if run_id in found:
            continue
        found.add(run_id)
        stack.extend(children.get(run_id, ()))
    return found


def on_rerun(tx: Tx, event: Event) -> None:
    """Handle ``RerunRequested`` (see the module docstring)."""
    assert isinstance(event, RerunRequested)
    try:
        candidates = plan_rerun(tx, event.tasks, event.reset)
    except RerunRefused:
        return  # the caller plans first: a refused request is never journaled
    tx.fold_all()
    names = {run.task for run in candidates}
    path = _descendants(tx, (run.id for run in candidates))
    _reopen(tx, names, path)
    if event.changed:
        tx.params = event.parameters
        tx.inputs = tx.inputs.update({k: event.parameters[k] for k in event.changed
                                      if k in event.parameters})
    start = tx.next_run_id()
    tx.reruns = tx.reruns.append(RerunEntry(
        number=event.number, tasks=tuple((r.task, r.route) for r in candidates),
        runs=tuple(range(start, start + len(candidates))), reset=tuple(event.reset),
        parameters=tuple(event.changed), requested_at=event.at))
    created = []
    for first in candidates:
        ctx = first.ctx
        if event.changed and tx.policies.branch_context:
            ctx = ctx.publish_all((k, event.parameters[k]) for k in event.changed
                                  if k in event.parameters)
        run = create_run(tx, first.task, first.route, ctx, source_run=first.source_run)
        child = first_child(tx.execution_id, first) if first.task in event.children else None
        created.append(tx.update(run, rerun_of=first.id, reset_items=first.task in event.reset,
                                 child=child))
    tx.emit(WorkflowRerun(number=event.number, tasks=tuple(r.task for r in candidates),
                          runs=tuple(r.id for r in created),
                          rerun_of=tuple(r.id for r in candidates)))
    for run in created:
        dispatch(tx, tx.run(run.id))


def _reopen(tx: Tx, names: set[str], path: set[int]) -> None:
    """The workflow runs again: its end, the rerun tasks' errors and the rerun path's
    terminal flags, join arrivals and stagings are taken back."""
    tx.status = WorkflowStatus.RUNNING
    tx.finished_at = None
    tx.output = None
    tx.errors = pvector(e for e in tx.errors if not _cleared(e, names))
    tx.unhandled_failure = any(e.handled_by is None for e in tx.errors)
    on_path = {tx.runs[run_id].task for run_id in path}
    for run_id in path:
        run = tx.runs[run_id]
        if run.terminal:
            tx.update(run, terminal=False)
    joins: Any = tx.joins
    for key, barrier in tx.joins.items():
        arrived = tuple(name for name in barrier.arrived if name not in on_path)
        if arrived != barrier.arrived:
            joins = joins.set(key, JoinBarrier(task=barrier.task, route=barrier.route,
                                               arrived=arrived, ctx=barrier.ctx))
    tx.joins = joins
    staged = tx.ever_staged
    for name in on_path - names:
        staged = staged.discard(name)
    tx.ever_staged = staged


def _cleared(error: Any, names: set[str]) -> bool:
    """An error a rerun takes back: a rerun task's, a cancel's, the output's, a join's
    that could not be reached (the end decides it again)."""
    if error.kind == "unreachable_join":
        return True
    if error.task is not None:
        return bool(error.task in names)
    return bool(error.kind == "canceled" or (error.field or "").startswith("output."))


def rerun_history(state: WorkflowState) -> list[dict[str, Any]]:
    """The execution's reruns: ``number``, ``tasks`` (``task``, ``route``, ``run``,
    ``rerun_of``), ``reset``, ``parameters`` (the names edited), ``requested_at`` (epoch
    seconds)."""
    runs = state.runs
    return [{"number": entry.number,
             "tasks": [{"task": task, "route": route, "run": run,
                        "rerun_of": runs[run].rerun_of}
                       for (task, route), run in zip(entry.tasks, entry.runs, strict=True)],
             "reset": list(entry.reset), "parameters": list(entry.parameters),
             "requested_at": entry.requested_at}
            for entry in state.reruns]
