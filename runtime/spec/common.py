"""Pieces both dialect loaders share: key checks, compiling with diagnostics, inline
arguments (``core.echo message="hi" n=1``), and the graph-level checks run on the finished
model (targets, start tasks, joins, upstream ``ctx()`` names).

Misuse: loaders call these with the marked containers from :mod:`runtime.spec.yamlmarks`, so
diagnostics get lines; calling them with plain dicts works but loses locations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from runtime.errors import ExpressionError
from runtime.graph import Graph, build_graph
from runtime.templating import Const, Node, compile_value, referenced_ctx_names

from .model import ENGINE_COMMANDS, TaskDef, Transition
from .report import Reporter
from .yamlmarks import MarkedDict

TargetSites = Mapping[tuple[str, int], tuple[Any, Any]]
"""(task, transition index) -> (container, key) where that transition's targets are written."""

__all__ = [
    "check_graph",
    "check_keys",
    "compile_or_report",
    "parse_inline_args",
    "report_all_duplicates",
    "report_duplicates",
]


def report_duplicates(reporter: Reporter, container: Any, *, task: str | None = None,
                      path: str = "") -> None:
    """Report keys that appear twice in one mapping (YAML would keep only the last)."""
    if isinstance(container, MarkedDict):
        for key, mark in container.duplicates:
            if any(d.code == "T105" and (d.line, d.column) == (mark.line, mark.column)
                   for d in reporter.diagnostics):
                continue  # already reported by an earlier, more specific check
            reporter.report("T105", f"duplicate key {key!r}", mark=mark, task=task,
                            path=f"{path}.{key}" if path else str(key))


def report_all_duplicates(reporter: Reporter, doc: Any) -> None:
    """Report duplicate keys anywhere in a document, naming the task they are in.

    Loaders check the mappings whose keys they know; this sweep catches the rest (inside
    ``input``, ``publish``, parameters...). Duplicates already reported are skipped.
    """
    tasks_doc = doc.get("tasks") if isinstance(doc, dict) else None
    report_duplicates(reporter, doc)
    for key, value in doc.items() if isinstance(doc, dict) else ():
        if value is tasks_doc and isinstance(tasks_doc, dict):
            report_duplicates(reporter, tasks_doc, path="tasks")
            for name, body in tasks_doc.items():
                _sweep(reporter, body, str(name), f"tasks.{name}")
        elif value is tasks_doc and isinstance(tasks_doc, list):
            for index, body in enumerate(tasks_doc):
                name = body.get("name") if isinstance(body, dict) else None
                label = name if isinstance(name, str) else None
                _sweep(reporter, body, label, f"tasks.{label}" if label else f"tasks[{index}]")
        else:
            _sweep(reporter, value, None, str(key))


