"""The functions of Orquesta expressions, which read the evaluation scope.

Orquesta's catalogue (``ctx``, ``result``, ``item``, ``succeeded``, ``failed``,
``completed``, ``timed_out``, ``task_status``, ``json``, ``zip``, and StackStorm's ``task``,
``st2kv`` and ``decrypt_kv``)
reads the evaluation :class:`Scope` that the engine passes with every render. Each
function's logic is a plain function of the scope (``read_ctx``, ``is_failed``...), shared
by the Jinja globals here and the YAQL functions of
:mod:`~runtime.templating.yaql_functions`. Attune's transition tests (``succeeded()``...)
are the same functions. A function that fails raises :class:`ExpressionError` (the node
fills in where).

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
from runtime.kv.snapshot import EMPTY_KV, decrypt_value
from runtime.kv.snapshot import lookup as kv_lookup
from runtime.templating.data import type_name
from runtime.templating.scope import SCOPE_KEY, Scope
from runtime.values import freeze

__all__ = ["ABSENT", "ORQUESTA_GLOBALS", "completed", "failed", "is_cancelled", "is_completed",
           "is_failed", "is_succeeded", "is_timed_out", "json_", "read_ctx", "read_item",
           "read_result", "read_task", "read_task_status", "result", "succeeded", "timed_out",
           "zip_"]

ABSENT = object()
"""The default of optional arguments (``ctx()`` with no name), told apart from ``None``."""
_ABSENT = ABSENT
_COMPLETED = frozenset({"succeeded", "failed", "timed_out", "canceled", "expired", "abandoned"})


def _scope(context: Context) -> Scope:
    scope = context.parent.get(SCOPE_KEY)
    if scope is None:
        raise ExpressionError("no evaluation scope", expression="")
    return cast(Scope, scope)


def read_ctx(scope: Scope, name: Any = _ABSENT) -> Any:
    """Return the whole visible context, or the variable ``name`` (``ctx()`` in both languages)."""
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


def read_result(scope: Scope) -> Any:
    """Return the current task's result (a with-items task: the list of item results)."""
    if not scope.has_result:
        raise ExpressionError("result() is only available after the task ran", expression="")
    return scope.result


def read_item(scope: Scope, key: Any = _ABSENT) -> Any:
    """Return the current with-items item, or its field ``key``."""
    if not scope.has_item:
        raise ExpressionError("item() is only available in a with-items task", expression="")
    if key is _ABSENT:
        return scope.item
    try:
        return scope.item[key]
    except (KeyError, TypeError, IndexError):
        raise ExpressionError(f"item has no field {key!r}", expression="") from None


def is_succeeded(scope: Scope) -> bool:
    """Tell whether the current task succeeded."""
    return scope.status == "succeeded"


def is_failed(scope: Scope) -> bool:
    """Tell whether the current task failed (Orquesta: a timeout counts as failed)."""
    if scope.status == "failed":
        return True
    return scope.failed_includes_timeout and scope.status == "timed_out"


def is_timed_out(scope: Scope) -> bool:
    """Tell whether the current task timed out."""
    return scope.status == "timed_out"


def is_completed(scope: Scope) -> bool:
    """Tell whether the current task reached any completed status."""
    return scope.status in _COMPLETED


def is_cancelled(scope: Scope) -> bool:
    """Tell whether the current task was canceled."""
    return scope.status == "canceled"


def read_task_status(scope: Scope, name: str) -> str:
    """Return the status of task ``name`` on the current route, or ``"null"`` if unknown."""
    if scope.task_statuses is None:
        return "null"
    return scope.task_statuses(name)


@pass_context
def ctx(context: Context, name: Any = _ABSENT) -> Any:
    """Return the whole visible context, or the variable ``name``."""
    return read_ctx(_scope(context), name)


@pass_context
def result(context: Context) -> Any:
    """Return the current task's result (a with-items task: the list of item results)."""
    return read_result(_scope(context))


@pass_context
def item(context: Context, key: Any = _ABSENT) -> Any:
    """Return the current with-items item, or its field ``key``."""
    return read_item(_scope(context), key)


@pass_context
def succeeded(context: Context) -> bool:
    """Tell whether the current task succeeded."""
    return is_succeeded(_scope(context))


@pass_context
def failed(context: Context) -> bool:
    """Tell whether the current task failed (Orquesta: a timeout counts as failed)."""
    return is_failed(_scope(context))


