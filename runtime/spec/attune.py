"""Loader for the Attune dialect (``version: "1.0.0"``, tasks as a list with ``name``).

Accepts Attune's workflow files: ``ref``/``label``/``parameters`` metadata (parameters flat
or as a JSON-schema object), raw ``vars``, ``output_map``, tasks with ``next`` transitions or
the legacy ``on_success``/``on_failure``/``on_complete``/``on_timeout``/``decision``/``publish``
keys (normalized into ``next`` in Attune's order), ``with_items`` with ``batch_size`` and
``concurrency``, ``retry`` with backoff, ``timeout``, integer ``join``, and the platform
fields (``wait_for``, placement, permissions, UI metadata), which are carried in
``TaskDef.extra`` without semantics.

Troupe is stricter than Attune: Attune silently ignores unknown keys, Troupe reports them as
errors (T102, with a did-you-mean hint), because a misspelt key such as ``on_sucess`` would
otherwise change the workflow without a word. Features Troupe does not implement
(``type: parallel``, ``iterate_cache``, ``join: all``) are errors (T106); fields Attune parses
but never acts on (``retry.on_error``, task-level ``when``) are accepted with a warning.

The loader is split by concept: this module reads the top level and the task list,
:mod:`runtime.spec.attune_parameters` the parameters and their JSON-schemas,
:mod:`runtime.spec.attune_tasks` one task, :mod:`runtime.spec.attune_transitions` its
transitions.

Misuse: call :func:`runtime.spec.load_workflow`, which detects the dialect, rather than this
module directly. Expressions use Troupe's Jinja environment for the Attune dialect (JSON
stringification, ``parameters``/``workflow``/``task``/``item``/``index`` namespaces); there
is no ``ctx()`` here, so no upstream-name check is run.
"""

from __future__ import annotations

from typing import Any

from pyrsistent import pmap

from runtime.templating import Const, Node
from runtime.values import freeze

from .attune_inquiry import check_inquiry_names
from .attune_parameters import load_parameters
from .attune_tasks import load_task, task_name
from .attune_transitions import Sites, status_shortcut
from .common import check_keys, compile_or_report
from .graph_checks import check_graph
from .model import ATTUNE_POLICIES, Dialect, TaskDef, WorkflowDef
from .report import Reporter
from .yamlmarks import mark_of

__all__ = ["load_attune", "status_shortcut"]

D = Dialect.ATTUNE.value
TOP_KEYS = ("version", "ref", "label", "description", "tags", "parameters", "output", "vars",
            "tasks", "output_map", "cancellation_policy")
CANCELLATION_POLICIES = ("allow_finish", "cancel_running")


def load_attune(doc: Any, reporter: Reporter) -> WorkflowDef | None:
    """Build the model from a parsed document; report problems to ``reporter``."""
    check_keys(reporter, doc, TOP_KEYS, required=("version", "tasks"))
    version = _version(doc, reporter)
    texts = {key: _text(doc, key, reporter) for key in ("ref", "label", "description")}
    tags = _tags(doc, reporter)
    inputs, parameter_schemas = load_parameters(doc, reporter)
    output_schema = doc.get("output")
    if output_schema is not None and not isinstance(output_schema, dict):
        reporter.report("T103", "output must be a (JSON-schema) mapping", doc, "output",
                        path="output")
        output_schema = None
    variables = _vars(doc, reporter)
    outputs = _output_map(doc, reporter)
    policy = doc.get("cancellation_policy", "allow_finish")
    if policy not in CANCELLATION_POLICIES:
        reporter.report("T106", f"cancellation_policy must be one of "
                        f"{', '.join(CANCELLATION_POLICIES)}, got {policy!r}", doc,
                        "cancellation_policy", path="cancellation_policy")
        policy = "allow_finish"
    tasks_doc = doc.get("tasks")
    tasks, containers, sites = _tasks(doc, reporter)
    check_inquiry_names(reporter, tasks, containers, doc)
    graph = check_graph(reporter, tasks, containers,
                        tasks_container=tasks_doc if tasks_doc is not None else doc,
                        reserved_allowed=False, routes=False, target_sites=sites)
    ref, label = texts["ref"], texts["label"]
    return WorkflowDef(
        dialect=Dialect.ATTUNE,
        policies=ATTUNE_POLICIES,
        name=ref or label,
        version=version,
        description=texts["description"],
        file=reporter.file,
        inputs=tuple(inputs),
        vars=tuple(variables),
        tasks=pmap(tasks),
        task_order=tuple(tasks),
        outputs=tuple(outputs),
        meta=pmap({"ref": ref, "label": label, "tags": tags, "cancellation_policy": policy,
                   "output": freeze(output_schema), "parameters": parameter_schemas}),
        graph=graph,
    )


