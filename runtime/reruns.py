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
from typing import Any

from runtime.errors import RerunRefused, UnknownExecution
from runtime.events import RerunRequested, RerunTask
from runtime.handle import WorkflowHandle
from runtime.launch import launch
from runtime.machine.rerun import plan_rerun
from runtime.parameters import check_parameters
from runtime.status import WORKFLOW_DONE
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
    plan_rerun(state, requests, reset)
    parameters = state.params
    if edits:
        parameters = freeze({**(thaw(state.params) or json.loads(row.parameters)), **edits})
        check_parameters(tree.prepared.defn, parameters)
    request = RerunRequested(number=len(state.reruns) + 1, tasks=requests, reset=reset,
                             parameters=parameters, changed=tuple(sorted(edits)),
                             at=time.time())
    journaled = replace(tree.journaled, pending=(request,))
    handle = launch(tree.prepared, recovered=journaled,
                    durable=engine._durable(tree.prepared.subworkflows))
    engine._register(handle)
    return handle


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
