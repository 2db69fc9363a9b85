"""Static check of the filters, tests and functions a template calls.

:func:`unknown_callables` parses a template and names every filter (``x | nope``), test
(``x is nope``) and called bare function (``nope(x)``) that the dialect's sandbox does not
register, so the loaders report them at load time (T304) instead of a generic syntax error
or a run-time ``'nope' is undefined``. Names the template binds itself (``{% set %}``,
``{% for %}`` targets, macros) are not functions. In Attune a bare name may be a workflow
variable, known only at run time, so called names are not checked there (filters and tests
are: they cannot be variables).

Misuse: the check is syntactic: ``ctx().f()`` or ``(f)(x)`` are not seen.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import jinja2
import jinja2.nodes as jn

from runtime.records import record
from runtime.templating.sandbox import environment

__all__ = ["UnknownCallable", "template_strings", "unknown_callables"]

_CHECKS_CALLS = frozenset({"orquesta"})
"""Dialects whose bare called names can only be functions (Orquesta reads data by ctx())."""

_IMPLICIT = frozenset({"caller", "loop", "super", "varargs", "kwargs", "self"})


@record
class UnknownCallable:
    """A name a template calls that its dialect does not define."""

    kind: str  # "filter", "test" or "function"
    name: str
    line: int  # 1-based, within the template


def _bound_names(tree: jn.Template) -> set[str]:
    names = {n.name for n in tree.find_all(jn.Name) if n.ctx in ("store", "param")}
    names |= {m.name for m in tree.find_all(jn.Macro)}
    return names | _IMPLICIT


@functools.lru_cache(maxsize=4096)
def unknown_callables(source: str, dialect: str) -> tuple[UnknownCallable, ...]:
    """The filters, tests and functions ``source`` uses that ``dialect`` does not define.

    A template that does not parse yields nothing (its syntax error is reported elsewhere).
    Cached: a workflow validated again (each ``start_workflow``) parses its templates once.
    """
    env = environment(dialect)
    try:
        tree = env.parse(source)
    except jinja2.TemplateSyntaxError:
        return ()
    found: list[UnknownCallable] = []
    for node in tree.find_all((jn.Filter, jn.Test)):
        kind, known = ("filter", env.filters) if isinstance(node, jn.Filter) else (
            "test", env.tests)
        if node.name not in known:
            found.append(UnknownCallable(kind=kind, name=node.name, line=node.lineno))
    if dialect not in _CHECKS_CALLS:
        return tuple(sorted(found, key=lambda u: (u.line, u.kind, u.name)))
    bound = _bound_names(tree)
    for call in tree.find_all(jn.Call):
        callee = call.node
        if isinstance(callee, jn.Name) and callee.name not in env.globals and (
                callee.name not in bound):
            found.append(UnknownCallable(kind="function", name=callee.name, line=call.lineno))
    return tuple(sorted(found, key=lambda u: (u.line, u.kind, u.name)))


def template_strings(value: Any, container: Any = None, key: Any = None, suffix: str = ""
                     ) -> Iterator[tuple[Any, Any, str, str]]:
    """Yield ``(container, key, suffix, source)`` for each string of a value holding Jinja.

    ``container[key]`` is the string's place inside ``value`` (None, None for ``value``
    itself) and ``suffix`` its path below ``value`` (``.a[0]``), so that diagnostics point
    at the string rather than at the value that holds it.
    """
    if isinstance(value, str):
        if "{{" in value or "{%" in value or "{#" in value:
            yield container, key, suffix, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from template_strings(name, value, name, f"{suffix}.{name}")
            yield from template_strings(item, value, name, f"{suffix}.{name}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from template_strings(item, value, index, f"{suffix}[{index}]")
