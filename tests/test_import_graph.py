"""The templating modules and the value modules import each other one way only."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("runtime/templating", "runtime/values.py", "runtime/context.py",
           "runtime/masking.py", "runtime/errors.py", "runtime/records.py", "runtime/events.py")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    paths: list[Path] = []
    for entry in CHECKED:
        target = ROOT / entry
        paths.extend(sorted(target.rglob("*.py")) if target.is_dir() else [target])
    return {_module_name(p): p for p in paths}


def _targets(node: ast.AST, known: dict[str, Path]) -> set[str]:
    """Modules an import statement reaches (``from pkg import mod`` reaches ``pkg.mod``)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        found = {f"{node.module}.{alias.name}" for alias in node.names}
        return {name for name in found if name in known} or {node.module}
    return set()


def import_graph() -> dict[str, set[str]]:
    """Module -> the checked modules it imports, lazy imports inside functions included.

    A submodule's implicit import of its own package (``__init__``) is not an edge.
    """
    known = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges: set[str] = set()
        for node in ast.walk(tree):
            edges.update(t for t in _targets(node, known) if t in known and t != name)
        graph[name] = edges
    return graph


def test_the_imports_form_a_dag() -> None:
    """No cycle, not even through an import inside a function."""
    graphlib.TopologicalSorter(import_graph()).prepare()  # raises CycleError on a cycle


def test_the_functions_do_not_import_the_nodes() -> None:
    """The expression functions sit below the sandbox and the nodes, never above."""
    graph = import_graph()
    for module in ("runtime.templating.orquesta_functions",
                   "runtime.templating.attune_functions", "runtime.templating.data",
                   "runtime.templating.scope"):
        assert not graph[module] & {"runtime.templating", "runtime.templating.nodes",
                                    "runtime.templating.sandbox"}
