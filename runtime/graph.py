"""The static task graph of a workflow: edges, start tasks, splits, joins and cycles.

Derived once per :class:`runtime.spec.model.WorkflowDef` from the tasks' transitions. An edge
is one (source task, transition, target) triple; engine commands (``continue``, ``noop``,
``fail``) are nodes like tasks, so they can be split points too. ``key`` numbers the source's
edges into the same target (Orquesta's ``task__tK`` route labels).

Misuse: the graph is immutable and shared by every execution; never recompute it per event.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["Edge", "Graph", "build_graph"]


@dataclass(frozen=True, slots=True)
class Edge:
    """One possible move: ``source`` transition ``transition`` leads to ``target``."""

    source: str
    transition: int
    target: str
    key: int
    """How many earlier edges of ``source`` lead to the same ``target``."""
    order: int = 0
    """Position of the edge in the source's transitions as written (listed order)."""


@dataclass(frozen=True, slots=True)
class Graph:
    """Edges and derived facts of a workflow's tasks."""

    tasks: tuple[str, ...]
    outbound: Mapping[str, tuple[Edge, ...]]
    """Source -> its edges, sorted by target name (ties by transition index)."""
    inbound: Mapping[str, tuple[Edge, ...]]
    starts: tuple[str, ...]
    splits: frozenset[str]
    cycles: frozenset[str]
    """Nodes that lie on a cycle."""
    joins: Mapping[str, str | int]

    def inbound_sources(self, task: str) -> tuple[str, ...]:
        """Distinct tasks with an edge into ``task``, sorted."""
        return tuple(sorted({e.source for e in self.inbound.get(task, ())}))

    def is_split(self, task: str) -> bool:
        """Tell whether every arrival at ``task`` starts a new route."""
        return task in self.splits


def build_graph(
    task_targets: Mapping[str, Iterable[tuple[int, tuple[str, ...]]]],
    joins: Mapping[str, str | int],
) -> Graph:
    """Build the graph from ``task -> [(transition index, targets)]`` and the join tasks."""
    outbound: dict[str, list[Edge]] = {}
    inbound: dict[str, list[Edge]] = {}
    for source, transitions in task_targets.items():
        counts: dict[str, int] = {}
        edges: list[Edge] = []
        for index, targets in transitions:
            for target in targets:
                if target == "retry":
                    continue
                key = counts.get(target, 0)
                counts[target] = key + 1
                edge = Edge(source, index, target, key, len(edges))
                edges.append(edge)
                inbound.setdefault(target, []).append(edge)
        edges.sort(key=lambda e: (e.target, e.transition))
        outbound[source] = edges
    tasks = tuple(task_targets)
    starts = tuple(sorted(t for t in tasks if t not in inbound))
    cycles = frozenset(t for t in (*tasks, *inbound) if _in_cycle(t, outbound))
    splits = frozenset(
        t for t, edges in inbound.items() if t not in joins and len(edges) > 1 and t not in cycles
    )
    return Graph(
        tasks=tasks,
        outbound={k: tuple(v) for k, v in outbound.items()},
        inbound={k: tuple(sorted(v, key=lambda e: e.source)) for k, v in inbound.items()},
        starts=starts,
        splits=splits,
        cycles=cycles,
        joins=dict(joins),
    )


def _in_cycle(task: str, outbound: Mapping[str, list[Edge]]) -> bool:
    seen: set[str] = set()
    queue = deque(e.target for e in outbound.get(task, ()))
    while queue:
        node = queue.popleft()
        if node == task:
            return True
        if node in seen:
            continue
        seen.add(node)
        queue.extend(e.target for e in outbound.get(node, ()))
    return False
