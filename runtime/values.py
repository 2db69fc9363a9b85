"""Immutable data at the engine's edges: freeze on the way in, thaw on the way out.

Everything the engine keeps (inputs, published values, action results, items) is frozen
once with :func:`freeze` into pyrsistent containers, so handing it to another actor shares
it safely and never copies. :func:`thaw` turns it back into plain dicts and lists for users
(outputs, action inputs, JSON).

Misuse: do not freeze the same value again on every use (freezing is O(size) for plain
containers; already-frozen values pass through in O(1)); do not mutate what thaw returned
expecting the engine to see it.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pyrsistent import PMap, PSet, PVector, pmap, pset, pvector
from pyrsistent import freeze as _freeze
from pyrsistent import thaw as _thaw

__all__ = ["NotJson", "freeze", "is_frozen_container", "json_data", "json_default", "thaw",
           "to_json"]


def freeze(value: Any) -> Any:
    """Return ``value`` as immutable data; pyrsistent containers pass through unchanged.

    Unlike ``pyrsistent.freeze`` this also freezes subclasses of ``dict`` and ``list`` (the
    YAML loader's marked containers, ``OrderedDict``...), which would otherwise stay shared
    and mutable.
    """
    kind = type(value)
    if kind in _SCALARS or kind in _FROZEN:
        return value
    if (kind is dict or kind is list) and _all_plain(value):
        frozen: Any = _freeze(value, strict=False)  # type: ignore[call-overload]
        return frozen
    if isinstance(value, dict):
        return pmap({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return pvector([freeze(v) for v in value])
    if isinstance(value, tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return pset(freeze(v) for v in value)
    return value


_SCALARS: frozenset[type] = frozenset({str, int, float, bool, type(None), bytes})
_FROZEN: frozenset[type] = frozenset({type(pmap()), type(pvector()), type(pset())})


def _all_plain(value: Any) -> bool:
    """Tell whether nested containers are all exact dicts/lists (pyrsistent can freeze them)."""
    stack = [value]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is dict:
            stack.extend(current.values())
        elif kind is list or kind is tuple:
            stack.extend(current)
        elif isinstance(current, (dict, list, set)):
            return False
    return True


def thaw(value: Any) -> Any:
    """Return ``value`` as plain Python data (dicts, lists)."""
    if isinstance(value, (PMap, PVector, PSet, dict, list, tuple)):
        return _thaw(value)
    return value


def is_frozen_container(value: Any) -> bool:
    """Tell whether ``value`` is a pyrsistent map, vector or set."""
    return isinstance(value, (PMap, PVector, PSet))


def json_default(value: Any) -> Any:
    """``json.dumps`` hook that serialises pyrsistent containers and other odd values."""
    if isinstance(value, PMap):
        return dict(value.items())
    if isinstance(value, (PVector, PSet, tuple, set, frozenset)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return repr(value)


def to_json(value: Any, **kwargs: Any) -> str:
    """Serialise frozen or plain data as JSON."""
    return json.dumps(value, default=json_default, **kwargs)


class NotJson(ValueError):
    """A value JSON cannot hold: ``path`` says where in it (``$.a[2]``), ``reason`` what."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


_JSON_DEPTH = 100
_LEAVES: frozenset[type] = frozenset({str, int, bool, type(None)})


def json_data(value: Any) -> Any:
    """``value`` as plain JSON data, or :class:`NotJson` (the action-result boundary).

    Mappings and sequences (plain, frozen, tuples) become dicts and lists, sets sorted lists
    when their items sort, bytes text when they are UTF-8, keys that are scalars strings (as
    ``json.dumps`` writes them). Refused: NaN and infinities, undecodable bytes, a container
    that contains itself, nesting deeper than 100, and any other type. Iterative and linear in
    the value's size; an already plain value is still walked once (the check is the point).
    """
    out: list[Any] = []
    stack: list[tuple[Any, str, list[Any] | dict[str, Any] | None, Any, frozenset[int]]] = [
        (value, "$", None, None, frozenset())]
    while stack:
        current, path, parent, slot, above = stack.pop()
        converted, children = _one(current, path, above)
        if parent is None:
            out.append(converted)
        elif isinstance(parent, list):
            parent[slot] = converted
        else:
            parent[slot] = converted
        if children:
            inner = above | {id(current)}
            if len(inner) > _JSON_DEPTH:
                raise NotJson(path, f"nested deeper than {_JSON_DEPTH}")
            stack.extend((child, at, converted, key, inner) for key, at, child in children)
    return out[0]


def _one(value: Any, path: str, above: frozenset[int]) -> tuple[Any, list[Any]]:
    """One node converted (containers empty, to be filled) and its children to visit."""
    kind = type(value)
    if kind in _LEAVES:
        if kind is int and value.bit_length() > 13_000:  # past ~4,000 digits: str() refuses
            raise NotJson(path, f"an integer of {value.bit_length()} bits is too large")
        return value, []
    if kind is float:
        if not math.isfinite(value):
            raise NotJson(path, f"{value!r} is not a JSON number")
        return value, []
    if id(value) in above:
        raise NotJson(path, "the value contains itself")
    if isinstance(value, (dict, PMap)):
        result: dict[str, Any] = {}
        children = []
        for key, item in value.items():
            name = _key(key, path)
            result[name] = None
            children.append((name, f"{path}.{name}", item))
        return result, children
    if isinstance(value, (list, tuple, PVector, set, frozenset, PSet)):
        items = list(value)
        if isinstance(value, (set, frozenset, PSet)):
            try:
                items.sort()
            except TypeError:
                pass
        return [None] * len(items), [(i, f"{path}[{i}]", v) for i, v in enumerate(items)]
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8"), []
        except UnicodeDecodeError:
            raise NotJson(path, "bytes that are not UTF-8 text") from None
    if isinstance(value, (str, int, float)):  # subclasses: str/bool enums, IntEnum...
        return _one(_base(value), path, above)
    raise NotJson(path, f"a {kind.__name__} is not JSON data")


def _base(value: str | int | float) -> str | int | float:
    if isinstance(value, str):
        return str.__str__(value)  # the characters, not the subclass's __str__ (Enum)
    if isinstance(value, bool):
        return bool(value)
    return int(value) if isinstance(value, int) else float(value)


def _key(key: Any, path: str) -> str:
    if isinstance(key, str):
        return str(key)
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, (int, float)) and math.isfinite(key):
        return repr(int(key)) if isinstance(key, int) else repr(key)
    raise NotJson(path, f"a key of type {type(key).__name__} is not a JSON key")
