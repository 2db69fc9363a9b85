"""The actor tree of one execution as JSON: supervisor, task and item actors, sub-workflows.

The shape ``GET /api/v1/executions/{id}/actors`` answers (``docs/api.md``): a node is
``{"path", "kind", "name", "status", "mailbox", "children"}``, ``kind`` one of
``supervisor`` (the root), ``task`` (a task run's actor), ``item`` (an item worker of a
with-items run), ``subworkflow`` (a child execution's supervisor, under the task run that
started it, at any depth). Supervisor nodes also carry ``execution``; task nodes ``route``
and ``run``, and for a with-items run ``items``: ``{"total", "done", "failed", "running",
"waiting", "shown"}`` (``shown`` item nodes are in ``children``: the live workers, at most
the run's concurrency, so a 10,000-item run stays a small tree). A supervisor keeps every
open run and the latest :data:`KEEP_FINISHED` finished ones; ``omitted`` counts the rest.

Two sources build it:

- :func:`live_node`, while the execution runs: its state, the workers its pools hold
  (:class:`WorkerView`, with their mailbox depths) and the nodes of its running child
  supervisors (the actor shell, :mod:`actors.actor_tree`, asks each by message);
- :func:`trace_node`, after it finished (or after a restart): the tree the trace tools build
  (:func:`runtime.trace.tree.build_tree`) and the actors the trace saw; ``mailbox`` is null.

Misuse: paths are unique within one answer only (a sub-workflow's paths are prefixed with
its execution id); do not feed a :class:`WorkerView` of another execution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

from runtime.machine import WorkflowState
from runtime.records import record
from runtime.status import TASK_DONE
from runtime.trace.records import ActorRecord
from runtime.trace.tree import ExecutionTree, RunNode

__all__ = ["KEEP_FINISHED", "WORKERS_SHOWN", "WorkerView", "live_node", "trace_node"]

KEEP_FINISHED = 100
"""Finished task runs a supervisor node keeps (the latest), besides every open one."""
WORKERS_SHOWN = 64
"""Item worker nodes a task node of a finished execution keeps (from the trace)."""


@record
class WorkerView:
    """A worker a pool of the execution holds, in an attempt (``item`` None: a task's)."""

    run: int
    item: int | None
    path: str
    mailbox: int


def _node(path: str, kind: str, name: str, status: str, mailbox: int | None,
          **extra: Any) -> dict[str, Any]:
    return {"path": path, "kind": kind, "name": name, "status": status, "mailbox": mailbox,
            **extra, "children": []}


def _listed(workflow: str | None) -> str:
    """The name a trace's workflow is listed under (a file's stem, as the store lists it)."""
    if workflow and workflow.endswith((".yaml", ".yml")):
        return PurePath(workflow).stem
    return workflow or ""


def _kept(runs: Sequence[Any], finished: Any) -> tuple[list[Any], int]:
    """Every open run and the latest finished ones, in order; how many were left out."""
    done = [run for run in runs if finished(run)]
    dropped = {id(run) for run in done[:max(len(done) - KEEP_FINISHED, 0)]}
    return [run for run in runs if id(run) not in dropped], len(dropped)


def live_node(state: WorkflowState, *, kind: str, workflow: str, mailbox: int,
              workers: Sequence[WorkerView], waiting: Mapping[int, int],
              subs: Mapping[int, Sequence[dict[str, Any]]], prefix: str = "") -> dict[str, Any]:
    """The node of a running supervisor (``kind``: ``supervisor`` or ``subworkflow``);
    ``waiting``: run -> attempts waiting for a worker; ``subs``: run -> child nodes."""
    root = _node(f"{prefix}wf", kind, workflow, str(state.status), mailbox,
                 execution=state.execution_id)
    by_run: dict[int, list[WorkerView]] = {}
    for worker in workers:
        by_run.setdefault(worker.run, []).append(worker)
    runs, omitted = _kept([r for r in state.runs if not r.pseudo], lambda r: r.status in TASK_DONE)
    for run in runs:
        mine = by_run.get(run.id, [])
        plain = [w for w in mine if w.item is None]
        node = _node(f"{prefix}wf/{run.task}@{run.route}", "task", run.task, str(run.status),
                     plain[0].mailbox if plain else None, route=run.route, run=run.id)
        items = run.items
        if items is not None:
            shown = sorted((w for w in mine if w.item is not None), key=lambda w: w.path)
            node["items"] = {"total": len(items.values), "done": items.done,
                             "failed": items.failed, "running": items.active,
                             "waiting": waiting.get(run.id, 0), "shown": len(shown)}
            node["children"] = [_node(f"{prefix}{w.path}", "item", f"#{w.item}", "running",
                                      w.mailbox, item=w.item) for w in shown]
        node["children"].extend(subs.get(run.id, ()))
        root["children"].append(node)
    root["omitted"] = omitted
    return root


def trace_node(tree: ExecutionTree, *, kind: str = "supervisor",
               prefix: str = "") -> dict[str, Any]:
    """The node of an execution as its trace tells it (``mailbox`` null everywhere)."""
    record_ = tree.record
    root = _node(f"{prefix}wf", kind, _listed(record_.workflow), record_.status, None,
                 execution=record_.execution)
    workers: dict[str, list[ActorRecord]] = {}
    for actor in record_.actors:
        if actor.kind == "item" and "/" in actor.path:
            workers.setdefault(actor.path.rsplit("/", 1)[0], []).append(actor)
    kept, omitted = _kept(list(tree.runs), lambda n: n.run.finished)
    latest = {node.run.actor: node.run.run for node in kept}
    for node in kept:
        root["children"].append(_run_node(node, prefix, workers.get(node.run.actor, [])
                                          if latest[node.run.actor] == node.run.run else []))
    for orphan in tree.orphans:
        child = orphan.record.execution
        root["children"].append(trace_node(orphan, kind="subworkflow", prefix=f"{child}/"))
    root["omitted"] = omitted
    return root


def _run_node(node: RunNode, prefix: str, workers: list[ActorRecord]) -> dict[str, Any]:
    run = node.run
    made = _node(f"{prefix}{run.actor}", "task", run.task, run.status, None,
                 route=run.route, run=run.run)
    if run.with_items:
        shown = sorted(workers, key=lambda a: a.worker or 0)[:WORKERS_SHOWN]
        total = run.items if run.items is not None else 0
        made["items"] = {"total": total,
                         "done": run.items_succeeded + run.items_failed + run.items_canceled,
                         "failed": run.items_failed, "running": 0, "waiting": 0,
                         "shown": len(shown)}
        made["children"] = [_node(f"{prefix}{a.path}", "item", f"w{a.worker}", a.status,
                                  None, worker=a.worker) for a in shown]
    for child in node.children:
        execution = child.record.execution
        made["children"].append(trace_node(child, kind="subworkflow", prefix=f"{execution}/"))
    return made