@pass_context
def timed_out(context: Context) -> bool:
    """Tell whether the current task timed out."""
    return is_timed_out(_scope(context))


@pass_context
def completed(context: Context) -> bool:
    """Tell whether the current task reached any completed status."""
    return is_completed(_scope(context))


@pass_context
def cancelled(context: Context) -> bool:
    """Tell whether the current task was canceled."""
    return is_cancelled(_scope(context))


@pass_context
def task(context: Context, name: Any = _ABSENT, route: Any = None) -> Any:
    """StackStorm's ``task(name)`` (``task()``: the current task), with ``.result``, ``.status``;
    ``task(name, route=N)`` is its run on route ``N``."""
    return read_task(_scope(context), name, route)


@pass_context
def task_status(context: Context, name: str) -> str:
    """Return the status of task ``name`` on the current route, or ``"null"`` if unknown."""
    return read_task_status(_scope(context), name)


def read_task(scope: Scope, name: Any = _ABSENT, route: Any = None) -> Any:
    """StackStorm's ``task(name)``: the record of task ``name``'s latest run on the route.

    ``task()`` is the current task; while the current task's result is being evaluated
    (``publish``, ``when``) its record carries that result and status. Fields: those of
    st2 (``result``, ``status``, ``task_id``, ``task_name``, ``route``, ``task_execution_id``,
    ``workflow_execution_id``, ``start_timestamp``, ``end_timestamp``). ``route`` names
    another route than the current one (st2's ``task(name, route=N)``).
    """
    current = (name is _ABSENT or name is None or name == scope.task) and route is None
    target = scope.task if name is _ABSENT or name is None else name
    if not isinstance(target, str):
        raise ExpressionError("task() takes a task name (a string), got "
                              f"{type_name(target)}", expression="")
    if route is not None and (isinstance(route, bool) or not isinstance(route, int)
                              or route < 0):
        raise ExpressionError(f"task() route must be a route number, got {route!r}",
                              expression="")
    record = None
    if scope.task_runs is not None:
        record = scope.task_runs(target) if route is None else \
            scope.task_runs(target, route=route)
    if record is None:
        raise ExpressionError(f"unable to find task execution for {target!r}",
                              expression="")
    if current and scope.has_result:
        if not _items_of(record.get("result"), scope.result):  # with-items keeps st2's shape
            record = record.set("result", scope.result)
        if scope.status is not None:
            record = record.set("status", scope.status)
    return record


def _items_of(record_result: Any, result: Any) -> bool:
    """Tell whether ``record_result`` is the ``{items: [{status, result}]}`` form of the
    with-items ``result`` (the list of item results) the current scope evaluates."""
    if not isinstance(record_result, Mapping) or set(record_result) != {"items"}:
        return False
    entries = record_result["items"]
    if not isinstance(result, (list, tuple, PVector)) or len(entries) != len(result):
        return False
    return all(isinstance(entry, Mapping) and entry.get("result") == item
               for entry, item in zip(entries, result, strict=True))


def read_kv(scope: Scope, name: Any, decrypt: Any = False, **options: Any) -> Any:
    """StackStorm's ``st2kv(name, decrypt=false[, default=...])`` over the execution's
    key-value snapshot (:func:`runtime.kv.snapshot.lookup`)."""
    unknown = sorted(set(options) - {"default"})
    if unknown:
        raise ExpressionError(f"st2kv() takes no argument {unknown[0]!r}", expression="")
    return kv_lookup(scope.kv or EMPTY_KV, name, decrypt=decrypt, **options)


def read_decrypted(scope: Scope, value: Any) -> str:
    """StackStorm's ``decrypt_kv``: the value an encrypted datastore value holds."""
    return decrypt_value(scope.kv or EMPTY_KV, value)


@pass_context
def st2kv(context: Context, name: Any, decrypt: Any = False, **options: Any) -> Any:
    """Return the value of datastore key ``name`` (``system.K``, ``user.K`` or ``K``)."""
    return read_kv(_scope(context), name, decrypt, **options)


@pass_context
def decrypt_kv(context: Context, value: Any) -> str:
    """Return what an encrypted datastore value holds (a filter: ``x | decrypt_kv``)."""
    return read_decrypted(_scope(context), value)


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
    "task": task,
    "st2kv": st2kv,
    "decrypt_kv": decrypt_kv,
    "json": json_,
    "zip": zip_,
}
