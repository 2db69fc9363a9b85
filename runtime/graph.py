"""The static task graph of a workflow: edges, start tasks, splits, joins and cycles.

Derived once per :class:`runtime.spec.model.WorkflowDef` from the tasks' transitions. An edge
is one (source task, transition, target) triple; engine commands (``continue``, ``noop``,
``fail``) are nodes like tasks, so they can be split points too. ``key`` numbers the source's
edges into the same target (Orquesta's ``task__tK`` route labels).

Misuse: the graph is immutable and shared by every execution; never recompute it per event.
"""

from __future__ import annotations

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
    cycles = _cyclic_nodes((*tasks, *inbound), outbound)
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


def _cyclic_nodes(nodes: Iterable[str], outbound: Mapping[str, list[Edge]]) -> frozenset[str]:
    """Nodes on a cycle: those in a strongly connected component of more than one node, or
    with an edge to themselves (Tarjan's algorithm, iterative: linear in nodes and edges)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cyclic: set[str] = set()
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(outbound.get(root, ())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            edge = next(edges, None)
            if edge is not None:
                target = edge.target
                if target == node:
                    cyclic.add(node)
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(outbound.get(target, ()))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cyclic.update(component)
    return frozenset(cyclic)
