"""Cycle detection in :func:`runtime.graph.build_graph` agrees with a brute-force search."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from runtime.graph import build_graph

NAMES = [f"t{i}" for i in range(7)]
EDGES = st.dictionaries(st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES), max_size=3),
                        min_size=1)


def _on_cycle(task: str, edges: dict[str, list[str]]) -> bool:
    seen: set[str] = set()
    todo = list(edges.get(task, []))
    while todo:
        node = todo.pop()
        if node == task:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, []))
    return False


@given(EDGES)
def test_cycles_match_brute_force(edges: dict[str, list[str]]) -> None:
    """A node is in ``cycles`` exactly when a path leads from it back to itself."""
    graph = build_graph({t: [(0, tuple(targets))] for t, targets in edges.items()}, {})
    nodes = set(edges) | {t for targets in edges.values() for t in targets}
    assert graph.cycles == {n for n in nodes if _on_cycle(n, edges)}


def test_a_long_chain_with_a_back_edge() -> None:
    """20,000 tasks in a chain whose last loops to the first: all on the cycle, no recursion."""
    names = [f"t{i}" for i in range(20_000)]
    targets = {n: [(0, (names[(i + 1) % len(names)],))] for i, n in enumerate(names)}
    assert build_graph(targets, {}).cycles == frozenset(names)
