"""A task's input names checked against its action's parameters at validation (T406-T408).

For every task whose action is known when the workflow is validated (the ``accepts``
lookup answers an :class:`~runtime.actions.accepts.Accepts`: a built-in, a registered or
``python:`` function, a pack action with parameter metadata) or that names a sub-workflow
file (its declared inputs: :func:`workflow_accepts`), the literal keys of the task's
``input`` mapping and of its inline ``key=value`` arguments are compared with what the
action takes, as :mod:`runtime.actions.accepts` decides at run time:

- T406: a required parameter without a default is not given (at the task's ``action``);
- T407: a key the action does not take (no ``**kwargs``), with a did-you-mean, or the
  engine's own ``call`` (at the key; inline arguments at the ``action``);
- T408: a pack action's ``immutable`` parameter given a value other than its default.

Values are not evaluated (an expression counts as given). An input written as one whole
expression (``input: '{{ ctx().args }}'``) cannot be checked and is skipped; a key that is
an expression skips the T406 check of its task (it may render to any name).

Misuse: call it only when the actions were checked (an unknown action answers None and is
skipped: T401/T404 are :func:`runtime.spec._check_actions`'s); do not pass a lookup that
imports or runs anything it would not at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from runtime.actions.accepts import Accepts, InputProblems

from .common import closest
from .inline import parse_inline_args
from .model import Dialect, WorkflowDef
from .orquesta_tasks import split_action
from .report import Reporter
from .source import is_workflow_file

__all__ = ["ActionInputs", "check_inputs", "workflow_accepts"]

ActionInputs = Callable[[str], Accepts | None]
"""What inputs the action a reference names takes, or None (unknown, or unchecked)."""

_DYNAMIC = ("{{", "<%", "{%")


def workflow_accepts(defn: WorkflowDef) -> Accepts | None:
    """What a sub-workflow takes: its declared inputs, those ``required`` without a default
    required (None when it declares none: it takes anything, as at run time)."""
    if not defn.inputs:
        return None
    return Accepts(metadata={i.name: {"required": i.required and i.default is None,
                                      "default": None if i.default is None else True}
                             for i in defn.inputs})


def check_inputs(defn: WorkflowDef, reporter: Reporter, accepts: ActionInputs,
                 container_of: Callable[[str], Any],
                 load: Callable[[Path], WorkflowDef | None]) -> None:
    """Report T406/T407/T408 for every task whose input does not fit its known action;
    ``load`` reads a sub-workflow file (None if it is not a valid one)."""
    children = _Children(Path(defn.file).resolve().parent if defn.file else None, load)
    for name in defn.task_order:
        ref = defn.task(name).action_ref
        if ref is None:
            continue
        spec = children.accepts(ref) if is_workflow_file(ref) else accepts(ref)
        container = container_of(name)
        if spec is None or not isinstance(container, Mapping):
            continue
        given = _given(container, defn.dialect)
        if given is not None:
            _report(reporter, name, ref, spec, given, container)


class _Children:
    """The declared inputs of the sub-workflow files one workflow names, read once each."""

    def __init__(self, base_dir: Path | None,
                 load: Callable[[Path], WorkflowDef | None]) -> None:
        self.base_dir = base_dir
        self.load = load
        self.seen: dict[Path, Accepts | None] = {}

    def accepts(self, ref: str) -> Accepts | None:
        if self.base_dir is None:
            return None  # text without a file: resolved against the caller's directory
        path = (self.base_dir / ref).resolve()
        if path not in self.seen:
            child = self.load(path) if path.is_file() else None
            self.seen[path] = None if child is None else workflow_accepts(child)
        return self.seen[path]


def _given(container: Mapping[str, Any], dialect: Dialect
           ) -> dict[str, tuple[Any, Any, Any, bool]] | None:
    """Input key -> (value, container, key, of_key) where each is written; None if the
    input is one expression (unchecked)."""
    raw = container.get("input")
    if raw is not None and not isinstance(raw, Mapping):
        return None
    given: dict[str, tuple[Any, Any, Any, bool]] = {}
    action = container.get("action")
    if dialect is Dialect.ORQUESTA and isinstance(action, str):
        rest = split_action(action.strip())[1]
        try:
            inline = parse_inline_args(rest) if rest.strip() else {}
        except ValueError:
            inline = {}  # T402 already
        given.update((key, (value, container, "action", False)) for key, value in inline.items())
    for key, value in (raw or {}).items():
        given[key] = (value, raw, key, True)
    return given


def _report(reporter: Reporter, task: str, ref: str, spec: Accepts,
            given: Mapping[Any, tuple[Any, Any, Any, bool]], container: Any) -> None:
    dynamic = any(not isinstance(k, str) or any(m in k for m in _DYNAMIC) for k in given)
    literal = {k: v[0] for k, v in given.items() if isinstance(k, str)
               and not any(m in k for m in _DYNAMIC)}
    problems = spec.problems(literal)
    where = f"tasks.{task}.input"
    if not dynamic:
        for missing in problems.missing:
            reporter.report("T406", f"input {missing!r} is required by {ref!r} (it has no "
                            "default)", container, "action", task=task, path=where)
    names = spec.names or frozenset()
    for key, code, message in _key_problems(ref, problems, names):
        _, holder, at, of_key = given[key]
        reporter.report(code, message, holder, at, task=task, path=f"{where}.{key}",
                        of_key=of_key)


def _key_problems(ref: str, problems: InputProblems, names: frozenset[str]
                  ) -> Iterator[tuple[str, str, str]]:
    for key in problems.reserved:
        yield key, "T407", f"input {key!r} is reserved for the engine's call record"
    for key in problems.unknown:
        hint = closest(key, set(names))
        yield key, "T407", (f"unknown input {key!r} for {ref!r}"
                            + (f" (did you mean {hint!r}?)" if hint else "")
                            + (f"; it takes {', '.join(sorted(names))}"
                               if 0 < len(names) <= 12 else ""))
    for key in problems.immutable:
        yield key, "T408", f"input {key!r} of {ref!r} is immutable (it is always its default)"
