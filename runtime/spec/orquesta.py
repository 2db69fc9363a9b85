"""Loader for the Orquesta-native dialect (``version: 1.0``, tasks as a mapping).

Accepts everything of Orquesta's native v1 schema: inline action arguments, inline
``publish`` strings, ``do`` as a string or a list, ``with`` as ``x in <expr>`` or
``{items, concurrency}``, ``retry``, ``join``, ``delay``, and the engine commands. Troupe adds
``timeout`` on tasks and input metadata (``- name: {required: true, secret: true}``).

This module reads the top level (input, vars, output, the task mapping); one task and its
transitions are :mod:`runtime.spec.orquesta_tasks`.

Misuse: call :func:`runtime.spec.load_workflow`, which detects the dialect, rather than this
module directly.
"""

from __future__ import annotations

import re
from typing import Any

from pyrsistent import pmap

from runtime.st2_context import ST2

from .common import check_keys, compile_or_report, report_duplicates
from .ctx_checks import check_ctx_names
from .graph_checks import check_graph
from .model import ENGINE_COMMANDS, ORQUESTA_POLICIES, Dialect, InputDef, TaskDef, WorkflowDef
from .orquesta_tasks import load_task
from .report import Reporter
from .yamlmarks import mark_of

__all__ = ["load_orquesta"]

D = Dialect.ORQUESTA.value
TOP_KEYS = ("version", "description", "name", "tags", "input", "vars", "tasks", "output")
INPUT_META_KEYS = frozenset({"default", "required", "secret", "description", "type"})
_TASK_NAME = re.compile(r"^\w+$")


def load_orquesta(doc: Any, reporter: Reporter) -> WorkflowDef | None:
    """Build the model from a parsed document; report problems to ``reporter``."""
    check_keys(reporter, doc, TOP_KEYS, required=("tasks",))
    version = doc.get("version")
    if version is not None and str(version) not in ("1.0", "1"):
        reporter.report("T106", f"version must be 1.0, got {version!r}", doc, "version",
                        path="version")
    inputs = _inputs(doc.get("input"), doc, reporter)
    variables = _one_key_list(doc, "vars", reporter)
    outputs = _one_key_list(doc, "output", reporter)
    tasks_doc = doc.get("tasks")
    tasks, containers, sites = _tasks(doc, reporter)
    graph = check_graph(reporter, tasks, containers, tasks_container=tasks_doc if
                        tasks_doc is not None else doc, reserved_allowed=True,
                        target_sites=sites)
    base = {i.name for i in inputs} | {k for k, _ in variables} | {ST2}
    check_ctx_names(reporter, tasks, graph, base=base, containers=containers,
                    outputs=outputs, output_container=doc.get("output"))
    return WorkflowDef(
        dialect=Dialect.ORQUESTA,
        policies=ORQUESTA_POLICIES,
        name=str(doc.get("name") or ""),
        version=str(version or "1.0"),
        description=str(doc.get("description") or ""),
        file=reporter.file,
        inputs=tuple(inputs),
        vars=tuple(variables),
        tasks=pmap(tasks),
        task_order=tuple(tasks),
        outputs=tuple(outputs),
        meta=pmap({"tags": tuple(doc.get("tags") or ())}),
        graph=graph,
    )


def _tasks(doc: Any, reporter: Reporter) -> tuple[dict[str, TaskDef], dict[str, Any],
                                                   dict[tuple[str, int], tuple[Any, Any]]]:
    """The tasks by name, their marked mappings, and where their transitions' targets are."""
    tasks_doc = doc.get("tasks")
    tasks: dict[str, TaskDef] = {}
    containers: dict[str, Any] = {}
    sites: dict[tuple[str, int], tuple[Any, Any]] = {}
    if tasks_doc is not None and not isinstance(tasks_doc, dict):
        reporter.report("T103", "tasks must be a mapping of task name to task", doc, "tasks",
                        path="tasks")
        return tasks, containers, sites
    if not isinstance(tasks_doc, dict):
        return tasks, containers, sites
    if not tasks_doc:
        reporter.report("T104", "tasks must hold at least one task", doc, "tasks",
                        path="tasks")
    report_duplicates(reporter, tasks_doc, path="tasks")
    for key, body in tasks_doc.items():
        name = str(key)
        if name in ENGINE_COMMANDS:
            reporter.report("T202", f"{name!r} is a reserved engine command, not a task "
                            "name", tasks_doc, key, of_key=True, task=name,
                            path=f"tasks.{name}")
            continue
        if not _TASK_NAME.match(name):
            reporter.report("T206", f"task name {name!r} may only hold letters, digits "
                            "and underscores", tasks_doc, key, of_key=True, task=name,
                            path=f"tasks.{name}")
        if not isinstance(body, dict):
            reporter.report("T103", "a task must be a mapping", tasks_doc, key, task=name,
                            path=f"tasks.{name}")
            continue
        containers[name] = body
        tasks[name] = load_task(name, body, reporter, mark_of(tasks_doc, key, of_key=True),
                                sites)
    return tasks, containers, sites


