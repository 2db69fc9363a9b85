"""The Python API: ``start_workflow()`` and the handle it returns.

    from runtime import start_workflow

    handle = start_workflow("deploy.yaml", {"env": "prod"}, on_event=print)
    result = handle.wait(timeout=600)
    if result.status == "failed":
        for error in result.errors:
            print(error.task, error.kind, error.message)

``start_workflow`` validates the workflow and the parameters before anything runs (raising
:class:`ValidationFailed` or :class:`ParameterError`), then starts one supervisor actor for
the execution and returns at once. This module is the boundary between the pure core and the
actor runtime: it is the only part of ``runtime`` that imports ``actors``.

Misuse: a handle belongs to one execution; waiting on it from several threads is fine, but
progress callbacks run in the supervisor's thread and must not block.
"""

from __future__ import annotations

import os
import queue
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pykka

from runtime.actions import ActionRegistry
from runtime.errors import ValidationFailed
from runtime.machine import check_parameters
from runtime.masking import Masker
from runtime.progress import ProgressEvent
from runtime.results import ExecutionResult, TaskRecord, WorkflowStatusName
from runtime.spec import load_workflow
from runtime.spec.model import WorkflowDef
from runtime.spec.report import Reporter
from runtime.spec.source import classify
from runtime.spec.subworkflows import is_workflow_file, resolve_subworkflows
from runtime.values import freeze

__all__ = [
    "ExecutionResult",
    "TaskRecord",
    "WorkflowHandle",
    "WorkflowStatusName",
    "set_worker_limit",
    "start_workflow",
]

_OPTIONS = frozenset(
    {"trace", "trace_level", "on_event", "execution_id", "dialect", "registry", "events",
     "workflows", "journal", "entry_points"}
)


class WorkflowHandle:
    """A running (or finished) execution: wait for it, follow it, cancel, pause, resume."""

    def __init__(self, *, execution_id: str, supervisor: Any, done: pykka.ThreadingFuture[Any],
                 events: queue.SimpleQueue[ProgressEvent] | None, sink: Any) -> None:
        self.execution_id = execution_id
        self._supervisor = supervisor
        self._done = done
        self._events = events
        self._sink = sink
        self._result: ExecutionResult | None = None

    def wait(self, timeout: float | None = None) -> ExecutionResult:
        """Block until the execution ends and return its result.

        Raises TimeoutError if it is still running after ``timeout`` seconds.
        """
        if self._result is None:
            try:
                self._result = self._done.get(timeout=timeout)
            except pykka.Timeout:
                raise TimeoutError(
                    f"execution {self.execution_id} still running after {timeout} s"
                ) from None
        return self._result

    def done(self) -> bool:
        """Tell whether the execution has ended."""
        if self._result is not None:
            return True
        try:
            self._result = self._done.get(timeout=0)
        except pykka.Timeout:
            return False
        return True

    @property
    def status(self) -> str:
        """The current status (``running``, ``pausing``, ``paused``, ``failing``, or final)."""
        if self.done():
            assert self._result is not None
            return str(self._result.status)
        try:
            status, _ = self._supervisor.ask(_inspect(), timeout=5)
            return str(status)
        except (pykka.ActorDeadError, pykka.Timeout):
            return str(self.wait(timeout=5).status)

    def cancel(self, reason: str = "canceled by caller", *, force: bool = False) -> None:
        """Cancel: nothing new starts, and running actions are stopped (shell commands killed).

        Under the ``allow_finish`` cancellation policy (Attune's default) running actions are
        let finish first, unless ``force`` is true.
        """
        from actors.messages import Cancel

        self._tell(Cancel(reason=reason, force=force))

    def pause(self) -> None:
        """Pause: running actions finish, nothing new starts until :meth:`resume`."""
        from actors.messages import Pause

        self._tell(Pause())

    def resume(self) -> None:
        """Resume a paused (or pausing) execution."""
        from actors.messages import Resume

        self._tell(Resume())

    def events(self, timeout: float | None = None) -> Iterator[ProgressEvent]:
        """Yield progress events until the execution finishes.

        Needs ``start_workflow(..., events=True)``. Raises TimeoutError if no event arrives
        within ``timeout`` seconds.
        """
        if self._events is None:
            raise RuntimeError("start the workflow with events=True to iterate its events")
        while True:
            try:
                event = self._events.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError("no progress event within the timeout") from None
            yield event
            if event.kind == "workflow_finished":
                return

    def _tell(self, message: Any) -> None:
        try:
            self._supervisor.tell(message)
        except pykka.ActorDeadError:
            pass  # already finished: cancel/pause/resume of a finished execution do nothing


def _inspect() -> Any:
    from actors.messages import Inspect

    return Inspect()


