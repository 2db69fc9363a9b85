"""The live actor tree of an execution, asked of its supervisors by message.

:class:`ActorTree` is an ask a supervisor answers from its mailbox (:func:`answer_tree`, in
its own thread, between two messages: no lock) with a :class:`LiveLevel`: its state (an
immutable value), the workers its pools hold in an attempt with their mailbox depths
(:func:`actors.mailbox.depth`), the attempts waiting for a worker, its own mailbox depth and its
running child supervisors. :func:`live_tree` (in the caller's thread: the API's worker, a
test) asks the root, then every child supervisor at once (futures), level by level, and
builds the JSON with :func:`runtime.actor_view.live_node`.

Misuse: never call :func:`live_tree` from an actor (it blocks on asks); a child that
finishes while it is asked is left out (its run's status says it ended).
"""

from __future__ import annotations

from typing import Any

import pykka

from runtime.actor_view import WorkerView, live_node
from runtime.records import record
from runtime.store.rows import workflow_name

from .mailbox import depth

__all__ = ["ActorTree", "LiveLevel", "answer_tree", "live_tree"]


@record
class ActorTree:
    """Supervisor, asked: a :class:`LiveLevel` of itself (not traced, journals nothing)."""


@record
class LiveLevel:
    """One supervisor's share of the tree, as it answered."""

    state: Any
    """Its :class:`runtime.machine.WorkflowState` (immutable)."""
    workflow: str
    mailbox: int
    workers: tuple[WorkerView, ...]
    waiting: tuple[tuple[int, int], ...]
    """(run, attempts waiting for a worker)."""
    children: tuple[tuple[int, Any], ...]
    """(run, actor ref) of each running child supervisor."""


def answer_tree(supervisor: Any, message: ActorTree) -> LiveLevel:
    """The supervisor's answer (in its thread)."""
    workers = []
    waiting = []
    crew = supervisor.crew
    for run, pool in supervisor.pools.pools.items():
        for (_, item, _), ref in pool.busy.items():
            workers.append(WorkerView(run=run, item=item, path=crew.path_of(ref),
                                      mailbox=depth(ref)))
        if pool.waiting:
            waiting.append((run, len(pool.waiting)))
    children = tuple((key[0], ref) for key, ref in supervisor.cancellation.children.items())
    return LiveLevel(state=supervisor.state, workflow=workflow_name(supervisor.defn),
                     mailbox=depth(supervisor), workers=tuple(workers),
                     waiting=tuple(waiting), children=children)


def live_tree(ref: Any, timeout: float = 5.0) -> dict[str, Any] | None:
    """The tree under the supervisor ``ref`` (None: it already stopped)."""
    try:
        level = ref.ask(ActorTree(), timeout=timeout)
    except (pykka.ActorDeadError, pykka.Timeout):
        return None
    return _build(level, "supervisor", "", timeout)


def _build(level: LiveLevel, kind: str, prefix: str, timeout: float) -> dict[str, Any]:
    asked = []
    for run, child in level.children:
        try:
            asked.append((run, child.ask(ActorTree(), block=False)))
        except pykka.ActorDeadError:
            continue  # it finished meanwhile
    subs: dict[int, list[dict[str, Any]]] = {}
    for run, future in asked:
        try:
            child_level = future.get(timeout=timeout)
        except (pykka.ActorDeadError, pykka.Timeout):
            continue
        child_prefix = f"{child_level.state.execution_id}/"
        subs.setdefault(run, []).append(_build(child_level, "subworkflow", child_prefix,
                                               timeout))
    return live_node(level.state, kind=kind, workflow=level.workflow, mailbox=level.mailbox,
                     workers=level.workers, waiting=dict(level.waiting), subs=subs,
                     prefix=prefix)