def _sweep(reporter: Reporter, value: Any, task: str | None, path: str) -> None:
    if isinstance(value, dict):
        report_duplicates(reporter, value, task=task, path=path)
        for key, item in value.items():
            _sweep(reporter, item, task, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _sweep(reporter, item, task, f"{path}[{index}]")


def check_keys(
    reporter: Reporter,
    mapping: Mapping[str, Any],
    allowed: Iterable[str],
    *,
    task: str | None = None,
    path: str = "",
    required: Iterable[str] = (),
) -> None:
    """Report unknown and missing keys of ``mapping``."""
    allowed_set = set(allowed)
    report_duplicates(reporter, mapping, task=task, path=path)
    for key in mapping:
        if key not in allowed_set:
            hint = _closest(str(key), allowed_set)
            message = f"unknown key {key!r}" + (f" (did you mean {hint!r}?)" if hint else "")
            reporter.report("T102", message, mapping, key, task=task, of_key=True,
                            path=f"{path}.{key}" if path else str(key))
    for key in required:
        if key not in mapping:
            reporter.report("T104", f"missing required key {key!r}", mapping, task=task,
                            path=path)


def _closest(word: str, options: set[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.75)
    return match[0] if match else None


def compile_or_report(
    reporter: Reporter,
    value: Any,
    dialect: str,
    container: Any,
    key: Any,
    *,
    task: str | None,
    field: str,
) -> Node | None:
    """Compile ``value``; report a Jinja syntax error and return None if it fails."""
    path = f"tasks.{task}.{field}" if task else field
    if _has_yaql(value):
        reporter.report("T303", "YAQL expressions (<% %>) are not supported; use Jinja {{ }}",
                        container, key, task=task, path=path)
        return None
    try:
        return compile_value(value, dialect, task=task, field=field)
    except ExpressionError as exc:
        reporter.report("T301", f"{exc.reason} in {exc.expression!r}", container, key,
                        task=task, path=path)
        return None


def _has_yaql(value: Any) -> bool:
    if isinstance(value, str):
        return "<%" in value and "%>" in value
    if isinstance(value, dict):
        return any(_has_yaql(k) or _has_yaql(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_yaql(v) for v in value)
    return False


_ARG = re.compile(r"\s*,?\s*(?P<key>[\w.-]+)=")


def parse_inline_args(text: str) -> dict[str, Any]:
    """Parse ``key=value`` pairs (space or comma separated) into a dict.

    Values: quoted strings, ``{{ ... }}`` templates, ``[...]``/``{...}`` literals, numbers,
    ``true``/``false``/``null``, or bare words. Raises ValueError on anything else.
    """
    result: dict[str, Any] = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _ARG.match(text, pos)
        if not match:
            raise ValueError(f"expected key=value at {text[pos:]!r}")
        key = match["key"]
        pos = match.end()
        value, pos = _inline_value(text, pos)
        result[key] = value
        while pos < len(text) and text[pos] in " ,\t":
            pos += 1
    return result


def _inline_value(text: str, pos: int) -> tuple[Any, int]:
    if pos >= len(text):
        return "", pos
    start = text[pos]
    if start in "\"'":
        end = pos + 1
        while end < len(text) and text[end] != start:
            end += 2 if text[end] == "\\" else 1
        if end >= len(text):
            raise ValueError(f"unterminated string at {text[pos:]!r}")
        raw = text[pos + 1 : end]
        return raw.replace("\\" + start, start), end + 1
    if text.startswith("{{", pos) or text.startswith("<%", pos):
        closer = "}}" if start == "{" else "%>"
        end = text.find(closer, pos)
        if end < 0:
            raise ValueError(f"unterminated expression at {text[pos:]!r}")
        end += 2
        # A template may continue with more text up to the next separator: `a{{x}}b`.
        while end < len(text) and text[end] not in " ,":
            end += 1
        return text[pos:end], end
    if start in "[{":
        depth = 0
        for end in range(pos, len(text)):
            if text[end] in "[{":
                depth += 1
            elif text[end] in "]}":
                depth -= 1
                if depth == 0:
                    literal = text[pos : end + 1]
                    try:
                        return yaml.safe_load(literal), end + 1
                    except yaml.YAMLError:
                        raise ValueError(f"bad list or mapping {literal!r}") from None
        raise ValueError(f"unbalanced brackets at {text[pos:]!r}")
    end = pos
    while end < len(text) and text[end] not in " ,":
        end += 1
    word = text[pos:end]
    if "{{" in word:
        close = text.find("}}", pos)
        end = close + 2
        while end < len(text) and text[end] not in " ,":
            end += 1
        return text[pos:end], end
    return _bare_word(word), end


_INT = re.compile(r"-?\d+")
_FLOAT = re.compile(r"-?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?|-?\d+[eE][-+]?\d+")


def _bare_word(word: str) -> Any:
    """Type an unquoted value as Orquesta does: numbers, true/false, null, else text.

    Deliberately not YAML: ``on``/``yes`` stay text, ``2024-01-01`` is not a date.
    """
    if _INT.fullmatch(word):
        return int(word)
    if _FLOAT.fullmatch(word):
        return float(word)
    if word.lower() in ("true", "false"):
        return word.lower() == "true"
    if word == "null":
        return None
    return word


def check_graph(
    reporter: Reporter,
    tasks: Mapping[str, TaskDef],
    containers: Mapping[str, Any],
    *,
    tasks_container: Any,
    reserved_allowed: bool,
    routes: bool = True,
    target_sites: TargetSites | None = None,
) -> Graph:
    """Build the graph and report structural problems.

    ``routes`` is False for dialects without per-arrival routes (Attune), where a join after
    nested splits is not ambiguous. ``target_sites`` locates each transition's targets for
    the undefined-target diagnostic (default: the task's ``next`` key).
    """
    sites = target_sites or {}
    for name, task in tasks.items():
        container = containers.get(name)
        for transition in task.transitions:
            for target in transition.targets:
                if target in tasks:
                    continue
                if reserved_allowed and target in ENGINE_COMMANDS:
                    continue
                hint = _closest(target, set(tasks))
                message = f"transition target {target!r} is not a task" + (
                    f" (did you mean {hint!r}?)" if hint else ""
                )
                site, key = sites.get((name, transition.index), (container, "next"))
                reporter.report("T201", message, site, key, task=name,
                                path=f"tasks.{name}.next[{transition.index}].do")
        if task.iteration is not None and task.action is None:
            reporter.report("T203", "a with-items task needs an action", container,
                            task=name, path=f"tasks.{name}")
    graph = build_graph(
        {
            name: [
                (t.index, tuple(x for x in t.targets if x in tasks or x in ENGINE_COMMANDS))
                for t in task.transitions
            ]
            for name, task in tasks.items()
        },
        {name: task.join for name, task in tasks.items() if task.join is not None},
    )
    if tasks and not graph.starts:
        reporter.report("T204", "no start task: every task is the target of a transition "
                        "(a loop needs an entry task)", tasks_container, path="tasks")
    for name, task in tasks.items():
        if task.join is None:
            continue
        inbound = graph.inbound_sources(name)
        if isinstance(task.join, int) and task.join > len(inbound):
            reporter.report(
                "T205",
                f"join: {task.join} waits for {task.join} inbound tasks but only "
                f"{len(inbound)} lead here ({', '.join(inbound) or 'none'})",
                containers.get(name), "join", task=name, path=f"tasks.{name}.join")
        elif task.join == "all" and not inbound:
            reporter.report("T205", "join: all but no task leads here",
                            containers.get(name), "join", task=name, path=f"tasks.{name}.join")
    if routes:
        _check_nested_split_joins(reporter, graph, tasks, containers)
    return graph


def _check_nested_split_joins(reporter: Reporter, graph: Graph, tasks: Mapping[str, TaskDef],
                              containers: Mapping[str, Any]) -> None:
    """A join whose inbound tasks sit behind different split points is ambiguous."""
    splits_of: dict[str, frozenset[str]] = {}
    changed = True
    for start in graph.starts:
        splits_of[start] = frozenset({start} if graph.is_split(start) else ())
    rounds = 0
    while changed and rounds < len(tasks) + 5:
        changed = False
        rounds += 1
        for source, edges in graph.outbound.items():
            if source not in splits_of:
                continue
            for edge in edges:
                if edge.target not in tasks:
                    continue
                own = {edge.target} if graph.is_split(edge.target) else set()
                new = splits_of[source] | own
                if edge.target in graph.cycles:
                    new = splits_of.get(edge.target, frozenset()) | new
                old = splits_of.get(edge.target)
                merged = frozenset(new if old is None else old | new)
                if merged != old:
                    splits_of[edge.target] = merged
                    changed = True
    for name, task in tasks.items():
        if task.join is None or name not in splits_of:
            continue
        for source in graph.inbound_sources(name):
            if source in tasks and splits_of.get(source, frozenset()) != splits_of[name]:
                reporter.report(
                    "T207",
                    f"join task {name!r} is reached through nested splits; the engine cannot "
                    "tell at which level to join",
                    containers.get(name), "join", task=name, path=f"tasks.{name}.join")
                break


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


def transition_targets(transition: Transition) -> tuple[str, ...]:
    """The task names (not engine commands) a transition leads to."""
    return tuple(t for t in transition.targets if t not in ENGINE_COMMANDS)
