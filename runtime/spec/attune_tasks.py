"""Attune tasks: one list entry (``name``, ``action``, ``input``...) to one :class:`TaskDef`.

Checks a task's name (length, reserved, duplicate), its type, action and input, the platform
fields carried in ``TaskDef.extra`` without semantics (placement, permissions, UI metadata),
``wait_for`` (an inquiry: :mod:`runtime.spec.attune_inquiry`), ``timeout``, integer
``join``, ``with_items`` with ``batch_size`` and ``concurrency``, and ``retry`` with backoff;
transitions come from :mod:`runtime.spec.attune_transitions`.

Misuse: only :mod:`runtime.spec.attune` calls :func:`task_name` and :func:`load_task`, with
the marked task mapping, so that every diagnostic has a line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pyrsistent import pmap

from runtime.templating import Node, compile_value
from runtime.values import freeze

from .attune_inquiry import load_wait_for
from .attune_transitions import LEGACY_KEYS, Sites, load_transitions
from .bounds import MAX_SECONDS, PAUSE, SECONDS, numeric_field
from .common import check_keys, compile_or_report
from .model import ENGINE_COMMANDS, Backoff, Dialect, Iteration, Retry, TaskDef
from .placement import PLACEMENT_KEYS, load_placement
from .report import Reporter

__all__ = ["load_task", "task_name"]

D = Dialect.ATTUNE.value
EXTRA_KEYS = ("permission_set_refs", "worker_selector", "worker_tolerations",
              "worker_affinity", "trace_tag_template", "__chart_meta__", "description", "when")
TASK_KEYS = ("name", "type", "action", "input", "next", "with_items", "batch_size",
             "concurrency", "retry", "timeout", "join", "iterate_cache", "permission_set_ref",
             "wait_for",
             *EXTRA_KEYS, *LEGACY_KEYS, *PLACEMENT_KEYS)
RETRY_KEYS = ("count", "delay", "backoff", "max_delay", "on_error")
TASK_TYPES = ("action", "workflow", "parallel")
MAX_NAME = 255


def task_name(body: Any, index: int, tasks: Mapping[str, TaskDef],
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


def load_task(name: str, body: Any, reporter: Reporter, line: int | None,
              sites: Sites) -> TaskDef:
    """Build one task; report its problems and carry on."""
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
        transitions=tuple(load_transitions(name, body, reporter, sites)),
        wait_for=load_wait_for(name, body, reporter),
        extra=pmap(extra),
        placement=load_placement(reporter, body, name),
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
        if key == "when":
            reporter.report("T106", "a task-level when has no effect (Attune never evaluates "
                            "it); put the condition on the inbound transition", body, key,
                            task=name, path=f"{path}.when", severity="warning")
        extra[key] = freeze(value)


def _timeout(name: str, body: Any, reporter: Reporter) -> Node | None:
    if body.get("timeout") is None:
        return None
    return numeric_field(reporter, body, "timeout", SECONDS, D, task=name,
                         path=f"tasks.{name}.timeout", field="timeout")


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
    count = _retry_count(name, value, reporter, path)
    delay = _retry_delay(name, value, reporter, path)
    backoff = Backoff.CONSTANT
    raw_backoff = value.get("backoff")
    if raw_backoff is not None:
        try:
            backoff = Backoff(raw_backoff)
        except ValueError:
            reporter.report("T106", "backoff must be one of constant, linear, exponential, "
                            f"got {raw_backoff!r}", value, "backoff", task=name,
                            path=f"{path}.backoff")
    max_delay = _retry_max_delay(name, value, reporter, path)
    if "on_error" in value:
        reporter.report("T106", "retry on_error is ignored (Attune never evaluates it); "
                        "retries happen on failure and timeout", value, "on_error",
                        task=name, path=f"{path}.on_error", of_key=True, severity="warning")
    if count is None:
        return None
    return Retry(count=compile_value(count, D), delay=delay, backoff=backoff,
                 max_delay=max_delay)


def _retry_count(name: str, value: Any, reporter: Reporter, path: str) -> int | None:
    """The retry count when it is a whole number from 1 to 100, else None (reported)."""
    count = value.get("count")
    if count is None:
        return None
    if isinstance(count, bool) or not isinstance(count, int):
        reporter.report("T103", "retry count must be a whole number", value, "count",
                        task=name, path=f"{path}.count")
        return None
    if not 1 <= count <= 100:
        reporter.report("T106", f"retry count must be between 1 and 100, got {count}",
                        value, "count", task=name, path=f"{path}.count")
        return None
    return count


def _retry_delay(name: str, value: Any, reporter: Reporter, path: str) -> Node | None:
    if value.get("delay") is None:
        return None
    return numeric_field(reporter, value, "delay", PAUSE, D, task=name, path=f"{path}.delay",
                         field="retry.delay")


def _retry_max_delay(name: str, value: Any, reporter: Reporter, path: str) -> float | None:
    raw_max = value.get("max_delay")
    if raw_max is None:
        return None
    if isinstance(raw_max, bool) or not isinstance(raw_max, (int, float)):
        reporter.report("T103", "max_delay must be a number of seconds", value,
                        "max_delay", task=name, path=f"{path}.max_delay")
        return None
    problem = PAUSE.problem(raw_max if raw_max <= MAX_SECONDS else math.inf)
    if problem is not None:
        reporter.report("T106", f"max_delay {problem}", value, "max_delay",
                        task=name, path=f"{path}.max_delay")
        return None
    return float(raw_max)
