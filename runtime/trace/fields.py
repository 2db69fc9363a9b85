"""Defensive reads of a trace line's fields: the value if it has the expected JSON type.

A trace may come from an older or newer engine, or be damaged by hand: a reader takes each
field through these helpers and gets ``None`` (or ``()``) for a missing or mistyped value
instead of an exception. ``bool`` is not a number here (JSON ``true`` is not a count).

Misuse: do not use them on values the engine itself produced in memory (they hide bugs
there); do not use :func:`as_str` where a missing value must stay distinguishable from
the string ``"None"`` in output (it returns ``None`` for ``None``, ``str(v)`` otherwise).
"""

from __future__ import annotations

from typing import Any

__all__ = ["as_float", "as_int", "as_str", "as_strs"]


def as_int(value: Any) -> int | None:
    """An int (a float is truncated), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def as_float(value: Any) -> float | None:
    """A float, else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def as_str(value: Any) -> str | None:
    """``str(value)``, or ``None`` for ``None``."""
    return None if value is None else str(value)


def as_strs(value: Any) -> tuple[str, ...]:
    """The items of a list as strings, else ``()``."""
    if not isinstance(value, list | tuple):
        return ()
    return tuple(str(v) for v in value)
