"""Rerunning a durable execution: from a request to the execution running again.

:func:`rerun` is :meth:`runtime.engine.Engine.rerun`: it reads the execution back from its
journal (:func:`runtime.stored_trees.read_tree`), checks the request before anything is
journaled (the execution finished, the tasks can be rerun: :func:`runtime.machine.rerun.
plan_rerun`; the edited parameters as at start: :func:`runtime.parameters.check_parameters`),
then **claims** it: one :class:`actors.journal.Claim` asks the engine's journal (the store's
single writer) to write the ``RerunRequested`` of the execution and of each sub-workflow
execution that reruns inside, with their ``running`` status, in one transaction, if the
execution is still as it was read (finished, its journal ending where it was read). Two
reruns of one execution race by message: the first claim to arrive is written, the second
finds the execution running and is refused (``RerunRefused(status="running")``); nothing is
released, the rerun's end is. From there the rerun is a recovery: the execution continues
from its journal (:meth:`runtime.engine.Engine.recover`'s path), so a crash at any point
after the claim leaves it unfinished in the store, and the next engine continues it whole
(the requests of the sub-workflows are durable with their parent's, never after it).

:func:`rerun_requests` reads the ``tasks`` argument (names, ``name:route``, mappings with
``task`` and ``route``, or :class:`~runtime.events.RerunTask`).

Misuse: rerun an execution through the engine that owns its store (one engine per store);
a sub-workflow's execution is rerun through its parent's (name ``task.inner`` in ``tasks``
and ``reset``: see docs/language.md), never on its own.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
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
from runtime.status import WORKFLOW_DONE, WorkflowStatus
from runtime.store import Batch, EntryRow, StatusUpdate
from runtime.store.codec import encode
from runtime.store.replaying import Journaled, read_journal
from runtime.stored_trees import read_tree
from runtime.values import freeze, thaw

__all__ = ["rerun", "rerun_requests"]

_DONE = frozenset(s.value for s in WORKFLOW_DONE)

Requests = dict[str, tuple[Journaled, RerunRequested]]
"""Execution id -> its journal as read and the rerun request to journal after it."""


def rerun(engine: Any, execution_id: str, tasks: Iterable[Any] | None = None,
          reset: Iterable[str] = (), parameters: Mapping[str, Any] | None = None,
          **options: Any) -> WorkflowHandle:
    """Run the finished execution ``execution_id`` of ``engine`` again (see the module
    docstring); its handle. ``options``: ``trace``, ``on_event``... as for a recovery."""
    engine._check_open()
    live = engine._live.get(execution_id)
    if live is not None and not live.done():
        raise RerunRefused(execution_id, status=live.status)
    row = engine.record(execution_id)
    if row is None:
        raise UnknownExecution(execution_id)
    if row.parent is not None:
        raise RerunRefused(execution_id, reason="sub_workflow")
    if row.status not in _DONE:
        raise RerunRefused(execution_id, status=row.status)
    options = {**engine._options, **options}
    tree = read_tree(engine._ask, row, engine._actions, options)
    journaled = tree.journaled
    subworkflows = tree.prepared.subworkflows
    found: Requests = {}
    requests, resets, edits = rerun_requests(tasks or ()), tuple(reset), dict(parameters or {})
    children = _inside(engine._ask, execution_id, journaled.state, requests, resets,
                       subworkflows, subworkflows.base_dir, found)
    params = journaled.state.params
    if edits:
        params = freeze({**(thaw(params) or json.loads(row.parameters)), **edits})
        check_parameters(tree.prepared.defn, params)
    found[execution_id] = (journaled, RerunRequested(
        number=len(journaled.state.reruns) + 1, tasks=requests,
        reset=_split(journaled.state, resets)[0],  # the names inside go with their children
        parameters=params, changed=tuple(sorted(edits)), children=children, at=time.time()))
    _claim(engine, execution_id, journaled.seq, found)
    tree = read_tree(engine._ask, row, engine._actions, options)  # with the requests
    handle = launch(tree.prepared, recovered=tree.journaled, inquiries=engine._inquiries,
                    durable=engine._durable(subworkflows, recovering=tree.children))
    engine._register(handle)
    return handle


def _claim(engine: Any, execution_id: str, seq: int, found: Requests) -> None:
    """Journal the requests in one transaction if the execution is as it was read
    (``RerunRefused(status=...)`` otherwise: another rerun claimed it first)."""
    now = time.time()
    entries, updates = [], []
    for target, (journaled, request) in found.items():
        kind, body = encode(request)
        entries.append(EntryRow(execution_id=target, seq=journaled.seq + 1, kind=kind,
                                body=body, at=request.at))
        updates.append(StatusUpdate(execution_id=target, status=WorkflowStatus.RUNNING.value,
                                    updated_at=now))
    refused = engine._claim(execution_id, seq, _DONE,
                            Batch(entries=tuple(entries), updates=tuple(updates)))
    if refused is not None:
        raise RerunRefused(execution_id, status=refused)


def _split(state: WorkflowState, names: tuple[str, ...]
           ) -> tuple[tuple[str, ...], dict[str, list[str]]]:
    """``reset`` as the names of this workflow's tasks, and ``task.inner`` names by task."""
    here: list[str] = []
    inner: dict[str, list[str]] = {}
    for name in names:
        head, rest = split_name(state.defn, name)
        if rest is None:
            here.append(name)
        else:
            inner.setdefault(head, []).append(rest)
    return tuple(here), inner


