"""The work budget of one render: wall time, loop iterations and the size of what it builds.

Renders run in the supervisor (the machine evaluates ``when``, ``publish`` and inputs), so a
render that never ends would freeze an execution, its cancel and Ctrl-C. Every render of a
compiled node runs inside :func:`budget` (a :class:`Budget` in a context variable): the
sandbox's hooks (every call, attribute and item access, operator and loop iteration, see
:mod:`runtime.templating.sandbox`) call :func:`tick`, which fails the render once its wall
time passes ``render_max_ms``; single C-level steps that could run for minutes or take
gigabytes are refused *before* they run, by operand size: :func:`check_binop` (``**``,
``*``, ``+``, ``%`` on huge ints, strings and lists), :func:`check_width` (format widths),
:func:`check_length` (strings and lists a function would build) and regular expressions
get the render's remaining time as their match timeout (:func:`regex_timeout`; the
``regex`` package, whose matcher checks a timeout while backtracking: ``re`` cannot be
interrupted, and bounding input length does not bound backtracking).

The limits are the template fields of :class:`~runtime.limits.Limits`, process-wide
(:func:`template_limits`, from the environment, or :func:`use_limits`). A limit of 0 turns
its guard off. A render past a limit raises :class:`ExpressionError` with ``limit`` set to
the field's name; the node adds the task, the field and the expression.

Misuse: never call a hook outside a render expecting a deadline (outside :func:`budget` only
the size checks apply); never catch :class:`ExpressionError` inside the sandbox to go on.
"""

from __future__ import annotations

import contextvars
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import regex as _regex

from runtime.errors import ExpressionError
from runtime.limits import Limits

__all__ = [
    "Budget",
    "budget",
    "check_binop",
    "check_format",
    "check_length",
    "check_width",
    "enter",
    "guarded_iter",
    "leave",
    "regex_timeout",
    "run_regex",
    "template_limits",
    "tick",
    "use_limits",
]

_LIMITS: list[Limits] = []


def template_limits() -> Limits:
    """The limits renders apply (``Limits.from_env()`` until :func:`use_limits`)."""
    if not _LIMITS:
        _LIMITS.append(Limits.from_env())
    return _LIMITS[0]


def use_limits(limits: Limits) -> Limits:
    """Make renders apply ``limits`` from now on; return the previous ones (tests restore)."""
    previous = template_limits()
    _LIMITS[0] = limits
    return previous


class Budget:
    """What one render may still spend: its deadline and its remaining loop iterations."""

    __slots__ = ("deadline", "iterations", "limits")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        ms = limits.render_max_ms
        self.deadline = time.monotonic() + ms / 1000 if ms else math.inf
        self.iterations = limits.template_max_iterations or -1


_CURRENT: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "troupe_render_budget", default=None)


def enter() -> contextvars.Token[Budget | None] | None:
    """Start a render's budget; the token to give :func:`leave` (None when a render is
    already running: a nested render shares the outer budget)."""
    if _CURRENT.get() is not None:
        return None
    return _CURRENT.set(Budget(template_limits()))


def leave(token: contextvars.Token[Budget | None] | None) -> None:
    """End the budget :func:`enter` started (always call it, in a ``finally``)."""
    if token is not None:
        _CURRENT.reset(token)


@contextmanager
def budget() -> Iterator[Budget]:
    """Run a render within a budget (:func:`enter`/:func:`leave` as a context manager)."""
    token = enter()
    try:
        current = _CURRENT.get()
        assert current is not None
        yield current
    finally:
        leave(token)


def _fail(limit: str, reason: str) -> ExpressionError:
    return ExpressionError(reason, expression="", limit=limit)


def tick() -> None:
    """Fail the current render if its wall time is spent (a no-op outside a render)."""
    current = _CURRENT.get()
    if current is not None and time.monotonic() > current.deadline:
        ms = current.limits.render_max_ms
        raise _fail("render_max_ms", f"the render took longer than the limit of {ms} ms")


def _limits() -> Limits:
    current = _CURRENT.get()
    return current.limits if current is not None else template_limits()


