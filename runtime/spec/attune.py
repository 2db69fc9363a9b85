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

Misuse: call :func:`runtime.spec.load_workflow`, which detects the dialect, rather than this
module directly. Expressions use Troupe's Jinja environment for the Attune dialect (JSON
stringification, ``parameters``/``workflow``/``task``/``item``/``index`` namespaces); there
is no ``ctx()`` here, so no upstream-name check is run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pyrsistent import pmap

from runtime.templating import Const, Node, compile_value
from runtime.values import freeze

from .common import (
    check_graph,
    check_keys,
    compile_or_report,
)
from .model import (
    ATTUNE_POLICIES,
    ENGINE_COMMANDS,
    Backoff,
    Dialect,
    InputDef,
    Iteration,
    Retry,
    TaskDef,
    Transition,
    WorkflowDef,
)
from .report import Reporter
from .yamlmarks import mark_of

__all__ = ["load_attune", "status_shortcut"]

D = "attune"
TOP_KEYS = ("version", "ref", "label", "description", "tags", "parameters", "output", "vars",
            "tasks", "output_map", "cancellation_policy")
EXTRA_KEYS = ("wait_for", "permission_set_refs", "worker_selector", "worker_tolerations",
              "worker_affinity", "trace_tag_template", "__chart_meta__", "description", "when")
LEGACY_KEYS = ("on_success", "on_failure", "on_complete", "on_timeout", "decision", "publish")
TASK_KEYS = ("name", "type", "action", "input", "next", "with_items", "batch_size",
             "concurrency", "retry", "timeout", "join", "iterate_cache", "permission_set_ref",
             *EXTRA_KEYS, *LEGACY_KEYS)
TRANSITION_KEYS = ("when", "publish", "do", "__chart_meta__")
DECISION_KEYS = ("when", "next", "default")
RETRY_KEYS = ("count", "delay", "backoff", "max_delay", "on_error")
SCHEMA_KEYS = frozenset({"type", "properties", "required", "additionalProperties",
                         "description", "title", "$schema", "$id"})
CANCELLATION_POLICIES = ("allow_finish", "cancel_running")
TASK_TYPES = ("action", "workflow", "parallel")
MAX_NAME = 255

SUCCEEDED = "{{ succeeded() }}"
FAILED = "{{ failed() }}"
TIMED_OUT = "{{ timed_out() }}"
_SHORTCUTS = {
    "{{succeeded()}}": "succeeded",
    "{{failed()}}": "failed",
    "{{timed_out()}}": "timed_out",
}
_SPACE = re.compile(r"\s+")

Sites = dict[tuple[str, int], tuple[Any, Any]]


def status_shortcut(when: str | None) -> str | None:
    """Return the status a ``when`` literally tests (``{{ succeeded() }}``...), else None."""
    if when is None:
        return None
    return _SHORTCUTS.get(_SPACE.sub("", when))


def load_attune(doc: Any, reporter: Reporter) -> WorkflowDef | None:
    """Build the model from a parsed document; report problems to ``reporter``."""
    check_keys(reporter, doc, TOP_KEYS, required=("version", "tasks"))
    version = doc.get("version")
    if version is not None and not isinstance(version, str):
        reporter.report("T103", f"version must be a string such as \"1.0.0\", got {version!r}"
                        " (quote it)", doc, "version", path="version")
    elif isinstance(version, str) and not 1 <= len(version.strip()) <= 50:
        reporter.report("T106", "version must hold 1 to 50 characters", doc, "version",
                        path="version")
    texts = {key: _text(doc, key, reporter) for key in ("ref", "label", "description")}
    tags = _tags(doc, reporter)
    inputs, parameter_schemas = _parameters(doc, reporter)
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
    tasks: dict[str, TaskDef] = {}
    containers: dict[str, Any] = {}
    sites: Sites = {}
    if tasks_doc is not None and not isinstance(tasks_doc, list):
        reporter.report("T103", "tasks must be a list of tasks, each with a name", doc, "tasks",
                        path="tasks")
    elif isinstance(tasks_doc, list):
        if not tasks_doc:
            reporter.report("T104", "tasks must hold at least one task", doc, "tasks",
                            path="tasks")
        for index, body in enumerate(tasks_doc):
            if not isinstance(body, dict):
                reporter.report("T103", "a task must be a mapping with a name", tasks_doc,
                                index, path=f"tasks[{index}]")
                continue
            name = _task_name(body, index, tasks, reporter)
            label = name if name is not None else f"tasks[{index}]"
            mark = mark_of(tasks_doc, index)
            task = _task(label, body, reporter, mark.line if mark else None, sites)
            if name is not None:
                tasks[name] = task
                containers[name] = body
    graph = check_graph(reporter, tasks, containers,
                        tasks_container=tasks_doc if tasks_doc is not None else doc,
                        reserved_allowed=False, routes=False, target_sites=sites)
    ref, label = texts["ref"], texts["label"]
    return WorkflowDef(
        dialect=Dialect.ATTUNE,
        policies=ATTUNE_POLICIES,
        name=ref or label,
        version=version if isinstance(version, str) else "",
        description=texts["description"],
        file=reporter.file,
        inputs=tuple(inputs),
        vars=tuple(variables),
        tasks=pmap(tasks),
        task_order=tuple(tasks),
        outputs=tuple(outputs),
        meta=pmap({
            "ref": ref,
            "label": label,
            "tags": tags,
            "cancellation_policy": policy,
            "output": freeze(output_schema),
            "parameters": parameter_schemas,
        }),
        graph=graph,
    )


