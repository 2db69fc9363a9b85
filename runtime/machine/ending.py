"""The end of a workflow: when it pauses, when it is over, and its output.

:func:`settle` runs after every event the machine consumes: a pausing workflow with nothing
in flight is paused; a canceling one with nothing in flight is canceled; a failing one closes
what a pause parked; a running or failing one with no open run is over (a join that was
partially satisfied and can no longer fire fails it) and :func:`finish` renders its output
from the terminal context and emits ``WorkflowFinished``.

Misuse: only the machine calls these, inside one :class:`~runtime.machine.tx.Tx`; call
:func:`finish` once (``settle`` does nothing on a finished workflow).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from pyrsistent import PMap, pmap, pvector

from runtime.commands import ErrorRecord, WorkflowFinished, WorkflowPaused
from runtime.context import Context
from runtime.errors import ExpressionError
from runtime.spec.model import WorkflowDef
from runtime.status import TaskStatus, WorkflowStatus
from runtime.templating import Scope
from runtime.values import thaw

from .runs import cancel_run, complete_run, dispatch, items_advanced
from .tx import Tx

__all__ = ["finish", "ordered_output", "settle", "terminal_context"]


def settle(tx: Tx) -> None:
    """Finish or pause the workflow if nothing is left that could change it."""
    if tx.status is WorkflowStatus.PAUSING and tx.inflight == 0:
        tx.status = WorkflowStatus.PAUSED
        tx.emit(WorkflowPaused())
        return
    if tx.status is WorkflowStatus.CANCELING:
        if tx.inflight == 0:
            for run in list(tx.all_runs()):
                if not run.pseudo and run.finished_at is None:
                    cancel_run(tx, run)
            finish(tx, WorkflowStatus.CANCELED)
        return
    if tx.status is WorkflowStatus.FAILING:
        _close_parked(tx)
    if tx.status not in (WorkflowStatus.RUNNING, WorkflowStatus.FAILING) or tx.open_runs:
        return
    for barrier in tx.joins.values():
        if not barrier.fired and tx.policies.routes:
            tx.error(ErrorRecord(
                kind="unreachable_join",
                message=f"join task {barrier.task!r} on route {barrier.route} is partially "
                f"satisfied ({len(barrier.arrived)} arrived) but can no longer be reached",
                task=barrier.task,
                route=barrier.route,
            ))
            tx.unhandled_failure = True
    failed = tx.unhandled_failure or tx.status is WorkflowStatus.FAILING
    finish(tx, WorkflowStatus.FAILED if failed else WorkflowStatus.SUCCEEDED)


def _close_parked(tx: Tx) -> None:
    """End the runs a pause parked, once the workflow fails instead of resuming.

    A failing workflow accepts no resume and starts nothing new, so a run held by the pause
    starts only if it remediates the failure (``run_on_fail``) and is canceled otherwise,
    and a with-items run the pause stopped between items ends (as when it is resumed into a
    failing workflow). Without this, a failure while pausing would leave them open forever.
    """
    if tx.held:
        held, tx.held = tx.held, pvector()
        for run_id in held:
            run = tx.run(run_id)
            if run.run_on_fail:
                dispatch(tx, tx.update(run, status=TaskStatus.READY))
            else:
                complete_run(tx, run, TaskStatus.CANCELED, None, transitions=False)
    if tx.inflight or tx.status is not WorkflowStatus.FAILING:
        return  # a with-items run with items in flight ends when its last item reports
    for run in tx.all_runs():
        if run.items is not None and run.status is TaskStatus.RUNNING and not run.items.active:
            work = tx.open_items(run.id)
            if work is not None:  # None: an earlier one's end already ended it
                items_advanced(tx, work)


def finish(tx: Tx, status: WorkflowStatus) -> None:
    """Render the output and end the workflow with ``status``."""
    if status is WorkflowStatus.SUCCEEDED or tx.policies.output_on_failure:
        ok = _render_output(tx)
        if not ok and status is WorkflowStatus.SUCCEEDED and not tx.policies.lenient_expressions:
            status = WorkflowStatus.FAILED
    else:
        tx.output = pmap()
    tx.status = status
    tx.finished_at = tx.at
    tx.emit(WorkflowFinished(status=status, output=ordered_output(tx.defn, tx.output),
                             errors=tuple(tx.errors)))


def ordered_output(defn: WorkflowDef, output: Any) -> dict[str, Any]:
    """The rendered output as plain data, in the order the workflow declares it."""
    outputs = output or {}
    return {name: thaw(outputs[name]) for name, _ in defn.outputs if name in outputs}


def terminal_context(tx: Tx) -> Any:
    """The variables outputs are rendered with (Orquesta's terminal context)."""
    if not tx.policies.branch_context:
        return tx.store
    ctx: Context | None = None
    for run in tx.all_runs():
        if not run.terminal:
            continue
        ctx = run.ctx if ctx is None else ctx.merged_with(run.ctx)
    return (ctx or tx.root).view


def _render_output(tx: Tx) -> bool:
    view = terminal_context(tx)
    output: PMap[str, Any] = pmap()
    ok = True
    for name, node in tx.defn.outputs:
        scope = Scope(view, params=tx.params, tasks=tx.tasks_ns, system=tx.system(),
                      task_runs=partial(tx.task_record, route=0), kv=tx.kv)
        try:
            value = node.render(scope)
        except ExpressionError as exc:
            tx.error(ErrorRecord(kind="expression", message=str(exc), field=f"output.{name}",
                                 expression=exc.expression or None))
            ok = False
            continue
        output = output.set(name, value)
        if tx.policies.branch_context:
            view = view.set(name, value)
    tx.output = output
    return ok
