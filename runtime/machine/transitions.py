"""Transitions of a finished run: conditions, publishes, routes, joins.

:func:`evaluate_transitions` evaluates every transition of a finished run (all that match
fire) and publishes into the context each fired transition carries; :func:`take_edges` moves
along the fired edges in the dialect's order: engine commands become pseudo-runs, split points
open new routes, join barriers collect arrivals, and other targets get a new ready run. What
the edges did comes back as :class:`Arrivals`; starting the ready runs is the caller's
(:func:`runtime.machine.runs.complete_run`).

Misuse: only the machine calls these, inside one :class:`~runtime.machine.tx.Tx`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runtime.commands import ErrorRecord, TaskFinished, TaskStaged, TransitionEvaluated
from runtime.context import Context
from runtime.errors import ExpressionError
from runtime.graph import Edge
from runtime.spec.model import TaskDef, Transition
from runtime.status import TaskStatus
from runtime.templating import Scope

from .sizes import publish_guard
from .state import JoinBarrier, TaskRun
from .tx import Tx, create_run, fail_workflow

__all__ = ["PSEUDO", "Arrivals", "evaluate_transitions", "take_edges"]

PSEUDO = frozenset({"continue", "noop", "fail"})


@dataclass(slots=True)
class Arrivals:
    """What moving along a run's fired edges did."""

    remediated: bool = False
    """A fired edge led to a task, a join, ``noop`` or ``fail`` (not only ``continue``)."""
    manual_fail: bool = False
    """A fired edge led to ``fail``."""
    ready: list[TaskRun] = field(default_factory=list)
    """Runs that became ready to start."""
    handled_by: str | None = None
    """The first fired transition that remediates (``next[1] -> noop``), if any."""


def evaluate_transitions(
    tx: Tx, run: TaskRun, task: TaskDef, status: TaskStatus, result: Any
) -> dict[int, Context]:
    """Evaluate every transition; return the context each fired one carries."""
    scope = tx.scope(run, status=status.value, result=result, has_result=True)
    fired: dict[int, Context] = {}
    for transition in task.transitions:
        ok, error = _criteria(tx, transition, scope, status)
        published: tuple[str, ...] = ()
        if ok:
            ctx, published = _publish(tx, run, transition, scope)
            fired[transition.index] = ctx
            if tx.policies.sequential_publish:
                scope = scope.with_ctx(tx.store)
        tx.emit(
            TransitionEvaluated(
                run=run.id,
                task=run.task,
                route=run.route,
                transition=transition.index,
                when=transition.when_source,
                result=ok,
                targets=transition.targets,
                published=published,
                error=error,
            )
        )
    return fired


def take_edges(tx: Tx, run: TaskRun, fired: dict[int, Context]) -> Arrivals:
    """Follow the fired edges of ``run`` in the dialect's order."""
    edges = tx.defn.graph.outbound.get(run.task, ())
    if not tx.policies.transitions_by_target:
        edges = tuple(sorted(edges, key=lambda e: e.order))
    arrivals = Arrivals()
    for edge in edges:
        ctx = fired.get(edge.transition)
        if ctx is None:
            continue
        route = _route_for(tx, edge, run.route)
        if edge.target in PSEUDO:
            _pseudo_run(tx, run, edge.target, route, ctx)
            remediates = edge.target != "continue"
            arrivals.manual_fail = arrivals.manual_fail or edge.target == "fail"
        else:
            staged = _stage(tx, run, edge, route, ctx)
            remediates = staged is not False
            if isinstance(staged, TaskRun):
                arrivals.ready.append(staged)
        if remediates and not arrivals.remediated:
            arrivals.remediated = True
            arrivals.handled_by = f"next[{edge.transition}] -> {edge.target}"
    return arrivals


def _pseudo_run(tx: Tx, source: TaskRun, name: str, route: int, ctx: Context) -> None:
    status = TaskStatus.FAILED if name == "fail" else TaskStatus.SUCCEEDED
    run = create_run(tx, name, route, ctx, source_run=source.id, pseudo=True, status=status)
    tx.update(run, terminal=True, finished_at=tx.at, started_at=tx.at)
    if name == "fail":
        tx.error(ErrorRecord(kind="fail_command",
                             message=f"the workflow was failed by `fail` after task "
                             f"{source.task!r}", task="fail", route=route, run=run.id))
    tx.emit(TaskFinished(run=run.id, task=name, route=route, status=status, attempts=0,
                         pseudo=True))


