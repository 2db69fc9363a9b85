"""Attune task transitions: ``next`` entries and the legacy keys normalized into them.

A task's ``next`` list (``when``/``publish``/``do``) becomes :class:`Transition` records; without
``next``, the legacy ``on_success``/``on_failure``/``on_complete``/``on_timeout`` keys and the
``decision`` branches become transitions in Attune's order, and a task-level ``publish`` is
attached where Attune attaches it. ``status_shortcut`` marks a ``when`` that is literally a
status test, so the engine can decide it without rendering.

Misuse: only :mod:`runtime.spec.attune_tasks` calls :func:`load_transitions`; ``sites`` is
filled here so that undefined targets are reported where they are written.
"""

from __future__ import annotations

import re
from typing import Any

from runtime.templating import Node

from .common import check_keys, compile_or_report
from .model import Dialect, Transition
from .report import Reporter

__all__ = ["LEGACY_KEYS", "Sites", "load_transitions", "status_shortcut"]

D = Dialect.ATTUNE.value
LEGACY_KEYS = ("on_success", "on_failure", "on_complete", "on_timeout", "decision", "publish")
TRANSITION_KEYS = ("when", "publish", "do", "__chart_meta__")
DECISION_KEYS = ("when", "next", "default")

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
"""(task, transition index) -> (container, key) where that transition's targets are written."""

Draft = tuple[str | None, tuple[str, ...], Any, Any]
"""A legacy transition before compiling: (when, targets, container, key)."""


def status_shortcut(when: str | None) -> str | None:
    """Return the status a ``when`` literally tests (``{{ succeeded() }}``...), else None."""
    if when is None:
        return None
    return _SHORTCUTS.get(_SPACE.sub("", when))


def load_transitions(name: str, body: Any, reporter: Reporter,
                     sites: Sites) -> list[Transition]:
    """The task's transitions: its ``next`` list, else its legacy keys."""
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
    drafts: list[Draft] = []
    for key, when in (("on_success", SUCCEEDED), ("on_failure", FAILED),
                      ("on_complete", None), ("on_timeout", TIMED_OUT)):
        if body.get(key) is not None:
            targets = _legacy_targets(name, body, key, reporter, f"tasks.{name}.{key}")
            drafts.append((when, targets, body, key))
    drafts.extend(_decision(name, body, reporter))
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


def _decision(name: str, body: Any, reporter: Reporter) -> list[Draft]:
    """The drafts of a ``decision`` list: one per well-formed ``{when, next}`` branch."""
    decision = body.get("decision")
    if decision is not None and not isinstance(decision, list):
        reporter.report("T103", "decision must be a list of {when, next}", body, "decision",
                        task=name, path=f"tasks.{name}.decision")
        return []
    drafts: list[Draft] = []
    for position, branch in enumerate(decision or ()):
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
    return drafts


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
