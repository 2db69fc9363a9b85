"""The upstream-name check of Orquesta: ``ctx("x")`` must be defined before it is read.

:func:`check_ctx_names` follows the graph from the start tasks, collecting the names each
task can see (inputs, vars, and what transitions upstream publish), and reports T302 for a
``ctx()`` read of a name published nowhere upstream, located at the field that reads it.

Misuse: only the Orquesta loader calls it (Attune has no ``ctx()``); it is a static check
over every path, so a name published on only some paths into a task is not reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from runtime.graph import Graph
from runtime.templating import Const, Node, referenced_ctx_names

from .model import TaskDef
from .report import Reporter

__all__ = ["check_ctx_names"]


def check_ctx_names(
    reporter: Reporter,
    tasks: Mapping[str, TaskDef],
    graph: Graph,
    *,
    base: set[str],
    containers: Mapping[str, Any],
    outputs: Iterable[tuple[str, Node]],
    output_container: Any,
) -> None:
    """Report ``ctx("x")`` reads of variables published nowhere upstream of the read."""
    available: dict[str, set[str]] = {name: set(base) for name in graph.starts}
    changed = True
    while changed:
        changed = False
        for name, task in tasks.items():
            if name not in available:
                continue
            for transition in task.transitions:
                names = available[name] | {key for key, _ in transition.publish}
                for target in transition.targets:
                    if target not in tasks:
                        continue
                    before = available.setdefault(target, set())
                    if not names <= before:
                        before |= names
                        changed = True
    everything = set(base)
    for task in tasks.values():
        for transition in task.transitions:
            everything |= {key for key, _ in transition.publish}
    for name, task in tasks.items():
        names = available.get(name, everything)
        container = containers.get(name)
        for field, node in _task_nodes(task):
            _report_unknown(reporter, node, names, site=_locate(container, field),
                            field=field, task=name)
        for transition in task.transitions:
            rolling = set(names)
            if transition.when is not None:
                field = f"next[{transition.index}].when"
                _report_unknown(reporter, transition.when, rolling,
                                site=_locate(container, field), field=field, task=name)
            for key, node in transition.publish:
                field = f"next[{transition.index}].publish.{key}"
                _report_unknown(reporter, node, rolling, site=_locate(container, field),
                                field=field, task=name)
                rolling.add(key)
    rolling = set(everything)
    for key, node in outputs:
        _report_unknown(reporter, node, rolling, site=_locate_entry(output_container, key),
                        field=f"output.{key}", task=None)
        rolling.add(key)


_PART = re.compile(r"[^.\[\]]+|\[\d+\]")


def _locate(container: Any, field: str) -> tuple[Any, Any]:
    """Return the deepest (container, key) that exists for a dotted ``field`` path."""
    parts: list[Any] = [int(p[1:-1]) if p.startswith("[") else p for p in _PART.findall(field)]
    current = container
    for position, part in enumerate(parts):
        key = part
        if isinstance(current, list) and isinstance(part, str):
            key = _entry_index(current, part)  # a list of one-key mappings
        found = (isinstance(current, dict) and key in current) or (
            isinstance(current, list) and isinstance(key, int) and key < len(current))
        if not found:
            return current, None if position else part
        child = current[key]
        if position == len(parts) - 1 and isinstance(part, str) and isinstance(current, list):
            return child, part  # the entry's value, as the compile diagnostics locate it
        if position == len(parts) - 1 or not isinstance(child, (dict, list)):
            return current, key
        current = child
    return current, None


def _entry_index(items: list[Any], name: str) -> int | None:
    """Index of the one-key mapping ``{name: ...}`` in a list, if any."""
    for index, item in enumerate(items):
        if isinstance(item, dict) and name in item:
            return index
    return None


def _locate_entry(container: Any, name: str) -> tuple[Any, Any]:
    if isinstance(container, dict):
        return container, name
    if isinstance(container, list):
        return container, _entry_index(container, name)
    return container, None


def _task_nodes(task: TaskDef) -> list[tuple[str, Node]]:
    nodes: list[tuple[str, Node]] = []
    for field in ("action", "input", "delay", "timeout"):
        node = getattr(task, field)
        if node is not None and not isinstance(node, Const):
            nodes.append((field, node))
    if task.iteration is not None:
        nodes.append(("with.items", task.iteration.items))
    if task.retry is not None and task.retry.when is not None:
        nodes.append(("retry.when", task.retry.when))
    return nodes


def _report_unknown(reporter: Reporter, node: Node, names: set[str], *,
                    site: tuple[Any, Any], field: str, task: str | None) -> None:
    container, key = site
    for source in node.sources():
        for name in sorted(referenced_ctx_names(source) - names):
            reporter.report("T302", f"ctx({name!r}) is not an input, a var or published by "
                            "any task upstream", container, key,
                            task=task, path=f"tasks.{task}.{field}" if task else field)
