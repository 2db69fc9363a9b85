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

from pyrsistent import PMap, PSet, PVector, freeze as _freeze, thaw as _thaw

__all__ = ["freeze", "is_frozen_container", "json_default", "thaw", "to_json"]


def freeze(value: Any) -> Any:
    """Return ``value`` as immutable data; pyrsistent containers pass through unchanged."""
    return _freeze(value, strict=False)


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
