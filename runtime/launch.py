"""Starting an execution: from the caller's arguments to a running supervisor.

:func:`prepare` does everything that can fail on the caller's input before anything runs:
it loads and validates the workflow and every sub-workflow it can reach, checks the
parameters, builds the masker, the trace sink and the progress listeners. :func:`launch`
then starts the execution's supervisor (in memory, or durable: journaled by an engine's
journal, or continued from its journal) and returns its handle. ``start_workflow`` and
:class:`runtime.engine.Engine` are both made of these two steps.

Misuse: a :class:`Prepared` is for one execution (its listeners and its trace sink are
its own); launch it once.
"""

from __future__ import annotations

import os
import queue
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pykka
import yaml

from runtime.actions import ActionRegistry
from runtime.actions.accepts import Accepts
from runtime.errors import ValidationFailed
from runtime.executors import LOCAL, ExecutorChoice, parse_executor, parse_threshold
from runtime.handle import WorkflowHandle
from runtime.kv.snapshot import EMPTY_KV, KvSnapshot
from runtime.kv.snapshot import plaintexts as kv_secrets
from runtime.kv.snapshot import take as take_kv
from runtime.limits import Limits
from runtime.masking import Masker
from runtime.parameters import check_parameters
from runtime.progress import ProgressEvent
from runtime.spec import load_workflow
from runtime.spec.input_checks import workflow_accepts
from runtime.spec.model import WorkflowDef
from runtime.spec.report import Reporter
from runtime.spec.source import SourceKind, classify, read
from runtime.spec.subworkflows import SubWorkflows, is_workflow_file, resolve_subworkflows
from runtime.spec.yamlmarks import Mark
from runtime.st2_context import environment
from runtime.values import freeze

__all__ = ["OPTIONS", "Prepared", "launch", "prepare", "with_kv_masked", "workflow_text"]

OPTIONS = frozenset(
    {"trace", "trace_level", "on_event", "execution_id", "dialect", "registry", "events",
     "workflows", "journal", "entry_points", "limits", "user", "api_url", "kv", "executor",
     "ray_result_threshold"}
)
"""The options ``start_workflow`` accepts (see its docstring)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepared:
    """An execution checked and ready to start."""

    defn: WorkflowDef
    params: Any
    """The parameters, frozen."""
    masker: Masker
    registry: ActionRegistry
    subworkflows: SubWorkflows
    sink: Any
    """The trace sink (None: no trace)."""
    listeners: tuple[Callable[[ProgressEvent], None], ...]
    events: queue.SimpleQueue[ProgressEvent] | None
    execution_id: str
    journal: bool
    limits: Limits
    environment: Any
    """Who starts it and from where (:func:`runtime.st2_context.environment`)."""
    kv: KvSnapshot = EMPTY_KV
    """The key-value pairs its ``st2kv`` reads (:mod:`runtime.kv.snapshot`)."""
    executor: ExecutorChoice = LOCAL
    """Where its attempts run unless a task says (:mod:`runtime.executors`)."""
    ray_result_threshold: int | None = None
    """Bytes over which a Ray attempt's result stays in the object store (None: none do)."""