def guarded_iter(values: Iterable[Any]) -> Iterator[Any]:
    """``values`` for a ``{% for %}`` loop: each iteration counted and the deadline checked."""
    current = _CURRENT.get()
    for value in values:
        if current is not None:
            current.iterations -= 1
            if current.iterations == 0:
                cap = current.limits.template_max_iterations
                raise _fail("template_max_iterations",
                            f"the render's loops ran more than the limit of {cap} iterations")
            if time.monotonic() > current.deadline:
                tick()
        yield value


def check_length(size: int, what: Any) -> None:
    """Refuse to build a string (``what`` a str) or list of ``size`` past its limit."""
    limits = _limits()
    if isinstance(what, (str, bytes)):
        cap, name, unit = limits.template_max_chars, "template_max_chars", "characters"
    else:
        cap, name, unit = limits.template_max_items, "template_max_items", "items"
    if cap and size > cap:
        raise _fail(name, f"the result would hold {size} {unit}, over the limit of {cap}")


def _int_bits(value: Any) -> int:
    return abs(value).bit_length() if type(value) is int else 0


def _check_bits(bits: float) -> None:
    cap = _limits().template_max_int_bits
    if cap and bits > cap:
        raise _fail("template_max_int_bits",
                    f"the number would have about {int(bits)} bits, over the limit of {cap}")


def _sized(value: Any) -> bool:
    return isinstance(value, (str, bytes, list, tuple))


def _check_power(left: Any, right: Any) -> None:
    if type(right) is int and right > 0 and type(left) is int and abs(left) > 1:
        _check_bits(right * math.log2(abs(left)))


def _check_times(left: Any, right: Any) -> None:
    if type(left) is int and type(right) is int:
        _check_bits(_int_bits(left) + _int_bits(right))
    elif _sized(left) and type(right) is int:
        check_length(len(left) * max(right, 0), left)
    elif _sized(right) and type(left) is int:
        check_length(len(right) * max(left, 0), right)


def _check_plus(left: Any, right: Any) -> None:
    if _sized(left) and _sized(right):
        check_length(len(left) + len(right), left)


def _check_modulo(left: Any, right: Any) -> None:
    if isinstance(left, str):
        check_format(left)


_BINOPS = {"**": _check_power, "*": _check_times, "+": _check_plus, "%": _check_modulo}
"""Operator -> the check of its operands before it runs (others cost what their operands do)."""


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse ``left operator right`` if its result would pass a size limit."""
    check = _BINOPS.get(operator)
    if check is not None:
        check(left, right)


_NUMBERS = re.compile(r"\d+")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def check_width(spec: str) -> None:
    """Refuse a format spec (``{:>999999999}``'s ``>999999999``) with a width past the limit."""
    cap = _limits().template_max_width
    if not cap:
        return
    for number in _NUMBERS.findall(spec):
        if len(number) > 9 or int(number) > cap:
            raise _fail("template_max_width",
                        f"format width {number} is over the limit of {cap}")


def check_format(template: str) -> None:
    """Refuse a ``%`` format string with a width or precision past the limit, or ``*``."""
    if "%" not in template:
        return
    for match in _PERCENT_SPEC.finditer(template):
        for part in match.groups():
            if part == "*":
                raise _fail("template_max_width", "a '*' format width is not allowed")
            if part:
                check_width(part)


def regex_timeout() -> float | None:
    """Seconds a regular expression may match for: a quarter of the render's remaining time
    (None: no limit). A quarter, because ``regex`` checks its clock between steps of growing
    size and stops up to twice the timeout after its start (measured: 1.9 s for a 1 s
    timeout), more on a loaded machine."""
    current = _CURRENT.get()
    ms = _limits().render_max_ms
    if not ms:
        return None
    if current is None:
        return ms / 4000
    tick()
    return max((current.deadline - time.monotonic()) / 4, 0.001)


def run_regex(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a ``regex`` module function (``regex.search``...) with the render's remaining
    time as its timeout; a timeout or a bad pattern is an :class:`ExpressionError`."""
    try:
        return function(*args, timeout=regex_timeout(), **kwargs)
    except TimeoutError:
        ms = _limits().render_max_ms
        raise _fail("render_max_ms",
                    f"the regular expression ran past the render's limit of {ms} ms") from None
    except _regex.error as exc:
        raise ExpressionError(f"bad regular expression: {exc}", expression="") from None