def _inputs(value: Any, doc: Any, reporter: Reporter) -> list[InputDef]:
    if value is None:
        return []
    if not isinstance(value, list):
        reporter.report("T103", "input must be a list of names or {name: default}", doc,
                        "input", path="input")
        return []
    result: list[InputDef] = []
    seen: set[str] = set()
    for index, entry in enumerate(value):
        meta: dict[str, Any] = {}
        if isinstance(entry, str):
            name, default, has_default = entry, None, False
        elif isinstance(entry, dict) and len(entry) == 1:
            name, raw = next(iter(entry.items()))
            parsed = _input_meta(raw)
            if parsed is None:
                default, has_default = raw, True
            else:
                # Metadata form: only an explicit `default` is a default (a required input
                # without one has none, not the metadata mapping nor null).
                meta = parsed
                default, has_default = meta.get("default"), "default" in meta
                if not _type_ok(meta.get("type"), raw, name, reporter):
                    meta.pop("type")
        else:
            reporter.report("T103", "each input is a name or a one-key mapping", value, index,
                            path=f"input[{index}]")
            continue
        name = str(name)
        if name in seen:
            reporter.report("T105", f"input {name!r} is declared twice", value, index,
                            path=f"input[{index}]")
        seen.add(name)
        node = None
        if has_default:
            node = compile_or_report(reporter, default, D, value, index, task=None,
                                     field=f"input.{name}")
        result.append(
            InputDef(
                name=name,
                default=node,
                required=bool(meta.get("required", False)),
                secret=bool(meta.get("secret", False)),
                description=str(meta.get("description", "")),
                type=meta.get("type"),
            )
        )
    return result


INPUT_TYPES = ("string", "integer", "number", "boolean", "array", "object", "null")


def _type_ok(kind: Any, raw: Any, name: Any, reporter: Reporter) -> bool:
    """Tell whether an input's declared ``type`` is a JSON type (None: not declared)."""
    if kind is None or kind in INPUT_TYPES:
        return True
    reporter.report("T106", f"input {str(name)!r}: type must be one of {', '.join(INPUT_TYPES)}",
                    raw, "type", path=f"input.{name}.type")
    return False


def _input_meta(raw: Any) -> dict[str, Any] | None:
    """Troupe's input metadata form: a mapping with only metadata keys, one a flag."""
    if (
        isinstance(raw, dict)
        and raw
        and set(raw) <= INPUT_META_KEYS
        and ({"required", "secret"} & set(raw))
        and all(isinstance(raw.get(k, False), bool) for k in ("required", "secret"))
    ):
        return dict(raw)
    return None


def _one_key_list(doc: Any, key: str, reporter: Reporter) -> list[tuple[str, Any]]:
    value = doc.get(key)
    if value is None:
        return []
    container: Any = value
    if isinstance(value, dict):
        items = list(value.items())
        keys: list[Any] = [k for k, _ in items]
    elif isinstance(value, list):
        items = []
        keys = []
        for index, entry in enumerate(value):
            if not isinstance(entry, dict) or len(entry) != 1:
                reporter.report("T103", f"each {key} entry is a one-key mapping", value, index,
                                path=f"{key}[{index}]")
                continue
            items.append(next(iter(entry.items())))
            keys.append(index)
    else:
        reporter.report("T103", f"{key} must be a list of one-key mappings", doc, key, path=key)
        return []
    result = []
    for (name, raw), where in zip(items, keys, strict=True):
        node = compile_or_report(reporter, raw, D, container, where, task=None,
                                 field=f"{key}.{name}")
        if node is not None:
            result.append((str(name), node))
    return result