# -- top level -------------------------------------------------------------------------------


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


def _parameters(doc: Any, reporter: Reporter) -> tuple[list[InputDef], Any]:
    """Return the inputs and the frozen per-parameter schemas (name -> schema)."""
    value = doc.get("parameters")
    if value is None:
        return [], pmap()
    if not isinstance(value, dict):
        reporter.report("T103", "parameters must be a mapping of name to schema, or a "
                        "JSON-schema object with properties", doc, "parameters",
                        path="parameters")
        return [], pmap()
    required_names: set[str] = set()
    specs: Any = value
    path = "parameters"
    if _is_schema_form(value):
        check_keys(reporter, value, SCHEMA_KEYS, path="parameters")
        specs = value.get("properties") or {}
        path = "parameters.properties"
        if not isinstance(specs, dict):
            reporter.report("T103", "properties must be a mapping of name to schema", value,
                            "properties", path=path)
            specs = {}
        listed = value.get("required", [])
        if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
            reporter.report("T103", "required must be a list of parameter names", value,
                            "required", path="parameters.required")
            listed = []
        for position, name in enumerate(listed):
            if name not in specs:
                reporter.report("T106", f"required parameter {name!r} is not declared in "
                                "properties", listed, position,
                                path=f"parameters.required[{position}]")
        required_names = set(listed)
    inputs: list[InputDef] = []
    schemas: dict[str, Any] = {}
    for name, raw_spec in specs.items():
        where = f"{path}.{name}"
        if not isinstance(name, str):
            reporter.report("T103", "a parameter name must be a string", specs, name,
                            of_key=True, path=where)
            continue
        spec = {} if raw_spec is None else raw_spec
        if not isinstance(spec, dict):
            reporter.report("T103", f"parameter {name!r} must be a mapping (type, default, "
                            "required, secret, description...)", specs, name, path=where)
            continue
        flags = {}
        for flag in ("required", "secret"):
            raw = spec.get(flag, False)
            if not isinstance(raw, bool):
                reporter.report("T103", f"{flag} must be true or false", spec, flag,
                                path=f"{where}.{flag}")
                raw = False
            flags[flag] = raw
        kind = spec.get("type")
        if kind is not None and not isinstance(kind, str):
            reporter.report("T103", "type must be a JSON-schema type name", spec, "type",
                            path=f"{where}.type")
            kind = None
        description = spec.get("description", "")
        if not isinstance(description, str):
            reporter.report("T103", "description must be a string", spec, "description",
                            path=f"{where}.description")
            description = ""
        default = Const(freeze(spec["default"])) if "default" in spec else None
        inputs.append(InputDef(
            name=name,
            default=default,
            required=flags["required"] or name in required_names,
            secret=flags["secret"],
            description=description,
            type=kind,
        ))
        schemas[name] = freeze(spec)
    return inputs, pmap(schemas)


def _is_schema_form(value: Mapping[Any, Any]) -> bool:
    """Tell a JSON-schema object (``type: object, properties: ...``) from the flat form."""
    if value.get("type") == "object":
        return True
    props = value.get("properties")
    return (
        isinstance(props, dict)
        and set(value) <= SCHEMA_KEYS
        and all(isinstance(v, dict) or v is None for v in props.values())
    )


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


