"""Checking a task's numeric fields at load: seconds, counts and concurrency, with bounds.

A field such as ``timeout``, ``delay``, ``retry.count`` or ``with.concurrency`` is a number
or an expression. :func:`numeric_field` refuses, located at the value, what could never work:
a type that is neither (``T103``: a list, a boolean, ``soon``), and a number out of its range
(``T106``: ``concurrency: 0``, ``count: -1``, ``timeout: 0``, a 400-digit timeout, a retry
count of 10^9). A string that holds no expression counts as the number it spells, as it does
at run time.

Misuse: the bounds are the engine's, not the dialect's; a field given as an expression is
checked when it renders (:func:`runtime.machine.fields.number`), not here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from runtime.templating import Node

from .common import compile_or_report
from .report import Reporter

__all__ = [
    "CONCURRENCY",
    "COUNT",
    "MAX_COUNT",
    "MAX_SECONDS",
    "PAUSE",
    "SECONDS",
    "Range",
    "numeric_field",
]

MAX_SECONDS = 31_536_000
"""The longest timeout or delay, in seconds (a year)."""

MAX_COUNT = 10_000
"""The largest retry count."""


@dataclass(frozen=True, slots=True)
class Range:
    """What a field accepts: ``low`` (exclusive when ``open_low``) to ``high``."""

    low: float
    high: float
    open_low: bool = False
    integer: bool = False
    what: str = "a number"

    def problem(self, value: float) -> str | None:
        """Why ``value`` is out of range, or None."""
        if self.integer and value != int(value):
            return f"must be {self.what}, got {value!r}"
        if value < self.low or (self.open_low and value == self.low):
            bound = "more than" if self.open_low else "at least"
            return f"must be {bound} {_fmt(self.low)}"
        if value > self.high:
            return f"must be at most {_fmt(self.high)}"
        return None


SECONDS = Range(0, MAX_SECONDS, open_low=True, what="a number of seconds")
PAUSE = Range(0, MAX_SECONDS, what="a number of seconds")
COUNT = Range(0, MAX_COUNT, integer=True, what="a whole number")
CONCURRENCY = Range(1, 1_000_000, integer=True, what="a whole number")


def numeric_field(reporter: Reporter, container: Any, key: str, bounds: Range, dialect: str,
                  *, task: str, path: str, field: str) -> Node | None:
    """Compile ``container[key]`` (a number or an expression) after checking it; None if bad."""
    value = container.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        reporter.report("T103", f"{field} must be {bounds.what} or an expression", container,
                        key, task=task, path=path)
        return None
    node = compile_or_report(reporter, value, dialect, container, key, task=task, field=field)
    if node is None or not node.constant:
        return node
    number = _as_number(value)
    if number is None:
        reporter.report("T103", f"{field} must be {bounds.what} or an expression, got "
                        f"{_short(value)}", container, key, task=task, path=path)
        return None
    problem = bounds.problem(number)
    if problem is not None:
        reporter.report("T106", f"{field} {problem}", container, key, task=task, path=path)
        return None
    return node


def _as_number(value: int | float | str) -> float | None:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    try:
        number = float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf
    return None if math.isnan(number) else number


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else type(value).__name__
    return repr(text if len(text) <= 40 else text[:40] + "...")


def _fmt(bound: float) -> str:
    return str(int(bound)) if bound == int(bound) else repr(bound)
