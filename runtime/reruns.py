"""Rerunning a durable execution: from a request to the execution running again.

:func:`rerun` is :meth:`runtime.engine.Engine.rerun`: it reads the execution back from its
journal (:func:`runtime.stored_trees.read_tree`), checks the request before anything is
journaled (the execution finished, the tasks can be rerun: :func:`runtime.machine.rerun.
plan_rerun`; the edited parameters as at start: :func:`runtime.parameters.check_parameters`),
then continues the execution with a supervisor that feeds, and so journals, one
``RerunRequested`` (``Journaled.pending``). From there the rerun is a run like any other: its
events are journaled, a crash leaves it unfinished in the store, recovery replays the
request with the rest and continues it.

:func:`rerun_requests` reads the ``tasks`` argument (names, ``name:route``, mappings with
``task`` and ``route``, or :class:`~runtime.events.RerunTask`).

Misuse: rerun an execution through the engine that owns its store (one engine per store);
a sub-workflow's execution is rerun through its parent's (name ``task.inner``: see
docs/language.md), never on its own.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from runtime.errors import RerunRefused, UnknownExecution
from runtime.events import RerunRequested, RerunTask
from runtime.handle import WorkflowHandle
from runtime.launch import launch
from runtime.machine.rerun import first_child, plan_rerun, split_name
from runtime.machine.state import WorkflowState
from runtime.parameters import check_parameters
from runtime.spec.subworkflows import SubWorkflows
from runtime.status import WORKFLOW_DONE
from runtime.store.replaying import Journaled, read_journal
from runtime.stored_trees import read_tree
from runtime.values import freeze, thaw

__all__ = ["rerun", "rerun_requests"]

_CLAIMS: dict[tuple[int, str], object] = {}
"""(engine, execution) -> the rerun being set up: one at a time per execution (a
``setdefault`` is one dict operation, atomic under the GIL)."""


def rerun(engine: Any, execution_id: str, tasks: Iterable[Any] | None = None,
          reset: Iterable[str] = (), parameters: Mapping[str, Any] | None = None,
          **options: Any) -> WorkflowHandle:
    """Run the finished execution ``execution_id`` of ``engine`` again (see the module
    docstring); its handle. ``options``: ``trace``, ``on_event``... as for a recovery."""
    token = object()
    claim = (id(engine), execution_id)
    if _CLAIMS.setdefault(claim, token) is not token:
        raise RerunRefused(execution_id, status="running")
    try:
        return _rerun(engine, execution_id, rerun_requests(tasks or ()), tuple(reset),
                      dict(parameters or {}), options)
    finally:
        _CLAIMS.pop(claim, None)


def _rerun(engine: Any, execution_id: str, requests: tuple[RerunTask, ...],
           reset: tuple[str, ...], edits: dict[str, Any], options: Mapping[str, Any]
           ) -> WorkflowHandle:
    engine._check_open()
    live = engine._live.get(execution_id)
    if live is not None and not live.done():
        raise RerunRefused(execution_id, status=live.status)
    row = engine.record(execution_id)
    if row is None:
        raise UnknownExecution(execution_id)
    if row.parent is not None:
        raise RerunRefused(execution_id, reason="sub_workflow")
    if row.status not in {s.value for s in WORKFLOW_DONE}:
        raise RerunRefused(execution_id, status=row.status)
    tree = read_tree(engine._ask, row, engine._actions, {**engine._options, **options})
    state = tree.journaled.state
    subworkflows = tree.prepared.subworkflows
    continued: dict[str, Journaled] = {}
    children = _inside(engine._ask, execution_id, state, requests, reset, subworkflows,
                       subworkflows.base_dir, continued)
    parameters = state.params
    if edits:
        parameters = freeze({**(thaw(state.params) or json.loads(row.parameters)), **edits})
        check_parameters(tree.prepared.defn, parameters)
    request = RerunRequested(number=len(state.reruns) + 1, tasks=requests, reset=reset,
                             parameters=parameters, changed=tuple(sorted(edits)),
                             children=children, at=time.time())
    journaled = replace(tree.journaled, pending=(request,))
    handle = launch(tree.prepared, recovered=journaled,
                    durable=engine._durable(subworkflows, recovering=continued))
    engine._register(handle)
    return handle


def _inside(ask: Any, execution_id: str, state: WorkflowState,
            requests: tuple[RerunTask, ...], reset: tuple[str, ...],
            subworkflows: SubWorkflows, base_dir: Path, found: dict[str, Journaled]
            ) -> tuple[str, ...]:
    """Plan the rerun of ``state`` (refusing a bad request); the rerun tasks whose
    sub-workflow execution reruns inside, their journals (with their own rerun's request)
    put in ``found``, at every depth.

    A sub-workflow task reruns inside its sub-workflow when it names tasks there
    (``task.inner``), or when its sub-workflow has failed tasks to rerun; otherwise (it
    succeeded inside, it is in ``reset``, it runs with items) its sub-workflow starts again.
    """
    candidates = plan_rerun(state, requests, reset)
    inner: dict[str, list[RerunTask]] = {}
    for request in requests:
        head, rest = split_name(state.defn, request.task)
        if rest is not None:
            inner.setdefault(head, []).append(RerunTask(task=rest))
    children = []
    for run in candidates:
        wanted = tuple(inner.get(run.task, ()))
        sub = subworkflows.find(base_dir, run.action) if run.action else None
        if sub is None or run.items is not None or run.task in reset:
            if wanted:
                raise RerunRefused(execution_id, task=f"{run.task}.{wanted[0].task}",
                                   reason="not_a_sub_workflow")
            continue
        child_id = first_child(execution_id, run)
        rows = ask(partial(_entries, child_id))
        if not rows:
            continue  # it never started: it starts now
        child = read_journal(sub.defn, rows)
        try:
            grandchildren = _inside(ask, child_id, child.state, wanted, (), subworkflows,
                                    sub.base_dir, found)
        except RerunRefused as exc:
            if wanted:
                raise RerunRefused(execution_id, task=f"{run.task}.{exc.task}",
                                   reason=exc.reason) from None
            continue  # nothing to rerun inside: it starts again
        found[child_id] = replace(child, pending=(RerunRequested(
            number=len(child.state.reruns) + 1, tasks=wanted, parameters=child.state.params,
            children=grandchildren, at=time.time()),))
        children.append(run.task)
    return tuple(children)


def _entries(execution_id: str, store: Any) -> Any:
    return store.entries(execution_id)


def rerun_requests(tasks: Iterable[Any]) -> tuple[RerunTask, ...]:
    """The tasks of a rerun request as :class:`RerunTask` records (``TypeError`` or
    ``ValueError`` for what is none of the accepted forms)."""
    found: list[RerunTask] = []
    for task in tasks:
        if isinstance(task, RerunTask):
            found.append(task)
        elif isinstance(task, str):
            name, colon, route = task.rpartition(":")
            if colon and route.isdigit() and name:
                found.append(RerunTask(task=name, route=int(route)))
            else:
                found.append(RerunTask(task=task))
        elif isinstance(task, Mapping) and isinstance(task.get("task"), str):
            number = task.get("route")
            if number is not None and (type(number) is not int or number < 0):
                raise ValueError(f"task {task['task']!r}: a route is an integer >= 0")
            found.append(RerunTask(task=task["task"], route=number))
        else:
            raise TypeError(f"a rerun task is a name or {{'task', 'route'}}, not {task!r}")
    return tuple(found)
