"""The call-style helpers of Attune expressions (``length``, ``keys``, ``lower``...).

They are plain functions of their arguments (no scope), plus the transition tests shared
with Orquesta (``succeeded()``...). Results are frozen data; a sequence a helper builds is at
most :data:`runtime.templating.data.MAX_ITEMS` long.

Misuse: these functions must stay side-effect free (the same expression may be evaluated in
validation, in the engine and in replays) and must never mutate what they are given.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import jinja2
import regex
from pyrsistent import PMap, PVector, pmap

from runtime.templating import guarded_jinja
from runtime.templating.data import lazy_range
from runtime.templating.guards import run_regex
from runtime.templating.orquesta_functions import (
    cancelled,
    completed,
    failed,
    result,
    succeeded,
    timed_out,
)
from runtime.values import freeze, thaw

__all__ = ["ATTUNE_GLOBALS"]


def _length(v: Any) -> int:
    return len(v)


def _keys(v: Mapping[Any, Any]) -> Any:
    return freeze(list(v.keys()))


def _values(v: Mapping[Any, Any]) -> Any:
    return freeze(list(v.values()))


_JSON_TYPES: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    dict: "object",
    type(pmap()): "object",
}


def _type_of(v: Any) -> str:
    if isinstance(v, jinja2.Undefined):
        v._fail_with_undefined_error()
    for kind in type(v).__mro__:
        name = _JSON_TYPES.get(kind)
        if name is not None:
            return name
    return "object" if isinstance(v, Mapping) else "array"


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
    merged: PMap[Any, Any] = pmap()
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


def _replace(s: str, old: str, new: str) -> str:
    guarded_jinja.check_method(s.replace, (old, new))
    return s.replace(old, new)


def _match(s: str, pattern: str) -> bool:
    return run_regex(regex.search, pattern, s) is not None


def _int(v: Any) -> int:
    return int(float(v)) if isinstance(v, str) else int(v)


def _min(*args: Any) -> Any:
    return min(args[0]) if len(args) == 1 else min(args)


def _max(*args: Any) -> Any:
    return max(args[0]) if len(args) == 1 else max(args)


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
    "int": _int,
    "bool": bool,
    "abs": abs,
    "floor": math.floor,
    "ceil": math.ceil,
    "round": round,
    "min": _min,
    "max": _max,
    "sum": sum,
    "lower": lambda s: s.lower(),
    "upper": lambda s: s.upper(),
    "trim": lambda s: s.strip(),
    "split": lambda s, sep: freeze(s.split(sep)),
    "join": lambda v, sep: sep.join(_string(x) for x in v),
    "replace": _replace,
    "starts_with": lambda s, p: s.startswith(p),
    "ends_with": lambda s, p: s.endswith(p),
    "match": _match,
    "contains": _contains,
    "reversed": lambda v: v[::-1] if isinstance(v, str) else freeze(list(v)[::-1]),
    "sort": lambda v: freeze(sorted(v)),
    "unique": _unique,
    "flat": _flat,
    "zip": _attune_zip,
    "range": lazy_range,
    "slice": _slice,
    "index_of": _index_of,
    "count": lambda v, x: list(v).count(x),
    "merge": _merge,
    "chunks": _chunks,
}