# -- tasks -----------------------------------------------------------------------------------


def _task_name(body: Any, index: int, tasks: Mapping[str, TaskDef],
               reporter: Reporter) -> str | None:
    """Return the task's name if it is usable, reporting why it is not."""
    path = f"tasks[{index}].name"
    name = body.get("name")
    if name is None:
        reporter.report("T104", "missing required key 'name'", body, path=f"tasks[{index}]")
        return None
    if not isinstance(name, str):
        reporter.report("T103", "a task name must be a string", body, "name", path=path)
        return None
    if not 1 <= len(name) <= MAX_NAME:
        reporter.report("T206", f"a task name must hold 1 to {MAX_NAME} characters", body,
                        "name", task=name or None, path=path)
        return None
    if name in ENGINE_COMMANDS:
        reporter.report("T202", f"{name!r} is a reserved name, not a task name", body, "name",
                        task=name, path=path)
        return None
    if name in tasks:
        reporter.report("T208", f"task {name!r} is defined twice (first on line "
                        f"{tasks[name].line})", body, "name", task=name, path=path)
        return None
    return name


def _task(name: str, body: Any, reporter: Reporter, line: int | None, sites: Sites) -> TaskDef:
    path = f"tasks.{name}"
    kind = body.get("type", "action")
    allowed = (*TASK_KEYS, "tasks") if kind == "parallel" else TASK_KEYS
    check_keys(reporter, body, allowed, task=name, path=path)
    extra: dict[str, Any] = {}
    if kind not in TASK_TYPES:
        reporter.report("T106", f"type must be 'action' or 'workflow', got {kind!r}", body,
                        "type", task=name, path=f"{path}.type")
    elif kind == "parallel":
        reporter.report("T106", "type: parallel is not supported; list the branches as "
                        "top-level tasks and join them", body, "type", task=name,
                        path=f"{path}.type")
    elif kind == "workflow":
        extra["type"] = "workflow"
    action_node, action_ref = None, None
    raw_action = body.get("action")
    if raw_action is None:
        if kind != "parallel":
            reporter.report("T104", "missing required key 'action'", body, task=name,
                            path=f"{path}.action")
    elif not isinstance(raw_action, str) or not raw_action.strip():
        reporter.report("T103", "action must be an action reference string", body, "action",
                        task=name, path=f"{path}.action")
    else:
        action_node = compile_or_report(reporter, raw_action.strip(), D, body, "action",
                                        task=name, field="action")
        if action_node is not None and action_node.constant:
            action_ref = raw_action.strip()
    input_node = None
    raw_input = body.get("input")
    if raw_input is not None:
        if not isinstance(raw_input, dict):
            reporter.report("T103", "input must be a mapping", body, "input", task=name,
                            path=f"{path}.input")
        else:
            input_node = compile_or_report(reporter, raw_input, D, body, "input", task=name,
                                           field="input")
    if "iterate_cache" in body:
        reporter.report("T106", "iterate_cache is not supported", body, "iterate_cache",
                        task=name, path=f"{path}.iterate_cache", of_key=True)
    _extra(name, body, reporter, extra)
    return TaskDef(
        name=name,
        action=action_node,
        action_ref=action_ref,
        input=input_node,
        timeout=_timeout(name, body, reporter),
        join=_join(name, body, reporter),
        iteration=_iteration(name, body, reporter),
        retry=_retry(name, body, reporter),
        transitions=tuple(_transitions(name, body, reporter, sites)),
        extra=pmap(extra),
        line=line,
    )


def _extra(name: str, body: Any, reporter: Reporter, extra: dict[str, Any]) -> None:
    """Collect the platform fields, checking their shapes."""
    path = f"tasks.{name}"
    if "permission_set_ref" in body:
        if "permission_set_refs" in body:
            reporter.report("T105", "permission_set_ref and permission_set_refs are the same "
                            "key", body, "permission_set_ref", of_key=True, task=name,
                            path=f"{path}.permission_set_ref")
        extra["permission_set_refs"] = freeze(body["permission_set_ref"])
    for key in EXTRA_KEYS:
        if key not in body:
            continue
        value = body[key]
        if key in ("trace_tag_template", "description", "when") and not isinstance(value, str):
            reporter.report("T103", f"{key} must be a string", body, key, task=name,
                            path=f"{path}.{key}")
            continue
        if key == "wait_for":
            if not isinstance(value, dict):
                reporter.report("T103", "wait_for must be a mapping {inquiry: <id>}", body,
                                key, task=name, path=f"{path}.wait_for")
                continue
            check_keys(reporter, value, ("inquiry",), task=name, path=f"{path}.wait_for",
                       required=("inquiry",))
        if key == "when":
            reporter.report("T106", "a task-level when has no effect (Attune never evaluates "
                            "it); put the condition on the inbound transition", body, key,
                            task=name, path=f"{path}.when", severity="warning")
        extra[key] = freeze(value)


