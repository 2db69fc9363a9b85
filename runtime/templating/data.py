"""What an expression may yield: the boundary between Jinja values and engine data.

An expression's value leaves Jinja through :func:`to_data`, which returns frozen data: a
jinja2 ``Undefined`` raises :class:`ExpressionError` (StrictUndefined holds for attribute and
index access too, wherever the undefined value ends up), lazy values (ranges, generators of
``map``/``select``, dict views) are materialised into lists, at most :data:`MAX_ITEMS` long,
and fresh plain containers are frozen. :class:`LazyRange` is the ``range`` of expressions: it
stays lazy (``range(1000000, 9999999) | random`` costs nothing), and only iterating it (``|
list``, a ``{% for %}`` loop, ``join``...) is limited. :func:`user_message` phrases any
evaluation error for users, naming ``list``/``dict`` rather than pyrsistent's classes.

Misuse: do not call :func:`to_data` on values read from the context (they are frozen data
already); do not raise the cap to render huge sequences: iterate in an action instead.
"""

from __future__ import annotations

import re
from collections.abc import (
    Callable,
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    Sequence,
    ValuesView,
)
from itertools import islice
from typing import Any, NoReturn, overload

import jinja2
from markupsafe import Markup
from pyrsistent import PMap, PSet, PVector, pmap, pset, pvector

from runtime.errors import ExpressionError

__all__ = [
    "MAX_ITEMS",
    "LazyRange",
    "lazy_range",
    "materialise",
    "to_data",
    "type_name",
    "user_message",
]

MAX_ITEMS = 1_000_000
"""Longest sequence an expression may materialise (a list, a loop, a join)."""


class LazyRange(Sequence[int]):
    """Python's ``range`` for expressions: lazy, with iteration capped at :data:`MAX_ITEMS`.

    Length, indexing, membership and ``random`` stay O(1) whatever the size.
    """

    __slots__ = ("_range",)

    def __init__(self, span: range) -> None:
        self._range = span

    def __len__(self) -> int:
        return len(self._range)

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> LazyRange: ...

    def __getitem__(self, index: int | slice) -> int | LazyRange:
        if isinstance(index, slice):
            return LazyRange(self._range[index])
        return self._range[index]

    def __contains__(self, value: object) -> bool:
        return value in self._range

    def __iter__(self) -> Iterator[int]:
        _check_size(len(self._range))
        return iter(self._range)

    def __reversed__(self) -> Iterator[int]:
        _check_size(len(self._range))
        return reversed(self._range)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyRange):
            return self._range == other._range
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._range)

    def __repr__(self) -> str:
        return repr(self._range)

    def index(self, value: Any, start: int = 0, stop: int | None = None) -> int:
        """Position of ``value`` (O(1), like ``range.index``)."""
        if start == 0 and stop is None:
            return self._range.index(value)
        return super().index(value, start, stop if stop is not None else len(self))

    def count(self, value: Any) -> int:
        """How often ``value`` occurs (0 or 1)."""
        return self._range.count(value)


def lazy_range(*args: int) -> LazyRange:
    """The ``range`` global of Orquesta expressions."""
    return LazyRange(range(*args))


def _check_size(size: int) -> None:
    if size > MAX_ITEMS:
        raise ExpressionError(
            f"sequence of {size} items is longer than the limit of {MAX_ITEMS}", expression=""
        )


def materialise(values: Iterable[Any]) -> list[Any]:
    """Return ``values`` as a list; raise :class:`ExpressionError` past :data:`MAX_ITEMS`."""
    if isinstance(values, LazyRange):
        _check_size(len(values))
    out = list(islice(values, MAX_ITEMS + 1))
    if len(out) > MAX_ITEMS:
        raise ExpressionError(
            f"sequence is longer than the limit of {MAX_ITEMS} items", expression=""
        )
    return out


def _undefined(value: jinja2.Undefined) -> NoReturn:
    raise ExpressionError(value._undefined_message, expression="")


def _not_a_value(value: Callable[..., Any]) -> NoReturn:
    name = getattr(value, "__name__", None) or type_name(value)
    raise ExpressionError(
        f"the expression yields the function {name!r}, not a value (call it with ())",
        expression="",
    )


def _freeze_list(value: Any) -> PVector[Any]:
    return pvector([to_data(v) for v in value])


