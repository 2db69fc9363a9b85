"""The state of one workflow execution: an immutable value the state machine derives.

A :class:`WorkflowState` is never changed in place: :func:`runtime.machine.advance` returns a
new one for every event, sharing everything that did not change. Task runs are the sequence
entries of the execution, numbered in the order they were created (``TaskRun.id``); a
with-items run keeps its items' progress in :class:`ItemsProgress`.

Misuse: do not build states by hand (use :func:`runtime.machine.initial_state`); do not keep a
reference to an old state expecting it to change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyrsistent import PMap, PSet, PVector, pmap, pset, pvector

from runtime.commands import ErrorRecord
from runtime.context import Context
from runtime.inquiries import Inquiry
from runtime.kv.snapshot import EMPTY_KV, KvSnapshot
from runtime.limits import DEFAULT_LIMITS, Limits
from runtime.spec.model import WorkflowDef
from runtime.status import TaskStatus, WorkflowStatus

__all__ = ["ItemsProgress", "JoinBarrier", "RerunEntry", "TaskRun", "WorkflowState"]

ITEM_RUNNING: str = TaskStatus.RUNNING._value_
"""An item in flight, in `ItemsProgress.statuses` (which holds the values of the statuses:
plain strings compare and hash faster on the per-item path)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemsProgress:
    """Progress of a with-items task run."""

    values: PVector[Any]
    """The items (frozen), in order."""
    results: PVector[Any]
    """Result per item index (None until it finished)."""
    statuses: PVector[str | None]
    """Per item: None (not started), ``"running"``, or the final status value."""
    concurrency: int
    attempts: PMap[int, int] = pmap()
    """Item index -> current attempt, for items that were retried (absent means 1)."""
    next_index: int = 0
    """The next item to release."""
    returned: PVector[int] = pvector()
    """Items whose attempt went back unstarted (``AttemptReturned``), released first."""
    active: int = 0
    done: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        """Number of items."""
        return len(self.values)

    def attempt_of(self, index: int) -> int:
        """Current attempt number of item ``index``."""
        attempts = self.attempts
        return attempts.get(index, 1) if attempts else 1


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskRun:
    """One run of a task on a route (a sequence entry); pseudo-tasks have runs too."""

    id: int
    task: str
    route: int
    status: TaskStatus
    ctx: Context
    """The context the run was staged with (its input context)."""
    created_at: float
    pseudo: bool = False
    run_on_fail: bool = False
    attempt: int = 0
    """Current attempt (0 before the first dispatch)."""
    action: str | None = None
    input: Any = None
    timeout: float | None = None
    retry_count: int | None = None
    result: Any = None
    error: str | None = None
    items: ItemsProgress | None = None
    started_at: float | None = None
    """When its first attempt (or first items) went out."""
    delayed_at: float | None = None
    """When its ``delay`` began (a delayed run is part of the execution before it starts)."""
    finished_at: float | None = None
    terminal: bool = False
    source_run: int | None = None
    """The run whose transition staged this one (None for start tasks)."""
    rerun_of: int | None = None
    """The run this one runs again (a rerun's, :mod:`runtime.machine.rerun`)."""
    child: str | None = None
    """The sub-workflow execution its first attempt continues (a rerun's)."""
    rerun: int = 0
    """How many reruns the execution had when this run was created (0: the first run)."""
    reset_items: bool = False
    """A rerun of a with-items run that runs all its items again (else only its failed
    ones)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinBarrier:
    """A join task waiting on a route for its inbound tasks."""

    task: str
    route: int
    arrived: tuple[str, ...] = ()
    """Distinct inbound tasks that arrived, in arrival order."""
    ctx: Context | None = None
    fired: bool = False
    last_source_run: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RerunEntry:
    """One rerun of the execution, as its history keeps it."""

    number: int
    tasks: tuple[tuple[str, int], ...]
    """(task, route) of every run it ran again."""
    runs: tuple[int, ...]
    """The new runs, in the order of ``tasks``."""
    reset: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    """The names of the parameters it edited."""
    requested_at: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkflowState:
    """Everything known about one execution."""

    defn: WorkflowDef
    execution_id: str = ""
    status: WorkflowStatus = WorkflowStatus.REQUESTED
    params: PMap[str, Any] = pmap()
    """Parameters as given (Attune ``parameters`` namespace)."""
    inputs: PMap[str, Any] = pmap()
    """Rendered inputs."""
    root: Context = field(default_factory=lambda: Context.root(pmap()))
    store: PMap[str, Any] = pmap()
    """The global variable store (dialects without branch contexts)."""
    tasks_ns: PMap[str, Any] = pmap()
    """Attune ``task.<name>`` namespace: name -> result record."""
    runs: PVector[TaskRun] = pvector()
    latest: PMap[tuple[str, int], int] = pmap()
    """(task, route) -> id of the latest run."""
    ever_staged: PMap[str, bool] = pmap()
    """task -> True once it had a run (for once-per-task reentry)."""
    joins: PMap[tuple[str, int], JoinBarrier] = pmap()
    """(task, route) -> :class:`JoinBarrier`."""
    routes: PVector[tuple[str, ...]] = pvector([()])
    errors: PVector[ErrorRecord] = pvector()
    open_runs: int = 0
    """Runs created and not finished (held, delayed, running, retrying)."""
    inflight: int = 0
    """Action attempts dispatched and not reported."""
    held: PVector[int] = pvector()
    """Run ids waiting for a resume."""
    unhandled_failure: bool = False
    output: Any = None
    started_at: float = 0.0
    finished_at: float | None = None
    events: int = 0
    """How many events this state consumed."""
    limits: Limits = DEFAULT_LIMITS
    """The size guards, from the ``WorkflowRequested`` event."""
    kv: KvSnapshot = EMPTY_KV
    """The key-value snapshot ``st2kv`` reads, from the ``WorkflowRequested`` event."""
    reruns: PVector[RerunEntry] = pvector()
    """The reruns of the execution, in order."""
    held_bytes: int = 0
    """Bytes of the results kept and the values published so far (JSON length,
    :func:`runtime.limits.json_size`), against ``limits.context_*``."""
    inquiries: PMap[int, Inquiry] = pmap()
    """Run id -> the inquiry it opened (pending or closed: :mod:`runtime.machine.asks`)."""
    inquiry_ns: PMap[str, Any] = pmap()
    """Attune ``inquiry.<task>`` namespace: task name -> its latest inquiry as data."""
    ask_paused: bool = False
    """A ``core.ask`` paused the workflow: its answer (or timeout) resumes it."""
    paused_subs: PSet[tuple[int, int]] = pset()
    """(run, item or -1) of the sub-workflow attempts that are paused (an inquiry below, or
    a pause of that branch): not active work (:mod:`runtime.machine.subpauses`)."""
    sub_paused: bool = False
    """The workflow paused because only paused sub-workflows were left: one of them running
    again resumes it."""

    def run(self, run_id: int) -> TaskRun:
        """Return run ``run_id``."""
        return self.runs[run_id]
