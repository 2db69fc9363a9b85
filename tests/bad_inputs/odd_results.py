"""Actions of the bad-input corpus that return what JSON cannot hold (or can, once converted)."""

from __future__ import annotations

import math
from typing import Any


def an_object() -> Any:
    """An arbitrary object."""
    return object()


def a_set() -> Any:
    """A set: converted to a sorted list."""
    return {3, 1, 2}


def some_bytes() -> Any:
    """Bytes that are not UTF-8."""
    return b"\xff\xfe"


def itself() -> Any:
    """A dict that contains itself."""
    value: dict[str, Any] = {}
    value["me"] = value
    return value


def not_a_number() -> Any:
    """NaN inside a list."""
    return [1.0, math.nan]
