"""A layered layout of a directed graph, for drawing a workflow: layers, order, back edges.

:func:`layered_layout` takes nodes and edges (any graph, cycles and self-loops included) and
gives each node a layer (its column from the start) and an order (its place in the layer),
and says which edges are back edges (those that close a cycle: a loop in a workflow):

1. back edges: a depth-first search from the nodes nothing leads to (then from any node
   left, in the given order) marks an edge to a node still on the search stack;
2. layers: longest path over the remaining edges (a DAG), in topological order: a node sits
   one layer after the deepest of its predecessors, so every forward edge goes down;
3. order: a few sweeps down and up, each placing a layer's nodes by the barycentre (mean
   order) of their neighbours in the layer before, ties by the previous order.

Linear in nodes and edges per sweep, iterative (no recursion limit for a long chain), and
deterministic (only the input order breaks ties).

Misuse: an edge naming a node that is not in ``nodes`` raises ``KeyError``; the layout is
for drawing, not a statement about execution order (a join's layer is the deepest of its
inbound paths, whether they all run or not).
"""

from __future__ import annotations

from collections.abc import Sequence

from runtime.records import record

__all__ = ["Layout", "layered_layout"]

_SWEEPS = 4


@record
class Layout:
    """Where each node goes, and which edges close a cycle."""

    layer: dict[str, int]
    order: dict[str, int]
    """Position of the node in its layer, 0 first."""
    back: frozenset[int]
    """Indices (into the given edges) of the back edges, self-loops included."""


def layered_layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> Layout:
    """Lay ``nodes`` out in layers along ``edges`` (``(source, target)`` pairs)."""
    out: dict[str, list[int]] = {node: [] for node in nodes}
    for index, (source, target) in enumerate(edges):
        out[source].append(index)
        if target not in out:
            raise KeyError(target)
    back = _back_edges(nodes, edges, out)
    layer = _layers(nodes, edges, back)
    order = _order(nodes, edges, back, layer)
    return Layout(layer=layer, order=order, back=frozenset(back))


def _back_edges(nodes: Sequence[str], edges: Sequence[tuple[str, str]],
                out: dict[str, list[int]]) -> set[int]:
    """Edges into a node on the depth-first search's stack (iterative DFS)."""
    has_inbound = {target for _, target in edges}
    roots = [n for n in nodes if n not in has_inbound] + list(nodes)
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    back: set[int] = set()
    for root in roots:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(out[root]))]
        while stack:
            node, pending = stack[-1]
            index = next(pending, None)
            if index is None:
                state[node] = 2
                stack.pop()
                continue
            target = edges[index][1]
            seen = state.get(target)
            if seen == 1:
                back.add(index)
            elif seen is None:
                state[target] = 1
                stack.append((target, iter(out[target])))
    return back


def _layers(nodes: Sequence[str], edges: Sequence[tuple[str, str]],
            back: set[int]) -> dict[str, int]:
    """Longest path from the sources over the forward edges (Kahn's order)."""
    indegree = dict.fromkeys(nodes, 0)
    succ: dict[str, list[str]] = {node: [] for node in nodes}
    for index, (source, target) in enumerate(edges):
        if index not in back:
            indegree[target] += 1
            succ[source].append(target)
    layer = dict.fromkeys(nodes, 0)
    ready = [n for n in nodes if indegree[n] == 0]
    while ready:
        node = ready.pop()
        for target in succ[node]:
            layer[target] = max(layer[target], layer[node] + 1)
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    return layer


def _order(nodes: Sequence[str], edges: Sequence[tuple[str, str]], back: set[int],
           layer: dict[str, int]) -> dict[str, int]:
    """Order within layers by barycentre sweeps (down by predecessors, up by successors)."""
    layers: dict[int, list[str]] = {}
    for node in nodes:
        layers.setdefault(layer[node], []).append(node)
    preds: dict[str, list[str]] = {node: [] for node in nodes}
    succs: dict[str, list[str]] = {node: [] for node in nodes}
    for index, (source, target) in enumerate(edges):
        if index not in back and source != target:
            preds[target].append(source)
            succs[source].append(target)
    position = {node: i for members in layers.values() for i, node in enumerate(members)}
    depth = sorted(layers)
    for sweep in range(_SWEEPS):
        down = sweep % 2 == 0
        neighbours = preds if down else succs
        for number in depth if down else reversed(depth):
            members = layers[number]

            def centre(node: str, near: dict[str, list[str]] = neighbours) -> float:
                around = near[node]
                if not around:
                    return float(position[node])
                return sum(position[n] for n in around) / len(around)

            members.sort(key=lambda n: (centre(n), position[n]))
            for i, node in enumerate(members):
                position[node] = i
    return position