def _criteria(
    tx: Tx, transition: Transition, scope: Scope, status: TaskStatus
) -> tuple[bool, str | None]:
    if transition.when is None:
        return True, None
    if transition.status_shortcut is not None and tx.policies.lenient_expressions:
        return status.value == transition.status_shortcut, None
    try:
        return bool(transition.when.render(scope)), None
    except ExpressionError as exc:
        tx.error(ErrorRecord(kind="expression", message=str(exc), task=scope.task,
                             field=f"next[{transition.index}].when",
                             expression=transition.when_source))
        if tx.policies.lenient_expressions:
            return status is TaskStatus.SUCCEEDED, str(exc)
        fail_workflow(tx)
        return False, str(exc)


def _publish(
    tx: Tx, run: TaskRun, transition: Transition, scope: Scope
) -> tuple[Context, tuple[str, ...]]:
    ctx = run.ctx
    if not transition.publish:
        return ctx, ()
    keys: list[str] = []
    rolling = scope
    for key, node in transition.publish:
        try:
            value = node.render(rolling)
        except ExpressionError as exc:
            tx.error(ErrorRecord(kind="expression", message=str(exc), task=run.task,
                                 route=run.route, run=run.id,
                                 field=f"next[{transition.index}].publish.{key}",
                                 expression=exc.expression or None))
            if not tx.policies.lenient_expressions:
                fail_workflow(tx)
            continue
        if not publish_guard(tx, run, key, value, transition.index):
            continue
        keys.append(key)
        if tx.policies.branch_context:
            ctx = ctx.publish(key, value)
            rolling = rolling.with_ctx(ctx.view)
        else:
            tx.store = tx.store.set(key, value)
            rolling = rolling.with_ctx(tx.store)
    return ctx, tuple(keys)


def _route_for(tx: Tx, edge: Edge, route: int) -> int:
    if not tx.policies.routes or not tx.defn.graph.is_split(edge.target):
        return route
    label = f"{edge.source}__t{edge.key}"
    labels = tx.routes[route]
    if label in labels:
        return route
    tx.routes = tx.routes.append((*labels, label))
    return len(tx.routes) - 1


def _completed(tx: Tx, task: str) -> bool:
    """Tell whether a run of ``task`` ended succeeded, or failed with its failure handled
    (Attune's ``completed_tasks``, which a ``join: N`` counts)."""
    for run in tx.all_runs():
        if run.task != task or run.pseudo:
            continue
        if run.status is TaskStatus.SUCCEEDED:
            return True
        if any(e.run == run.id and e.handled_by is not None for e in tx.errors):
            return True
    return False


def _stage(tx: Tx, source: TaskRun, edge: Edge, route: int, ctx: Context) -> TaskRun | bool:
    """Bring ``edge.target`` a step closer to running; return its run when it is ready.

    Returns False when the arrival was ignored (the target already ran, for dialects that
    run a task once), True when a join barrier took the arrival but is not yet satisfied.
    """
    target = tx.defn.task(edge.target)
    if not tx.policies.routes and tx.ever_staged.get(target.name):
        return False
    if target.join is None:
        run = create_run(tx, target.name, route, ctx, source_run=source.id)
        tx.emit(TaskStaged(task=target.name, route=route, source=source.task,
                           source_run=source.id, join=None, satisfied=1, required=1,
                           ready=True, run=run.id))
        return run
    key = (target.name, route)
    barrier = tx.joins.get(key) or JoinBarrier(task=target.name, route=route)
    if barrier.fired:
        return True
    arrived = barrier.arrived
    if source.task not in arrived:
        arrived = (*arrived, source.task)
    merged = ctx if barrier.ctx is None else barrier.ctx.merged_with(ctx)
    inbound = tx.defn.graph.inbound_sources(target.name)
    required = len(inbound) if target.join == "all" else int(target.join)
    counted = len(arrived)
    if tx.policies.join_counts_completed:
        counted += sum(1 for name in inbound if name not in arrived and _completed(tx, name))
    ready = counted >= required
    barrier = JoinBarrier(task=target.name, route=route, arrived=arrived, ctx=merged,
                          fired=ready, last_source_run=source.id)
    tx.joins = tx.joins.set(key, barrier)
    new_run = create_run(tx, target.name, route, merged, source_run=source.id) if ready else None
    tx.emit(TaskStaged(task=target.name, route=route, source=source.task, source_run=source.id,
                       join=target.join, satisfied=counted, required=required,
                       ready=ready, run=new_run.id if new_run else None))
    return new_run if new_run is not None else True


