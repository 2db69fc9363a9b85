"""The functions of Orquesta expressions, which read the evaluation scope.

Orquesta's catalogue (``ctx``, ``result``, ``item``, ``succeeded``, ``failed``, ``completed``,
``timed_out``, ``task_status``, ``json``, ``zip``) reads the evaluation :class:`Scope` that the
engine passes with every render. Attune's transition tests (``succeeded()``...) are the same
functions. A function that fails raises :class:`ExpressionError` (the node fills in where).

Misuse: these functions must stay side-effect free (the same expression may be evaluated in
validation, in the engine and in replays) and must never mutate what they are given.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from itertools import zip_longest
from typing import Any, cast

from jinja2 import pass_context
from jinja2.runtime import Context
from pyrsistent import PVector

from runtime.errors import ExpressionError
from runtime.templating.data import type_name
from runtime.templating.scope import SCOPE_KEY, Scope
from runtime.values import freeze

__all__ = ["ORQUESTA_GLOBALS", "completed", "failed", "json_", "result", "succeeded",
           "timed_out"]

_ABSENT = object()
_COMPLETED = frozenset({"succeeded", "failed", "timed_out", "canceled", "expired", "abandoned"})


def _scope(context: Context) -> Scope:
    scope = context.parent.get(SCOPE_KEY)
    if scope is None:
        raise ExpressionError("no evaluation scope", expression="")
    return cast(Scope, scope)


@pass_context
def ctx(context: Context, name: Any = _ABSENT) -> Any:
    """Return the whole visible context, or the variable ``name``."""
    scope = _scope(context)
    if name is _ABSENT:
        return scope.ctx
    if not isinstance(name, str):
        raise ExpressionError(
            f"ctx() takes a variable name (a string), got {type_name(name)}", expression="")
    if name.startswith("__"):
        raise ExpressionError(f"variable {name!r} is private", expression="")
    try:
        return scope.ctx[name]
    except KeyError:
        raise ExpressionError(f"variable {name!r} is not defined", expression="") from None


@pass_context
def result(context: Context) -> Any:
    """Return the current task's result (a with-items task: the list of item results)."""
    scope = _scope(context)
    if not scope.has_result:
        raise ExpressionError("result() is only available after the task ran", expression="")
    return scope.result


@pass_context
def item(context: Context, key: Any = _ABSENT) -> Any:
    """Return the current with-items item, or its field ``key``."""
    scope = _scope(context)
    if not scope.has_item:
        raise ExpressionError("item() is only available in a with-items task", expression="")
    if key is _ABSENT:
        return scope.item
    try:
        return scope.item[key]
    except (KeyError, TypeError, IndexError):
        raise ExpressionError(f"item has no field {key!r}", expression="") from None


@pass_context
def succeeded(context: Context) -> bool:
    """Tell whether the current task succeeded."""
    return _scope(context).status == "succeeded"


@pass_context
def failed(context: Context) -> bool:
    """Tell whether the current task failed (Orquesta: a timeout counts as failed)."""
    scope = _scope(context)
    if scope.status == "failed":
        return True
    return scope.failed_includes_timeout and scope.status == "timed_out"


@pass_context
def timed_out(context: Context) -> bool:
    """Tell whether the current task timed out."""
    return _scope(context).status == "timed_out"


@pass_context
def completed(context: Context) -> bool:
    """Tell whether the current task reached any completed status."""
    return _scope(context).status in _COMPLETED


@pass_context
def cancelled(context: Context) -> bool:
    """Tell whether the current task was canceled."""
    return _scope(context).status == "canceled"


@pass_context
def task_status(context: Context, name: str) -> str:
    """Return the status of task ``name`` on the current route, or ``"null"`` if unknown."""
    scope = _scope(context)
    if scope.task_statuses is None:
        return "null"
    return scope.task_statuses(name)


def json_(value: Any) -> Any:
    """Parse a JSON string (a mapping or list passes through)."""
    if isinstance(value, (Mapping, PVector, list)):
        return value
    try:
        return freeze(json.loads(value))
    except (TypeError, ValueError) as exc:
        raise ExpressionError(f"json(): {exc}", expression="") from None


def zip_(*lists: Iterable[Any], pad: Any = None) -> Any:
    """``itertools.zip_longest`` as a list of lists; one argument is returned unchanged."""
    if len(lists) == 1:
        return lists[0]
    return freeze([list(t) for t in zip_longest(*lists, fillvalue=pad)])


ORQUESTA_GLOBALS: dict[str, Any] = {
    "ctx": ctx,
    "result": result,
    "item": item,
    "succeeded": succeeded,
    "failed": failed,
    "completed": completed,
    "timed_out": timed_out,
    "cancelled": cancelled,
    "task_status": task_status,
    "json": json_,
    "zip": zip_,
}