def _freeze_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(to_data(v) for v in value)


def _freeze_dict(value: Mapping[Any, Any]) -> PMap[Any, Any]:
    return pmap({to_data(k): to_data(v) for k, v in value.items()})


def _freeze_set(value: Iterable[Any]) -> PSet[Any]:
    return pset(to_data(v) for v in value)


def _freeze_lazy(value: Iterable[Any]) -> PVector[Any]:
    return _freeze_list(materialise(value))


_DATA: frozenset[type] = frozenset(
    {str, int, float, bool, type(None), bytes, type(pmap()), type(pvector()), type(pset())}
)
"""Types that are data as they are: the fast path of :func:`to_data`."""

_CONVERT: dict[type, Callable[[Any], Any]] = {
    list: _freeze_list,
    tuple: _freeze_tuple,
    dict: _freeze_dict,
    set: _freeze_set,
    frozenset: _freeze_set,
    LazyRange: _freeze_lazy,
    range: _freeze_lazy,
    Markup: str,
}
"""Exact types converted on the way out, keyed by type."""

_CONVERT_KINDS: tuple[tuple[type, Callable[[Any], Any]], ...] = (
    (jinja2.Undefined, _undefined),
    (type(pmap().values()), _freeze_lazy),
    (type(pmap().items()), _freeze_lazy),
    (KeysView, _freeze_lazy),
    (ValuesView, _freeze_lazy),
    (ItemsView, _freeze_lazy),
    (Iterator, _freeze_lazy),
    (Mapping, _freeze_dict),
    (list, _freeze_list),
    (tuple, _freeze_tuple),
    (str, str),
)
"""Fallback for subclasses and abstract kinds (generators, views), in order of precedence."""


def to_data(value: Any) -> Any:
    """Return an expression's value as frozen engine data (see the module docstring).

    A function or method (``ctx().d.keys`` without the call) raises; values of other kinds
    (objects an action returned) pass through unchanged.
    """
    kind = type(value)
    if kind in _DATA:
        return value
    convert = _CONVERT.get(kind)
    if convert is not None:
        return convert(value)
    for base, candidate in _CONVERT_KINDS:
        if isinstance(value, base):
            return candidate(value)
    if callable(value):
        _not_a_value(value)
    return value


_TYPE_NAMES: dict[type, str] = {
    type(pmap()): "dict",
    type(pvector()): "list",
    type(pset()): "set",
    tuple: "list",
    LazyRange: "range",
    type(None): "None",
}


def type_name(value: Any) -> str:
    """The name users see for the type of ``value``: ``list``, ``dict``, ``str``..."""
    kind = type(value)
    name = _TYPE_NAMES.get(kind)
    if name is not None:
        return name
    if isinstance(value, jinja2.Undefined):
        return "undefined"
    if isinstance(value, Mapping):
        return "dict"
    if isinstance(value, PVector):
        return "list"
    return kind.__name__


_INTERNAL_NAME = re.compile(
    r"\b(?:pvectorc|pyrsistent(?:\._\w+)?|jinja2(?:\.\w+)?|runtime\.templating\.\w+)\."
    r"|\b(?:Python)?PVector\b|\bPMap(?:Items|Values|Keys)?\b|\bPSet\b|\bPBag\b"
    r"|\b(?:Troupe|Strict)Undefined\b|\bLazyRange\b"
)
_REPLACEMENTS: dict[str, str] = {
    "PVector": "list",
    "PythonPVector": "list",
    "PMap": "dict",
    "PMapItems": "dict_items",
    "PMapValues": "dict_values",
    "PMapKeys": "dict_keys",
    "PSet": "set",
    "PBag": "list",
    "TroupeUndefined": "undefined",
    "StrictUndefined": "undefined",
    "LazyRange": "range",
}


def _replace(match: re.Match[str]) -> str:
    return _REPLACEMENTS.get(match.group(0), "")


def user_message(exc: BaseException) -> str:
    """Phrase an evaluation error for users: no pyrsistent, jinja2 or engine class names."""
    if isinstance(exc, ExpressionError):
        text = exc.reason
    elif isinstance(exc, jinja2.TemplateError):
        text = exc.message or type(exc).__name__
    else:
        text = f"{type(exc).__name__}: {exc}"
    return _INTERNAL_NAME.sub(_replace, text)
