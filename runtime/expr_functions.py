"""Functions that workflow expressions can call.

Orquesta's catalogue (``ctx``, ``result``, ``item``, ``succeeded``, ``failed``, ``completed``,
``timed_out``, ``task_status``, ``json``, ``zip``) reads the evaluation :class:`Scope` that the
engine passes with every render. Attune's call-style helpers (``length``, ``keys``, ``lower``...)
are plain functions of their arguments.

Misuse: these functions must stay side-effect free (the same expression may be evaluated in
validation, in the engine and in replays) and must never mutate what they are given.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from itertools import zip_longest
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from pyrsistent import PMap, PVector, pmap

from runtime.errors import ExpressionError
from runtime.templating import SCOPE_KEY, Scope
from runtime.values import freeze, thaw

__all__ = ["ATTUNE_GLOBALS", "ORQUESTA_GLOBALS", "json_"]

_ABSENT = object()
_COMPLETED = frozenset({"succeeded", "failed", "timed_out", "canceled", "expired", "abandoned"})


def _scope(context: Context) -> Scope:
    scope = context.parent.get(SCOPE_KEY)
    if scope is None:
        raise ExpressionError("no evaluation scope", expression="")
    return scope


@pass_context
def ctx(context: Context, name: Any = _ABSENT) -> Any:
    """Return the whole visible context, or the variable ``name``."""
    scope = _scope(context)
    if name is _ABSENT:
        return scope.ctx
    if not isinstance(name, str):
        raise ExpressionError(f"ctx() takes a variable name, got {name!r}", expression="")
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


# ---- Attune call-style builtins --------------------------------------------------------


def _length(v: Any) -> int:
    return len(v)


def _keys(v: Mapping[Any, Any]) -> Any:
    return freeze(list(v.keys()))


def _values(v: Mapping[Any, Any]) -> Any:
    return freeze(list(v.values()))


def _type_of(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (Mapping, PMap)):
        return "object"
    return "array"


def _string(v: Any) -> str:
    if isinstance(v, str):
        return v
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (PMap, PVector, dict, list, tuple)):
        return json.dumps(thaw(v))
    return str(v)


def _number(v: Any) -> float | int:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    text = str(v)
    return int(text) if re.fullmatch(r"[-+]?\d+", text.strip()) else float(text)


def _contains(container: Any, needle: Any) -> bool:
    return needle in container


def _flat(v: Iterable[Any]) -> Any:
    out: list[Any] = []
    for x in v:
        if isinstance(x, (list, tuple, PVector)):
            out.extend(x)
        else:
            out.append(x)
    return freeze(out)


def _unique(v: Iterable[Any]) -> Any:
    out: list[Any] = []
    for x in v:
        if x not in out:
            out.append(x)
    return freeze(out)


def _merge(*maps: Mapping[Any, Any]) -> Any:
    merged: PMap = pmap()
    for m in maps:
        merged = merged.update(freeze(m))
    return merged


def _chunks(v: Any, size: int) -> Any:
    seq = list(v)
    return freeze([seq[i : i + size] for i in range(0, len(seq), size)])


def _index_of(v: Any, needle: Any) -> int:
    try:
        return list(v).index(needle) if not isinstance(v, str) else v.index(needle)
    except ValueError:
        return -1


def _slice(v: Any, start: int, end: int | None = None) -> Any:
    return freeze(v[start:end]) if not isinstance(v, PVector) else freeze(list(v)[start:end])


def _attune_zip(*lists: Iterable[Any]) -> Any:
    return freeze([list(t) for t in zip(*lists, strict=False)])


def _range(*args: int) -> Any:
    return freeze(list(range(*args)))


ATTUNE_GLOBALS: dict[str, Any] = {
    "result": result,
    "succeeded": succeeded,
    "failed": failed,
    "timed_out": timed_out,
    "completed": completed,
    "cancelled": cancelled,
    "null": None,
    "true": True,
    "false": False,
    "length": _length,
    "keys": _keys,
    "values": _values,
    "type_of": _type_of,
    "string": _string,
    "number": _number,
    "int": lambda v: int(float(v)) if isinstance(v, str) else int(v),
    "bool": bool,
    "abs": abs,
    "floor": math.floor,
    "ceil": math.ceil,
    "round": round,
    "min": lambda *a: min(a[0]) if len(a) == 1 else min(a),
    "max": lambda *a: max(a[0]) if len(a) == 1 else max(a),
    "sum": sum,
    "lower": lambda s: s.lower(),
    "upper": lambda s: s.upper(),
    "trim": lambda s: s.strip(),
    "split": lambda s, sep: freeze(s.split(sep)),
    "join": lambda v, sep: sep.join(_string(x) for x in v),
    "replace": lambda s, old, new: s.replace(old, new),
    "starts_with": lambda s, p: s.startswith(p),
    "ends_with": lambda s, p: s.endswith(p),
    "match": lambda s, pattern: re.search(pattern, s) is not None,
    "contains": _contains,
    "reversed": lambda v: v[::-1] if isinstance(v, str) else freeze(list(v)[::-1]),
    "sort": lambda v: freeze(sorted(v)),
    "unique": _unique,
    "flat": _flat,
    "zip": _attune_zip,
    "range": _range,
    "slice": _slice,
    "index_of": _index_of,
    "count": lambda v, x: list(v).count(x),
    "merge": _merge,
    "chunks": _chunks,
}
