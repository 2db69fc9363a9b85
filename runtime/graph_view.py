"""The workflow graph of one execution as JSON: tasks, transitions, what ran, the layout.

:func:`graph_json` turns a loaded :class:`~runtime.spec.model.WorkflowDef` and the
execution's :class:`~runtime.machine.WorkflowState` (as far as it went) into the shape
``GET /api/v1/executions/{id}/graph`` answers (``docs/api.md``)::

    {"nodes": [{"name", "action", "join": false|"all"|int, "status": null|str, "runs": int,
                "command": bool, "layer": int, "order": int}],
     "edges": [{"from", "to", "on", "label", "taken": bool, "loop": bool}]}

A node per task in the workflow's order, then one per engine command a transition names
(``continue``, ``noop``, ``fail``: ``command`` true); an edge per (transition, target) of
every task (``retry`` is no edge: it runs the task again). ``on`` says when the transition
is followed: ``succeeded``/``failed``/``timed_out`` (its ``when`` is that status test),
``expr`` (another condition, in ``label``), ``completed`` (no condition). ``status`` is the
status of the task's latest run, ``runs`` how many it had. An edge is ``taken`` when a run
of its target was started by a run of its source (``source_run``; for a join, by any source
that arrived) and its ``on`` fits that source run's status. ``loop`` marks a back edge of the
layout (:mod:`runtime.graph_layout`): the edge closes a cycle.

Misuse: give the definition the execution was loaded with (its stored text) and its own
state, never another execution's: runs are matched to tasks by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.graph_layout import layered_layout
from runtime.machine import WorkflowState
from runtime.spec.attune_transitions import status_shortcut
from runtime.spec.model import Transition, WorkflowDef

__all__ = ["COMMANDS", "graph_json"]

COMMANDS = ("continue", "noop", "fail")
"""Engine commands a transition may name instead of a task."""

_FITS = {
    "succeeded": frozenset({"succeeded", "completed", "expr"}),
    "failed": frozenset({"failed", "completed", "expr"}),
    "timed_out": frozenset({"timed_out", "failed", "completed", "expr"}),
}
"""A source run's status -> the ``on`` values of the edges it may have followed."""
_ANY = frozenset({"completed", "expr"})


def _on(transition: Transition) -> str:
    shortcut = transition.status_shortcut or status_shortcut(transition.when_source)
    if shortcut is not None:
        return shortcut
    return "completed" if transition.when is None else "expr"


def _edges(defn: WorkflowDef) -> list[dict[str, Any]]:
    edges = []
    for name in defn.task_order:
        for transition in defn.tasks[name].transitions:
            on = _on(transition)
            label = transition.when_source or ""
            for target in transition.targets:
                if target != "retry":
                    edges.append({"from": name, "to": target, "on": on, "label": label,
                                  "taken": False, "loop": False})
    return edges


def _taken(state: WorkflowState) -> dict[tuple[str, str], set[str]]:
    """(source task, target task) -> the statuses of the source runs that led there."""
    runs = {run.id: run for run in state.runs}
    taken: dict[tuple[str, str], set[str]] = {}
    for run in state.runs:
        source = runs.get(run.source_run) if run.source_run is not None else None
        if source is not None:
            taken.setdefault((source.task, run.task), set()).add(str(source.status))
    for barrier in state.joins.values():
        for arrived in barrier.arrived:
            latest = state.latest.get((arrived, barrier.route))
            status = str(runs[latest].status) if latest in runs else "succeeded"
            taken.setdefault((arrived, barrier.task), set()).add(status)
    return taken


def _nodes(defn: WorkflowDef, state: WorkflowState,
           edges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    latest: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for run in state.runs:
        counts[run.task] = counts.get(run.task, 0) + 1
        if run.task not in latest or run.id > latest[run.task].id:
            latest[run.task] = run
    names = list(defn.task_order)
    known = set(names)
    for edge in edges:
        if edge["to"] not in known:
            known.add(edge["to"])
            names.append(edge["to"])
    nodes = []
    for name in names:
        task = defn.tasks.get(name)
        last = latest.get(name)
        join: Any = False if task is None or task.join is None else task.join
        nodes.append({"name": name, "action": task.action_ref if task is not None else None,
                      "join": join, "status": str(last.status) if last is not None else None,
                      "runs": counts.get(name, 0), "command": task is None})
    return nodes


def graph_json(defn: WorkflowDef, state: WorkflowState) -> dict[str, Any]:
    """The graph of ``defn`` with what ``state`` ran (see the module docstring)."""
    edges = _edges(defn)
    nodes = _nodes(defn, state, edges)
    taken: Mapping[tuple[str, str], set[str]] = _taken(state)
    for edge in edges:
        statuses = taken.get((edge["from"], edge["to"]), set())
        edge["taken"] = any(edge["on"] in _FITS.get(s, _ANY) for s in statuses)
    layout = layered_layout([n["name"] for n in nodes], [(e["from"], e["to"]) for e in edges])
    for node in nodes:
        node["layer"] = layout.layer[node["name"]]
        node["order"] = layout.order[node["name"]]
    for index in layout.back:
        edges[index]["loop"] = True
    return {"nodes": nodes, "edges": edges}