def start_workflow(
    workflow: str | os.PathLike[str] | WorkflowDef | Mapping[str, Any],
    parameters: Mapping[str, Any] | None = None,
    *,
    actions: Mapping[str, Any] | None = None,
    **options: Any,
) -> WorkflowHandle:
    """Validate and start a workflow; return its handle at once.

    ``workflow`` is a path, YAML text, a parsed mapping or a loaded definition. ``actions``
    maps action references to callables (or to workflows, for sub-workflows). Options:
    ``trace`` (path of a JSON-lines trace file), ``trace_level`` (``info``, the default, or
    ``debug``, which adds every per-item message of with-items workers), ``on_event``
    (callable or list of callables receiving :class:`ProgressEvent`), ``events`` (True to
    iterate ``handle.events()``),
    ``execution_id``, ``dialect`` (force ``orquesta`` or ``attune``), ``registry`` (an
    :class:`ActionRegistry`), ``entry_points`` (False to ignore plugins).
    """
    unknown = set(options) - _OPTIONS
    if unknown:
        raise TypeError(f"start_workflow() got unknown option(s): {', '.join(sorted(unknown))}")
    from actors.config import SupervisorConfig
    from actors.supervisor import WorkflowSupervisor
    from actors.tracing import TraceSink

    callables, workflows = _split_actions(actions, options.get("workflows"))
    registry = options.get("registry") or ActionRegistry(
        callables, entry_points=options.get("entry_points", True))

    def exists(ref: str) -> bool:
        return ref in workflows or is_workflow_file(ref) or registry.has(ref)

    defn = load_workflow(workflow, dialect=options.get("dialect"), action_exists=exists)
    if isinstance(workflow, WorkflowDef):
        _check_loaded_actions(defn, exists)
    subworkflows = resolve_subworkflows(defn, _base_dir(workflow), workflows,
                                        action_exists=exists)
    params = freeze(dict(parameters or {}))
    check_parameters(defn, params)
    masker = Masker.for_inputs(defn.inputs, params)
    trace = options.get("trace")
    sink = TraceSink(trace, options.get("trace_level", "info")) if trace else None
    listeners, events = _listeners(options.get("on_event"), bool(options.get("events")))
    execution_id = str(options.get("execution_id") or uuid.uuid4().hex[:12])
    config = SupervisorConfig(registry=registry, workflows=subworkflows, sink=sink,
                              listeners=tuple(listeners), journal=options.get("journal", True))
    done: pykka.ThreadingFuture[Any] = pykka.ThreadingFuture()
    supervisor = WorkflowSupervisor.start(defn=defn, parameters=params,
                                          execution_id=execution_id, config=config, done=done,
                                          masker=masker)
    return WorkflowHandle(execution_id=execution_id, supervisor=supervisor, done=done,
                          events=events, sink=sink)


def _listeners(on_event: Any, iterate: bool) -> tuple[
        list[Callable[[ProgressEvent], None]], queue.SimpleQueue[ProgressEvent] | None]:
    """The progress listeners ``on_event`` names, and the queue ``handle.events()`` reads."""
    listeners: list[Callable[[ProgressEvent], None]] = []
    if callable(on_event):
        listeners.append(on_event)
    elif on_event:
        listeners.extend(on_event)
    events: queue.SimpleQueue[ProgressEvent] | None = None
    if iterate:
        events = queue.SimpleQueue()
        listeners.append(events.put)
    return listeners, events


def set_worker_limit(limit: int) -> None:
    """Set how many item workers may be alive at once in this process, across executions.

    Every with-items item runs in a worker thread of its task's pool; the pools of all
    executions draw their workers from one budget (default 256, or ``TROUPE_MAX_WORKERS``),
    first come first served, so many executions at once cannot start thousands of threads.
    An item that waits for a worker is in flight for its workflow, but its ``timeout`` starts
    when a worker takes it. A task's ``concurrency`` still caps its own pool. Lowering the
    limit lets workers already alive finish their items; ``ValueError`` below 1.
    """
    from actors.capacity import WORKERS

    WORKERS.set_limit(int(limit))


def _split_actions(actions: Mapping[str, Any] | None, named: Mapping[str, WorkflowDef] | None
                   ) -> tuple[dict[str, Any], dict[str, WorkflowDef]]:
    """(action callables, workflows named by reference) from ``actions=`` and ``workflows=``."""
    callables: dict[str, Any] = {}
    workflows: dict[str, WorkflowDef] = dict(named or {})
    for ref, value in (actions or {}).items():
        if isinstance(value, WorkflowDef):
            workflows[ref] = value
        elif isinstance(value, (str, os.PathLike)) and is_workflow_file(str(value)):
            workflows[ref] = load_workflow(value)
        else:
            callables[ref] = value
    return callables, workflows


def _base_dir(workflow: Any) -> Path | None:
    """The directory relative sub-workflow paths are resolved from (None for text)."""
    if isinstance(workflow, WorkflowDef):
        return Path(workflow.file).parent if workflow.file else None
    path = classify(workflow).path
    return path.resolve().parent if path is not None else None


def _check_loaded_actions(defn: WorkflowDef, exists: Callable[[str], bool]) -> None:
    reporter = Reporter(defn.file)
    for name in defn.task_order:
        task = defn.task(name)
        if task.action_ref is not None and not exists(task.action_ref):
            reporter.report("T401", f"unknown action {task.action_ref!r}", task=name,
                            path=f"tasks.{name}.action")
    if reporter.failed:
        raise ValidationFailed(reporter.sorted())
