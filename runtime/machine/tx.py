"""Scratch space for one step of the state machine.

A :class:`Tx` is opened on a :class:`WorkflowState` for one event, collects the changes as
evolvers and local fields, collects the commands, and :meth:`Tx.commit` builds the next state
in one go. It lives only inside :func:`runtime.machine.advance`; the states it reads are never
changed, so the machine stays a pure function.

Misuse: never keep a Tx beyond one event; never hand its evolvers to anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from runtime.commands import Command, ErrorRecord
from runtime.context import Context
from runtime.spec.model import Policies, WorkflowDef
from runtime.status import WorkflowStatus
from runtime.templating import Scope

from .state import TaskRun, WorkflowState

__all__ = ["Tx", "evolve", "fail_workflow"]

_T = TypeVar("_T")


def evolve(record: _T, changes: dict[str, Any]) -> _T:
    """Return a copy of a frozen slotted record with ``changes`` applied.

    The same as ``dataclasses.replace`` without re-running field introspection and
    ``__init__`` (two to three times as fast, and this is on the per-item path).
    """
    kind = type(record)
    make = _EVOLVERS.get(kind)
    if make is None:
        make = _EVOLVERS[kind] = _compile_evolver(kind)
    return make(record, changes)


_EVOLVERS: dict[type, Callable[[Any, dict[str, Any]], Any]] = {}


def _compile_evolver(kind: type) -> Callable[[Any, dict[str, Any]], Any]:
    """Build ``evolve`` for one record class: straight-line code over its slots."""
    names: tuple[str, ...] = kind.__slots__  # type: ignore[attr-defined]
    lines = ["def evolve(record, changes, new=object.__new__, cls=cls):", "    copy = new(cls)"]
    namespace: dict[str, Any] = {"cls": kind}
    for index, name in enumerate(names):
        descriptor = kind.__dict__[name]
        namespace[f"set{index}"] = descriptor.__set__
        namespace[f"get{index}"] = descriptor.__get__
        lines.append(
            f"    set{index}(copy, changes[{name!r}] if {name!r} in changes "
            f"else get{index}(record))"
        )
    lines.append("    return copy")
    exec("\n".join(lines), namespace)  # the code is built from the class's own slot names
    return namespace["evolve"]


class Tx:
    """Mutable working copy of a state for the length of one event."""

    __slots__ = (
        "at",
        "base",
        "commands",
        "defn",
        "errors",
        "ever_staged",
        "execution_id",
        "finished_at",
        "held",
        "inflight",
        "inputs",
        "joins",
        "latest",
        "open_runs",
        "output",
        "params",
        "policies",
        "root",
        "routes",
        "runs",
        "started_at",
        "status",
        "store",
        "tasks_ns",
        "unhandled_failure",
    )

    def __init__(self, state: WorkflowState, at: float) -> None:
        self.base = state
        self.at = at
        self.defn: WorkflowDef = state.defn
        self.policies: Policies = state.defn.policies
        self.commands: list[Command] = []
        self.status = state.status
        self.execution_id = state.execution_id
        self.params = state.params
        self.inputs = state.inputs
        self.root = state.root
        self.store = state.store
        self.tasks_ns = state.tasks_ns
        self.runs = state.runs.evolver()
        self.latest = state.latest
        self.ever_staged = state.ever_staged
        self.joins = state.joins
        self.routes = state.routes
        self.errors = state.errors
        self.open_runs = state.open_runs
        self.inflight = state.inflight
        self.held = state.held
        self.unhandled_failure = state.unhandled_failure
        self.output = state.output
        self.started_at = state.started_at
        self.finished_at = state.finished_at

    # -- runs --------------------------------------------------------------------------

    def run(self, run_id: int) -> TaskRun:
        """Return the current version of run ``run_id``."""
        return self.runs[run_id]

    def put(self, run: TaskRun) -> TaskRun:
        """Store a new version of ``run``; return it."""
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
            params=self.params,
            tasks=self.tasks_ns,
            system=self.system(),
            failed_includes_timeout=self.policies.failed_includes_timeout,
            **kwargs,
        )

    def system(self) -> Any:
        """The ``system`` namespace (Attune)."""
        from pyrsistent import pmap

        return pmap({"execution_id": self.execution_id, "workflow_start": self.started_at})

    def task_status(self, name: str, route: int) -> str:
        """Status of task ``name`` on ``route`` or a parent route; ``"null"`` if unknown."""
        labels = self.routes[route]
        for candidate in range(len(self.routes) - 1, -1, -1):
            other = self.routes[candidate]
            if candidate == route or tuple(labels[: len(other)]) == tuple(other):
                run_id = self.latest.get((name, candidate))
                if run_id is not None:
                    return str(self.run(run_id).status.value)
        return "null"

    def active(self) -> bool:
        """Tell whether the workflow may still start new work."""
        return self.status is WorkflowStatus.RUNNING

    def commit(self, consumed: int = 1) -> WorkflowState:
        """Build the next state (``consumed``: how many events this step took)."""
        base = self.base
        return evolve(
            base,
            {
                "status": self.status,
                "execution_id": self.execution_id,
                "params": self.params,
                "inputs": self.inputs,
                "root": self.root,
                "store": self.store,
                "tasks_ns": self.tasks_ns,
                "runs": self.runs.persistent(),
                "latest": self.latest,
                "ever_staged": self.ever_staged,
                "joins": self.joins,
                "routes": self.routes,
                "errors": self.errors,
                "open_runs": self.open_runs,
                "inflight": self.inflight,
                "held": self.held,
                "unhandled_failure": self.unhandled_failure,
                "output": self.output,
                "started_at": self.started_at,
                "finished_at": self.finished_at,
                "events": base.events + consumed,
            },
        )


def fail_workflow(tx: Tx) -> None:
    """Decide the workflow has failed; running work may still finish."""
    tx.unhandled_failure = True
    if tx.status in (WorkflowStatus.RUNNING, WorkflowStatus.PAUSING, WorkflowStatus.PAUSED):
        tx.status = WorkflowStatus.FAILING