def _timeout(name: str, body: Any, reporter: Reporter) -> Node | None:
    value = body.get("timeout")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        reporter.report("T103", "timeout must be a number of seconds or a template", body,
                        "timeout", task=name, path=f"tasks.{name}.timeout")
        return None
    if not isinstance(value, str) and value <= 0:
        reporter.report("T106", "timeout must be positive", body, "timeout", task=name,
                        path=f"tasks.{name}.timeout")
        return None
    return compile_or_report(reporter, value, D, body, "timeout", task=name, field="timeout")


def _join(name: str, body: Any, reporter: Reporter) -> int | None:
    value = body.get("join")
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    message = ("join: all is not supported in Attune workflows; give the number of inbound "
               "tasks to wait for" if value == "all"
               else f"join must be a positive number, got {value!r}")
    reporter.report("T106", message, body, "join", task=name, path=f"tasks.{name}.join")
    return None


def _positive_int(name: str, body: Any, key: str, reporter: Reporter) -> int | None:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        reporter.report("T103", f"{key} must be a whole number", body, key, task=name,
                        path=f"tasks.{name}.{key}")
        return None
    if value < 1:
        reporter.report("T106", f"{key} must be at least 1", body, key, task=name,
                        path=f"tasks.{name}.{key}")
        return None
    return value


def _iteration(name: str, body: Any, reporter: Reporter) -> Iteration | None:
    items = body.get("with_items")
    batch_size = None
    if body.get("batch_size") is not None:
        batch_size = _positive_int(name, body, "batch_size", reporter)
    concurrency = None
    raw_conc = body.get("concurrency")
    if raw_conc is not None:
        if isinstance(raw_conc, str):
            concurrency = compile_or_report(reporter, raw_conc, D, body, "concurrency",
                                            task=name, field="concurrency")
        elif _positive_int(name, body, "concurrency", reporter) is not None:
            concurrency = compile_value(raw_conc, D)
    if items is None:
        for key in ("batch_size", "concurrency"):
            if body.get(key) is not None:
                reporter.report("T106", f"{key} has no effect without with_items", body, key,
                                task=name, path=f"tasks.{name}.{key}", severity="warning")
        return None
    if not isinstance(items, str):
        reporter.report("T103", "with_items must be a template string yielding a list", body,
                        "with_items", task=name, path=f"tasks.{name}.with_items")
        return None
    node = compile_or_report(reporter, items, D, body, "with_items", task=name,
                             field="with_items")
    if node is None:
        return None
    return Iteration(items=node, names=(), concurrency=concurrency, batch_size=batch_size,
                     source=items)