# -- top level -------------------------------------------------------------------------------


def _version(doc: Any, reporter: Reporter) -> str:
    version = doc.get("version")
    if version is not None and not isinstance(version, str):
        reporter.report("T103", f"version must be a string such as \"1.0.0\", got {version!r}"
                        " (quote it)", doc, "version", path="version")
    elif isinstance(version, str) and not 1 <= len(version.strip()) <= 50:
        reporter.report("T106", "version must hold 1 to 50 characters", doc, "version",
                        path="version")
    return version if isinstance(version, str) else ""


def _tasks(doc: Any, reporter: Reporter) -> tuple[dict[str, TaskDef], dict[str, Any], Sites]:
    """The named tasks in file order, their marked mappings, and where their targets are."""
    tasks_doc = doc.get("tasks")
    tasks: dict[str, TaskDef] = {}
    containers: dict[str, Any] = {}
    sites: Sites = {}
    if tasks_doc is not None and not isinstance(tasks_doc, list):
        reporter.report("T103", "tasks must be a list of tasks, each with a name", doc, "tasks",
                        path="tasks")
        return tasks, containers, sites
    if not isinstance(tasks_doc, list):
        return tasks, containers, sites
    if not tasks_doc:
        reporter.report("T104", "tasks must hold at least one task", doc, "tasks",
                        path="tasks")
    for index, body in enumerate(tasks_doc):
        if not isinstance(body, dict):
            reporter.report("T103", "a task must be a mapping with a name", tasks_doc,
                            index, path=f"tasks[{index}]")
            continue
        name = task_name(body, index, tasks, reporter)
        label = name if name is not None else f"tasks[{index}]"
        mark = mark_of(tasks_doc, index)
        task = load_task(label, body, reporter, mark.line if mark else None, sites)
        if name is not None:
            tasks[name] = task
            containers[name] = body
    return tasks, containers, sites


def _text(doc: Any, key: str, reporter: Reporter) -> str:
    value = doc.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        reporter.report("T103", f"{key} must be a string", doc, key, path=key)
        return ""
    return value


def _tags(doc: Any, reporter: Reporter) -> tuple[str, ...]:
    value = doc.get("tags")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        reporter.report("T103", "tags must be a list of strings", doc, "tags", path="tags")
        return ()
    return tuple(value)


def _vars(doc: Any, reporter: Reporter) -> list[tuple[str, Node]]:
    value = doc.get("vars")
    if value is None:
        return []
    if not isinstance(value, dict):
        reporter.report("T103", "vars must be a mapping of name to value", doc, "vars",
                        path="vars")
        return []
    result: list[tuple[str, Node]] = []
    for name, raw in value.items():
        if not isinstance(name, str):
            reporter.report("T103", "a variable name must be a string", value, name,
                            of_key=True, path=f"vars.{name}")
            continue
        # Attune inserts vars raw: a "{{ }}" in a var stays text, it is never rendered.
        result.append((name, Const(freeze(raw))))
    return result


def _output_map(doc: Any, reporter: Reporter) -> list[tuple[str, Node]]:
    value = doc.get("output_map")
    if value is None:
        return []
    if not isinstance(value, dict):
        reporter.report("T103", "output_map must be a mapping of name to template", doc,
                        "output_map", path="output_map")
        return []
    result: list[tuple[str, Node]] = []
    for name, raw in value.items():
        node = compile_or_report(reporter, raw, D, value, name, task=None,
                                 field=f"output_map.{name}")
        if node is not None:
            result.append((str(name), node))
    return result