def prepare(workflow: Any, parameters: Mapping[str, Any] | None,
            actions: Mapping[str, Any] | None, options: Mapping[str, Any], *,
            base_dir: Path | None = None) -> Prepared:
    """Check everything about an execution before it runs (see ``start_workflow``).

    ``base_dir``: where relative sub-workflow paths resolve (default: the workflow file's
    directory; the current one for text).
    """
    unknown = set(options) - OPTIONS
    if unknown:
        raise TypeError(f"start_workflow() got unknown option(s): {', '.join(sorted(unknown))}")
    from actors.tracing import TraceSink

    callables, workflows = _split_actions(actions, options.get("workflows"))
    registry = options.get("registry") or ActionRegistry(
        callables, entry_points=options.get("entry_points", True))

    def exists(ref: str) -> bool:
        return ref in workflows or is_workflow_file(ref) or registry.has(ref)

    def accepts(ref: str) -> Accepts | None:  # T406-T408: a task's input names
        named = workflows.get(ref)
        return registry.accepts(ref) if named is None else workflow_accepts(named)

    defn = load_workflow(workflow, dialect=options.get("dialect"), action_exists=exists,
                         action_inputs=accepts)
    if isinstance(workflow, WorkflowDef):
        _check_loaded_actions(defn, exists)
    subworkflows = resolve_subworkflows(defn, base_dir or _base_dir(workflow), workflows,
                                        action_exists=exists, action_inputs=accepts)
    params = freeze(dict(parameters or {}))
    check_parameters(defn, params)
    execution_id = str(options.get("execution_id") or uuid.uuid4().hex[:12])
    trace = options.get("trace")
    if callable(trace):  # one file per execution: trace(execution_id) names it
        trace = trace(execution_id)
    listeners, events = _listeners(options.get("on_event"), bool(options.get("events")))
    env = environment(options)
    kv = take_kv(options.get("kv"), (defn, *(s.defn for s in (*subworkflows.named.values(),
                                                              *subworkflows.files.values()))),
                 user=env["user"])  # st2kv reads the keys of ctx().st2.user, as in StackStorm
    masker = Masker.for_inputs(defn.inputs, params).combined(Masker(kv_secrets(kv)))
    return Prepared(
        defn=defn, params=params, masker=masker, kv=kv,
        registry=registry, subworkflows=subworkflows,
        sink=TraceSink(trace, options.get("trace_level", "info")) if trace else None,
        listeners=tuple(listeners), events=events,
        execution_id=execution_id,
        journal=bool(options.get("journal", True)),
        limits=options.get("limits") or Limits.from_env(),
        environment=env, executor=parse_executor(options.get("executor")),
        ray_result_threshold=parse_threshold(options.get("ray_result_threshold")))


def launch(prepared: Prepared, *, durable: Any = None, row: Any = None,
           recovered: Any = None, inquiries: Any = None) -> WorkflowHandle:
    """Start the prepared execution's supervisor and return its handle.

    ``durable`` (an :class:`actors.config.DurableConfig`) journals it; ``row`` is its new
    execution record, or ``recovered`` its journal read back (to continue it);
    ``inquiries``: the :class:`actors.inquiry_book.InquiryBook` its inquiries are listed in
    (an engine's; default: one of its own, which its handle answers).
    """
    from actors.config import SupervisorConfig
    from actors.inquiry_book import InquiryBook
    from actors.remote import prepare as connect_executors
    from actors.supervisor import WorkflowSupervisor

    subs = prepared.subworkflows
    connect_executors(prepared.executor, (prepared.defn, *(
        sub.defn for sub in (*subs.named.values(), *subs.files.values()))))

    config = SupervisorConfig(registry=prepared.registry, workflows=prepared.subworkflows,
                              sink=prepared.sink, listeners=prepared.listeners,
                              journal=prepared.journal, durable=durable,
                              limits=prepared.limits, environment=prepared.environment,
                              kv=prepared.kv, inquiries=inquiries or InquiryBook(),
                              executor=prepared.executor,
                              ray_result_threshold=prepared.ray_result_threshold)
    done: pykka.ThreadingFuture[Any] = pykka.ThreadingFuture()
    supervisor = WorkflowSupervisor.start(
        defn=prepared.defn, parameters=prepared.params, execution_id=prepared.execution_id,
        config=config, done=done, masker=prepared.masker, row=row, recovered=recovered)
    return WorkflowHandle(execution_id=prepared.execution_id, supervisor=supervisor,
                          done=done, events=prepared.events, sink=prepared.sink,
                          masker=prepared.masker, inquiries=config.inquiries)


def with_kv_masked(prepared: Prepared, kv: KvSnapshot) -> Prepared:
    """``prepared`` reading ``kv`` (a snapshot read back from a journal), its secrets
    masked (a recovered execution renders and masks what its first run did)."""
    if not kv.taken:
        return prepared
    return replace(prepared, kv=kv, masker=prepared.masker.combined(Masker(kv_secrets(kv))))


def workflow_text(workflow: Any) -> str | None:
    """The YAML text of a workflow argument (None for a loaded definition without a file)."""
    if isinstance(workflow, WorkflowDef):
        return read(classify(Path(workflow.file))) if workflow.file else None
    source = classify(workflow)
    if source.kind is SourceKind.MAPPING:
        return yaml.safe_dump(dict(source.value), sort_keys=False)
    return read(source)


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
            where = Mark(task.line, 1) if task.line is not None else None  # the task's key
            reporter.report("T401", f"unknown action {task.action_ref!r}", task=name,
                            path=f"tasks.{name}.action", mark=where)
    if reporter.failed:
        raise ValidationFailed(reporter.sorted())
