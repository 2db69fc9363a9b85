"""Orquesta tasks: one ``tasks`` entry (action, input, with, retry, join, next...) to a TaskDef.

Splits an inline action (``core.echo message="hi"``) into the reference and its arguments
(explicit ``input`` wins), checks ``delay``/``timeout``/``join``, reads ``with`` as
``x in <expr>``, a literal list or ``{items, concurrency}``, and builds the ``next``
transitions with their ``publish`` (a list of one-key mappings, a mapping or inline
``key=value`` text) and ``do`` (a name, a comma-separated string or a list; ``retry`` in
``do`` becomes a retry spec).

Misuse: only :mod:`runtime.spec.orquesta` calls :func:`load_task`, with the marked task
mapping, so that every diagnostic has a line.
"""

from __future__ import annotations

import json
import re
from typing import Any

from runtime.templating import compile_value

from .bounds import CONCURRENCY, COUNT, PAUSE, SECONDS, Range, numeric_field
from .common import check_keys, compile_or_report, parse_inline_args
from .model import Dialect, Iteration, Retry, TaskDef, Transition
from .placement import PLACEMENT_KEYS, load_placement
from .report import Reporter

__all__ = ["load_task", "split_action"]

D = Dialect.ORQUESTA.value
TASK_KEYS = ("action", "input", "delay", "join", "with", "retry", "next", "timeout",
             *PLACEMENT_KEYS)
TRANSITION_KEYS = ("when", "publish", "do")
_WITH = re.compile(r"^\s*(?P<names>[A-Za-z_]\w*(\s*,\s*[A-Za-z_]\w*)*)\s+in\s+(?P<expr>.+)$",
                   re.DOTALL)


def load_task(name: str, body: Any, reporter: Reporter, mark: Any,
              sites: dict[tuple[str, int], tuple[Any, Any]]) -> TaskDef:
    """Build one task; report its problems and carry on."""
    check_keys(reporter, body, TASK_KEYS, task=name, path=f"tasks.{name}")
    action_node = None
    action_ref = None
    input_node = None
    raw_action = body.get("action")
    raw_input = body.get("input")
    if raw_action is not None:
        if not isinstance(raw_action, str):
            reporter.report("T103", "action must be a string", body, "action", task=name,
                            path=f"tasks.{name}.action")
        else:
            ref, rest = split_action(raw_action.strip())
            if rest.strip():
                try:
                    inline = parse_inline_args(rest)
                except ValueError as exc:
                    reporter.report("T402", f"inline arguments: {exc}", body, "action",
                                    task=name, path=f"tasks.{name}.action")
                    inline = {}
                if isinstance(raw_input, dict):
                    raw_input = {**inline, **raw_input}
                elif raw_input is None:
                    raw_input = inline
            action_node = compile_or_report(reporter, ref, D, body, "action", task=name,
                                            field="action")
            if action_node is not None and action_node.constant:
                action_ref = ref
    if raw_input is not None:
        if not isinstance(raw_input, (dict, str)):
            reporter.report("T103", "input must be a mapping or an expression", body, "input",
                            task=name, path=f"tasks.{name}.input")
        else:
            input_node = compile_or_report(reporter, raw_input, D, body, "input", task=name,
                                           field="input")
    transitions, retry_from_do = _transitions(name, body, reporter)
    for transition in transitions:
        sites[(name, transition.index)] = (body["next"][transition.index], "do")
    retry = _retry(name, body, reporter) or retry_from_do
    return TaskDef(
        name=name,
        action=action_node,
        action_ref=action_ref,
        input=input_node,
        delay=_scalar(name, body, "delay", reporter, PAUSE),
        timeout=_scalar(name, body, "timeout", reporter, SECONDS),
        join=_join(name, body, reporter),
        iteration=_with(name, body, reporter),
        retry=retry,
        transitions=tuple(transitions),
        placement=load_placement(reporter, body, name),
        line=mark.line if mark else None,
    )


def split_action(text: str) -> tuple[str, str]:
    """Split ``ref key=value...`` at the first blank outside ``{{ }}`` and ``<% %>``."""
    close: str | None = None
    pos = 0
    while pos < len(text):
        if close is not None:
            if text.startswith(close, pos):
                close = None
                pos += 2
                continue
        elif text.startswith(("{{", "<%"), pos):
            close = "}}" if text[pos] == "{" else "%>"
            pos += 2
            continue
        elif text[pos].isspace():
            return text[:pos], text[pos + 1 :]
        pos += 1
    return text, ""


def _scalar(name: str, body: Any, key: str, reporter: Reporter, bounds: Range) -> Any:
    if body.get(key) is None:
        return None
    return numeric_field(reporter, body, key, bounds, D, task=name, path=f"tasks.{name}.{key}",
                         field=key)


def _join(name: str, body: Any, reporter: Reporter) -> str | int | None:
    value = body.get("join")
    if value is None:
        return None
    if value == "all":
        return "all"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    reporter.report("T106", f"join must be 'all' or a positive number, got {value!r}", body,
                    "join", task=name, path=f"tasks.{name}.join")
    return None