def _retry(name: str, body: Any, reporter: Reporter) -> Retry | None:
    value = body.get("retry")
    if value is None:
        return None
    path = f"tasks.{name}.retry"
    if not isinstance(value, dict):
        reporter.report("T103", "retry must be a mapping {count, delay, backoff, max_delay}",
                        body, "retry", task=name, path=path)
        return None
    check_keys(reporter, value, RETRY_KEYS, task=name, path=path, required=("count",))
    count = value.get("count")
    ok = True
    if count is not None:
        if isinstance(count, bool) or not isinstance(count, int):
            reporter.report("T103", "retry count must be a whole number", value, "count",
                            task=name, path=f"{path}.count")
            ok = False
        elif not 1 <= count <= 100:
            reporter.report("T106", f"retry count must be between 1 and 100, got {count}",
                            value, "count", task=name, path=f"{path}.count")
            ok = False
    delay = None
    raw_delay = value.get("delay")
    if raw_delay is not None:
        if isinstance(raw_delay, bool) or not isinstance(raw_delay, (int, float, str)):
            reporter.report("T103", "retry delay must be a number of seconds or a template",
                            value, "delay", task=name, path=f"{path}.delay")
        elif not isinstance(raw_delay, str) and raw_delay < 0:
            reporter.report("T106", "retry delay cannot be negative", value, "delay",
                            task=name, path=f"{path}.delay")
        else:
            delay = compile_or_report(reporter, raw_delay, D, value, "delay", task=name,
                                      field="retry.delay")
    backoff = Backoff.CONSTANT
    raw_backoff = value.get("backoff")
    if raw_backoff is not None:
        try:
            backoff = Backoff(raw_backoff)
        except ValueError:
            reporter.report("T106", "backoff must be one of constant, linear, exponential, "
                            f"got {raw_backoff!r}", value, "backoff", task=name,
                            path=f"{path}.backoff")
    max_delay = None
    raw_max = value.get("max_delay")
    if raw_max is not None:
        if isinstance(raw_max, bool) or not isinstance(raw_max, (int, float)):
            reporter.report("T103", "max_delay must be a number of seconds", value,
                            "max_delay", task=name, path=f"{path}.max_delay")
        elif raw_max < 0:
            reporter.report("T106", "max_delay cannot be negative", value, "max_delay",
                            task=name, path=f"{path}.max_delay")
        else:
            max_delay = float(raw_max)
    if "on_error" in value:
        reporter.report("T106", "retry on_error is ignored (Attune never evaluates it); "
                        "retries happen on failure and timeout", value, "on_error",
                        task=name, path=f"{path}.on_error", of_key=True, severity="warning")
    if count is None or not ok:
        return None
    return Retry(count=compile_value(count, D), delay=delay, backoff=backoff,
                 max_delay=max_delay)


# -- transitions -----------------------------------------------------------------------------


def _transitions(name: str, body: Any, reporter: Reporter, sites: Sites) -> list[Transition]:
    value = body.get("next")
    legacy = [key for key in LEGACY_KEYS if key in body]
    if value is not None and value != []:
        if legacy:
            reporter.report("T106", f"{', '.join(legacy)} ignored: the task has next "
                            "(legacy transition keys only apply without next)", body,
                            legacy[0], of_key=True, task=name,
                            path=f"tasks.{name}.{legacy[0]}", severity="warning")
        return _next(name, body, reporter, sites)
    return _legacy(name, body, reporter, sites)


def _next(name: str, body: Any, reporter: Reporter, sites: Sites) -> list[Transition]:
    value = body["next"]
    if not isinstance(value, list):
        reporter.report("T103", "next must be a list of transitions", body, "next", task=name,
                        path=f"tasks.{name}.next")
        return []
    result: list[Transition] = []
    for position, entry in enumerate(value):
        path = f"tasks.{name}.next[{position}]"
        if not isinstance(entry, dict):
            reporter.report("T103", "a transition is a mapping {when, publish, do}", value,
                            position, task=name, path=path)
            continue
        check_keys(reporter, entry, TRANSITION_KEYS, task=name, path=path)
        index = len(result)
        when_source = entry.get("when")
        when = None
        if when_source is not None:
            if not isinstance(when_source, str):
                reporter.report("T103", "when must be a template string", entry, "when",
                                task=name, path=f"{path}.when")
                when_source = None
            else:
                when = compile_or_report(reporter, when_source, D, entry, "when", task=name,
                                         field=f"next[{index}].when")
        publish = _publish(name, entry, "publish", reporter, f"next[{index}].publish")
        targets = _do(name, entry, reporter, path)
        sites[(name, index)] = (entry, "do")
        result.append(Transition(index=index, when=when, when_source=when_source,
                                 publish=publish, targets=targets,
                                 status_shortcut=status_shortcut(when_source)))
    return result


def _do(name: str, entry: Any, reporter: Reporter, path: str) -> tuple[str, ...]:
    value = entry.get("do")
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(t.strip() for t in value.split(",") if t.strip())
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return tuple(t.strip() for t in value if t.strip())
    reporter.report("T103", "do must be a list of task names", entry, "do", task=name,
                    path=f"{path}.do")
    return ()