def _inside(ask: Any, execution_id: str, state: WorkflowState,
            requests: tuple[RerunTask, ...], reset: tuple[str, ...],
            subworkflows: SubWorkflows, base_dir: Path, found: Requests) -> tuple[str, ...]:
    """Plan the rerun of ``state`` (refusing a bad request); the rerun tasks whose
    sub-workflow execution reruns inside, their journals and requests put in ``found``, at
    every depth.

    A sub-workflow task reruns inside its sub-workflow when it names tasks there
    (``task.inner`` in ``tasks`` or ``reset``), or when its sub-workflow has failed tasks to
    rerun; otherwise (it succeeded inside, it is in ``reset``, it runs with items) its
    sub-workflow starts again. Long because it also prefixes the refusals from inside.
    """
    here, inner_reset = _split(state, reset)
    candidates = plan_rerun(state, requests, here)
    inner: dict[str, list[RerunTask]] = {}
    for request in requests:
        head, rest = split_name(state.defn, request.task)
        if rest is not None:
            inner.setdefault(head, []).append(RerunTask(task=rest))
    rerun_tasks = {run.task for run in candidates}
    for head, names in inner_reset.items():
        if head not in rerun_tasks:
            raise RerunRefused(execution_id, task=f"{head}.{names[0]}", reason="not_rerun")
    children = []
    for run in candidates:
        wanted, wanted_reset = tuple(inner.get(run.task, ())), tuple(inner_reset.get(run.task, ()))
        named = [*(w.task for w in wanted), *wanted_reset]
        sub = subworkflows.find(base_dir, run.action) if run.action else None
        if sub is None or run.items is not None or run.task in here:
            if named:
                raise RerunRefused(execution_id, task=f"{run.task}.{named[0]}",
                                   reason="not_a_sub_workflow")
            continue
        child_id = first_child(execution_id, run)
        rows = ask(partial(_entries, child_id))
        if not rows:
            continue  # it never started: it starts now
        child = read_journal(sub.defn, rows)
        try:
            grandchildren = _inside(ask, child_id, child.state, wanted, wanted_reset,
                                    subworkflows, sub.base_dir, found)
        except RerunRefused as exc:
            if named:
                raise RerunRefused(execution_id, task=f"{run.task}.{exc.task}",
                                   reason=exc.reason) from None
            continue  # nothing to rerun inside: it starts again
        found[child_id] = (child, RerunRequested(
            number=len(child.state.reruns) + 1, tasks=wanted,
            reset=_split(child.state, wanted_reset)[0],
            parameters=child.state.params, children=grandchildren, at=time.time()))
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