def _with(name: str, body: Any, reporter: Reporter) -> Iteration | None:
    value = body.get("with")
    if value is None:
        return None
    concurrency = None
    container, key = body, "with"
    if isinstance(value, dict):
        check_keys(reporter, value, ("items", "concurrency"), task=name,
                   path=f"tasks.{name}.with", required=("items",))
        if value.get("concurrency") is not None:
            concurrency = numeric_field(reporter, value, "concurrency", CONCURRENCY, D,
                                        task=name, path=f"tasks.{name}.with.concurrency",
                                        field="with.concurrency")
        container, key = value, "items"
        value = value.get("items")
    if isinstance(value, list):  # literal items, as StackStorm's examples write them
        literal = compile_or_report(reporter, value, D, container, key, task=name,
                                    field="with.items")
        return None if literal is None else Iteration(
            items=literal, concurrency=concurrency, source=json.dumps(value, default=str))
    if not isinstance(value, str):
        reporter.report("T103", "with items must be an expression string or a list",
                        container, key, task=name, path=f"tasks.{name}.with")
        return None
    names: tuple[str, ...] = ()
    expr = value
    match = _WITH.match(value)
    if match and not match["names"].strip().startswith("{"):
        names = tuple(n.strip() for n in match["names"].split(","))
        expr = match["expr"].strip()
    items = compile_or_report(reporter, expr, D, container, key, task=name, field="with.items")
    if items is None:
        return None
    return Iteration(items=items, names=names, concurrency=concurrency, source=value)


def _retry(name: str, body: Any, reporter: Reporter) -> Retry | None:
    value = body.get("retry")
    if value is None:
        return None
    if not isinstance(value, dict):
        reporter.report("T103", "retry must be a mapping {count, delay, when}", body, "retry",
                        task=name, path=f"tasks.{name}.retry")
        return None
    check_keys(reporter, value, ("count", "delay", "when"), task=name,
               path=f"tasks.{name}.retry", required=("count",))
    count = None
    if "count" in value:
        count = numeric_field(reporter, value, "count", COUNT, D, task=name,
                              path=f"tasks.{name}.retry.count", field="retry.count")
    delay = None
    if value.get("delay") is not None:
        delay = numeric_field(reporter, value, "delay", PAUSE, D, task=name,
                              path=f"tasks.{name}.retry.delay", field="retry.delay")
    when = None
    if value.get("when") is not None:
        when = compile_or_report(reporter, value["when"], D, value, "when", task=name,
                                 field="retry.when")
    if count is None:
        return None
    return Retry(count=count, delay=delay, when=when)


def _transitions(name: str, body: Any, reporter: Reporter) -> tuple[list[Transition],
                                                                      Retry | None]:
    value = body.get("next")
    if value is None:
        return [], None
    if not isinstance(value, list):
        reporter.report("T103", "next must be a list of transitions", body, "next", task=name,
                        path=f"tasks.{name}.next")
        return [], None
    result: list[Transition] = []
    retry: Retry | None = None
    for index, entry in enumerate(value):
        path = f"tasks.{name}.next[{index}]"
        if not isinstance(entry, dict):
            reporter.report("T103", "a transition is a mapping {when, publish, do}", value,
                            index, task=name, path=path)
            continue
        check_keys(reporter, entry, TRANSITION_KEYS, task=name, path=path)
        when_source = entry.get("when")
        when = None
        if when_source is not None:
            when = compile_or_report(reporter, when_source, D, entry, "when", task=name,
                                     field=f"next[{index}].when")
        publish = _publish(name, index, entry, reporter)
        targets = _do(name, index, entry, reporter)
        if "retry" in targets:
            retry = Retry(
                count=compile_value(3, D),
                when=when or compile_value("{{ completed() }}", D),
            )
            targets = tuple(t for t in targets if t != "retry")
            if not targets:
                continue
        result.append(Transition(index=index, when=when,
                                 when_source=str(when_source) if when_source else None,
                                 publish=publish, targets=targets))
    return result, retry


def _publish(name: str, index: int, entry: Any, reporter: Reporter) -> tuple[tuple[str, Any],
                                                                               ...]:
    """Compile a transition's publish: a list of one-key mappings, a mapping or key=value text.

    Each entry's diagnostics are located at that entry's value (inline text: at ``publish``).
    """
    value = entry.get("publish")
    if value is None:
        return ()
    path = f"tasks.{name}.next[{index}].publish"
    pairs: list[tuple[Any, Any, Any, Any]] = []  # (name, raw value, container, key)
    if isinstance(value, str):
        try:
            pairs = [(k, v, entry, "publish") for k, v in parse_inline_args(value).items()]
        except ValueError as exc:
            reporter.report("T402", f"inline publish: {exc}", entry, "publish", task=name,
                            path=path)
            return ()
    elif isinstance(value, dict):
        pairs = [(k, v, value, k) for k, v in value.items()]
    elif isinstance(value, list):
        for position, item in enumerate(value):
            if isinstance(item, dict) and len(item) == 1:
                (k, v), = item.items()
                pairs.append((k, v, item, k))
            else:
                reporter.report("T103", "each publish entry is a one-key mapping", value,
                                position, task=name, path=f"{path}[{position}]")
    else:
        reporter.report("T103", "publish must be a list, a mapping or key=value text", entry,
                        "publish", task=name, path=path)
    result = []
    for key, raw, container, at in pairs:
        node = compile_or_report(reporter, raw, D, container, at, task=name,
                                 field=f"next[{index}].publish.{key}")
        if node is not None:
            result.append((str(key), node))
    return tuple(result)


def _do(name: str, index: int, entry: Any, reporter: Reporter) -> tuple[str, ...]:
    value = entry.get("do")
    if value is None:
        return ("continue",)
    if isinstance(value, str):
        targets = [t.strip() for t in value.split(",") if t.strip()]
    elif isinstance(value, list) and all(isinstance(t, str) for t in value):
        targets = [t.strip() for t in value]
    else:
        reporter.report("T103", "do must be a task name, a comma-separated list or a list",
                        entry, "do", task=name, path=f"tasks.{name}.next[{index}].do")
        return ()
    return tuple(targets) or ("continue",)