def _legacy(name: str, body: Any, reporter: Reporter, sites: Sites) -> list[Transition]:
    """Normalize the legacy keys into transitions, in Attune's order."""
    # (when, targets, container, key) of each transition, before compiling.
    drafts: list[tuple[str | None, tuple[str, ...], Any, Any]] = []
    for key, when in (("on_success", SUCCEEDED), ("on_failure", FAILED),
                      ("on_complete", None), ("on_timeout", TIMED_OUT)):
        if body.get(key) is not None:
            targets = _legacy_targets(name, body, key, reporter, f"tasks.{name}.{key}")
            drafts.append((when, targets, body, key))
    decision = body.get("decision")
    if decision is not None and not isinstance(decision, list):
        reporter.report("T103", "decision must be a list of {when, next}", body, "decision",
                        task=name, path=f"tasks.{name}.decision")
    elif decision:
        for position, branch in enumerate(decision):
            path = f"tasks.{name}.decision[{position}]"
            if not isinstance(branch, dict):
                reporter.report("T103", "a decision branch is a mapping {when, next}",
                                decision, position, task=name, path=path)
                continue
            check_keys(reporter, branch, DECISION_KEYS, task=name, path=path,
                       required=("next",))
            when = branch.get("when")
            if when is not None and not isinstance(when, str):
                reporter.report("T103", "when must be a template string", branch, "when",
                                task=name, path=f"{path}.when")
                continue
            if branch.get("next") is None:
                continue
            targets = _legacy_targets(name, branch, "next", reporter, f"{path}.next")
            drafts.append((when, targets, branch, "next"))
    publish = _publish(name, body, "publish", reporter, "publish")
    publish_at: int | None = None
    if publish:
        # Attune: the first transition whose condition tests succeeded(), else a new
        # succeeded transition when there is none at all, else the first transition.
        publish_at = next((i for i, (when, *_) in enumerate(drafts)
                           if when is not None and "succeeded()" in when), None)
        if publish_at is None:
            if not drafts:
                drafts.append((SUCCEEDED, (), body, "publish"))
            publish_at = 0
    result: list[Transition] = []
    for index, (when_source, targets, container, key) in enumerate(drafts):
        node = None
        if when_source is not None:
            node = compile_or_report(reporter, when_source, D, container,
                                     "when" if key == "next" else key, task=name,
                                     field=f"next[{index}].when")
        sites[(name, index)] = (container, key)
        result.append(Transition(index=index, when=node, when_source=when_source,
                                 publish=publish if index == publish_at else (),
                                 targets=targets,
                                 status_shortcut=status_shortcut(when_source)))
    return result


def _legacy_targets(name: str, container: Any, key: str, reporter: Reporter,
                    path: str) -> tuple[str, ...]:
    value = container.get(key)
    if isinstance(value, str) and value.strip():
        return (value.strip(),)
    if isinstance(value, list) and value and all(isinstance(t, str) for t in value):
        return tuple(t.strip() for t in value if t.strip())
    reporter.report("T103", f"{key} must be a task name", container, key, task=name,
                    path=path)
    return ()


def _publish(name: str, container: Any, key: str, reporter: Reporter,
             field: str) -> tuple[tuple[str, Node], ...]:
    """Compile a publish block: ``{name: value}`` or a list of one-key mappings or names.

    A bare name in the list publishes the whole ``result()`` under that name (Attune).
    """
    value = container.get(key)
    if value is None:
        return ()
    path = f"tasks.{name}.{field}"
    pairs: list[tuple[Any, Any, Any, Any]] = []  # (name, raw value, container, key)
    if isinstance(value, dict):
        pairs = [(k, v, value, k) for k, v in value.items()]
    elif isinstance(value, list):
        for position, item in enumerate(value):
            if isinstance(item, dict) and len(item) == 1:
                (k, v), = item.items()
                pairs.append((k, v, item, k))
            elif isinstance(item, str) and item.strip():
                pairs.append((item.strip(), "{{ result() }}", value, position))
            else:
                reporter.report("T103", "each publish entry is a one-key mapping or a name",
                                value, position, task=name, path=f"{path}[{position}]")
    else:
        reporter.report("T103", "publish must be a mapping or a list of one-key mappings",
                        container, key, task=name, path=path)
        return ()
    result: list[tuple[str, Node]] = []
    for var, raw, where, at in pairs:
        if not isinstance(var, str):
            reporter.report("T103", "a published name must be a string", where, at,
                            of_key=isinstance(where, dict), task=name, path=f"{path}.{var}")
            continue
        node = compile_or_report(reporter, raw, D, where, at, task=name,
                                 field=f"{field}.{var}")
        if node is not None:
            result.append((var, node))
    return tuple(result)
