"""The guarded YAQL functions: yaql's own that could freeze a render, replaced.

yaql's limits (``limitIterators``, ``memoryQuota``, :mod:`runtime.templating.yaql_expr`)
bound the collections an expression builds, not arithmetic or matching: ``pow(10,
1000000000)`` and ``10000000000 * ...`` compute for minutes, ``range(1000000000).len()``
iterates a billion items, and yaql's regex library runs Python's ``re`` (catastrophic
backtracking cannot be interrupted). :func:`register` puts, in a layer between yaql's
standard library and each evaluation, ``pow`` and integer ``*`` checked by operand size
(:func:`runtime.templating.guards.check_binop`), a ``range`` that checks the render's
deadline as it goes (so ``range(1000000000).len()`` ends at ``render_max_ms``), and
string matching (``=~``, ``!~``, ``string.matches(pattern)``) through the
``regex`` package with the render's remaining time as its timeout. The rest of yaql's regex
library (``regex()`` objects, ``search``, ``split`` by pattern...) is not offered: the
root context is built with ``regex=False``.

Misuse: register these on a context that is a child of the standard library's (a function
registered beside its namesake makes an ambiguous overload); never register yaql's regex
library again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import regex
from yaql.language import contexts, specs, yaqltypes

from runtime.templating import guards

__all__ = ["register"]


def _pow(a: Any, b: Any, c: Any = None) -> Any:
    guards.check_binop("**", a, b)
    return pow(a, b) if c is None else pow(a, b, c)


def _times(left: int, right: int) -> int:
    guards.check_binop("*", left, right)
    return left * right


def _ticking(span: range) -> Iterator[int]:
    for index, value in enumerate(span):
        if not index & 4095:
            guards.tick()
        yield value


def _range(stop: int) -> Iterator[int]:
    return _ticking(range(stop))


def _range_from(start: int, stop: int, step: int = 1) -> Iterator[int]:
    return _ticking(range(start, stop, step))


def _matches(string: str, pattern: str) -> bool:
    return guards.run_regex(regex.search, pattern, string) is not None


def _matches_operator(string: str, pattern: str) -> bool:
    return _matches(string, pattern)


def _not_matches(string: str, pattern: str) -> bool:
    return not _matches(string, pattern)


def _declare(function: Callable[..., Any], name: str, params: tuple[tuple[str, Any], ...] = (),
             *, method: bool = False) -> Any:
    """``function`` with yaql's declarations, as its decorators would stack them (yaql keeps
    them on the function object: declare each function once)."""
    declared: Any = specs.name(name)(function)
    if method:
        declared = specs.method(declared)
    for param, kind in reversed(params):
        declared = specs.parameter(param, kind)(declared)
    return declared


def _strings() -> tuple[tuple[str, Any], ...]:
    return (("string", yaqltypes.String()), ("pattern", yaqltypes.String()))


def _guarded() -> list[Any]:
    ints = (("left", int), ("right", int))
    return [
        _declare(_pow, "pow"),
        _declare(_times, "#operator_*", ints),
        _declare(_range, "range", (("stop", int),)),
        _declare(_range_from, "range", (("start", int), ("stop", int), ("step", int))),
        _declare(_matches_operator, "#operator_=~", _strings()),
        _declare(_not_matches, "#operator_!~", _strings()),
        _declare(_matches, "matches", _strings(), method=True),
    ]


_GUARDED = _guarded()


def register(context: contexts.ContextBase) -> None:
    """Register the guarded functions on ``context`` (a child of the standard library's)."""
    for function in _GUARDED:
        context.register_function(function)
