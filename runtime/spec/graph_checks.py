"""Graph-level checks run on a dialect's finished tasks: targets, start tasks and joins.

:func:`check_graph` builds the :class:`runtime.graph.Graph` of the tasks and reports
transition targets that are not tasks (with a did-you-mean), with-items tasks without an
action, a graph without a start task, loops without an exit (``T209``), joins that can never
be satisfied, and (where per-arrival routes exist, Orquesta) joins behind nested splits,
which are ambiguous.

Misuse: call it once per loaded file, after every task is built, with the marked task
mappings as ``containers`` so that each diagnostic has a line; it reports and carries on, it
never raises for a problem in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.graph import Graph, build_graph

from .common import closest
from .model import ENGINE_COMMANDS, TaskDef, Transition
from .report import Reporter

__all__ = ["TargetSites", "check_graph", "transition_targets"]

TargetSites = Mapping[tuple[str, int], tuple[Any, Any]]
"""(task, transition index) -> (container, key) where that transition's targets are written."""


def check_graph(
    reporter: Reporter,
    tasks: Mapping[str, TaskDef],
    containers: Mapping[str, Any],
    *,
    tasks_container: Any,
    reserved_allowed: bool,
    routes: bool = True,
    target_sites: TargetSites | None = None,
) -> Graph:
    """Build the graph and report structural problems.

    ``routes`` is False for dialects without per-arrival routes (Attune), where a join after
    nested splits is not ambiguous. ``target_sites`` locates each transition's targets for
    the undefined-target diagnostic (default: the task's ``next`` key).
    """
    _check_targets(reporter, tasks, containers, reserved_allowed=reserved_allowed,
                   sites=target_sites or {})
    graph = build_graph(
        {
            name: [
                (t.index, tuple(x for x in t.targets if x in tasks or x in ENGINE_COMMANDS))
                for t in task.transitions
            ]
            for name, task in tasks.items()
        },
        {name: task.join for name, task in tasks.items() if task.join is not None},
    )
    if tasks and not graph.starts:
        reporter.report("T204", "no start task: every task is the target of a transition "
                        "(a loop needs an entry task)", tasks_container, path="tasks")
    for name, task in tasks.items():
        if task.join is None:
            continue
        inbound = graph.inbound_sources(name)
        if isinstance(task.join, int) and task.join > len(inbound):
            reporter.report(
                "T205",
                f"join: {task.join} waits for {task.join} inbound tasks but only "
                f"{len(inbound)} lead here ({', '.join(inbound) or 'none'})",
                containers.get(name), "join", task=name, path=f"tasks.{name}.join")
        elif task.join == "all" and not inbound:
            reporter.report("T205", "join: all but no task leads here",
                            containers.get(name), "join", task=name, path=f"tasks.{name}.join")
    if routes:
        _check_nested_split_joins(reporter, graph, tasks, containers)
    if graph.starts:  # else the T204 above says it all
        _check_endless_loops(reporter, tasks, containers, graph.cycles)
    return graph


def _check_endless_loops(reporter: Reporter, tasks: Mapping[str, TaskDef],
                         containers: Mapping[str, Any], cycles: frozenset[str]) -> None:
    """Report (T209) tasks that, once reached, loop for ever: every transition unconditional
    and every target such a task (a task moving only to itself, unconditionally, too)."""
    trapped = {
        name for name, task in tasks.items()
        if name in cycles and task.transitions and all(
            t.when is None and t.status_shortcut is None and t.targets
            and all(x in tasks for x in t.targets) for t in task.transitions)
    }
    sources: dict[str, list[str]] = {}
    for name in trapped:
        for target in {x for t in tasks[name].transitions for x in t.targets}:
            sources.setdefault(target, []).append(name)
    free = [name for name in trapped
            if any(x not in trapped for t in tasks[name].transitions for x in t.targets)]
    trapped.difference_update(free)
    while free:  # a task with a way out frees the trapped tasks that move to it: linear
        for source in sources.get(free.pop(), ()):
            if source in trapped:
                trapped.discard(source)
                free.append(source)
    for name in sorted(trapped):
        reporter.report("T209", "endless loop: every transition of this task is unconditional "
                        "and leads back into the loop (add a `when` that exits)",
                        containers.get(name), "next", task=name, path=f"tasks.{name}.next")


def _check_targets(reporter: Reporter, tasks: Mapping[str, TaskDef],
                   containers: Mapping[str, Any], *, reserved_allowed: bool,
                   sites: TargetSites) -> None:
    """Report transition targets that are not tasks, and with-items tasks without an action."""
    for name, task in tasks.items():
        container = containers.get(name)
        for transition in task.transitions:
            for target in transition.targets:
                if target in tasks:
                    continue
                if reserved_allowed and target in ENGINE_COMMANDS:
                    continue
                hint = closest(target, set(tasks))
                message = f"transition target {target!r} is not a task" + (
                    f" (did you mean {hint!r}?)" if hint else ""
                )
                site, key = sites.get((name, transition.index), (container, "next"))
                reporter.report("T201", message, site, key, task=name,
                                path=f"tasks.{name}.next[{transition.index}].do")
        if task.iteration is not None and task.action is None:
            reporter.report("T203", "a with-items task needs an action", container,
                            task=name, path=f"tasks.{name}")


def _check_nested_split_joins(reporter: Reporter, graph: Graph, tasks: Mapping[str, TaskDef],
                              containers: Mapping[str, Any]) -> None:
    """A join whose inbound tasks sit behind different split points is ambiguous."""
    splits_of: dict[str, frozenset[str]] = {}
    changed = True
    for start in graph.starts:
        splits_of[start] = frozenset({start} if graph.is_split(start) else ())
    rounds = 0
    while changed and rounds < len(tasks) + 5:
        changed = False
        rounds += 1
        for source, edges in graph.outbound.items():
            if source not in splits_of:
                continue
            for edge in edges:
                if edge.target not in tasks:
                    continue
                own = {edge.target} if graph.is_split(edge.target) else set()
                new = splits_of[source] | own
                if edge.target in graph.cycles:
                    new = splits_of.get(edge.target, frozenset()) | new
                old = splits_of.get(edge.target)
                merged = frozenset(new if old is None else old | new)
                if merged != old:
                    splits_of[edge.target] = merged
                    changed = True
    for name, task in tasks.items():
        if task.join is None or name not in splits_of:
            continue
        for source in graph.inbound_sources(name):
            if source in tasks and splits_of.get(source, frozenset()) != splits_of[name]:
                reporter.report(
                    "T207",
                    f"join task {name!r} is reached through nested splits; the engine cannot "
                    "tell at which level to join",
                    containers.get(name), "join", task=name, path=f"tasks.{name}.join")
                break


def transition_targets(transition: Transition) -> tuple[str, ...]:
    """The task names (not engine commands) a transition leads to."""
    return tuple(t for t in transition.targets if t not in ENGINE_COMMANDS)
