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
from typing import Any

from pyrsistent import PMap, PSet, PVector, pmap, pset, pvector
from pyrsistent import freeze as _freeze
from pyrsistent import thaw as _thaw

__all__ = ["freeze", "is_frozen_container", "json_default", "thaw", "to_json"]


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
