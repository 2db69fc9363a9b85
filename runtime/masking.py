"""Keeping secret values out of traces, error messages and printed output.

A :class:`Masker` knows the values of an execution's secret inputs and replaces every
occurrence of them (whole values and substrings of longer strings, such as a token inside a
URL that was published from it) with ``***``, walking nested data.

A secret may be any JSON value: a dict or list secret is known by every string and number
inside it (so its parts are masked wherever they travel, and the whole, printed as JSON or
as Python, is masked leaf by leaf); a string secret also by its upper- and lower-case forms
(``{{ ctx().token | upper }}``). A secret whose default is a template is known by its
rendered value (:meth:`Masker.for_inputs` renders it as the machine does). What a template
derives otherwise (a slice, a base64 or hash of a secret) is not known: publish it from
a secret input of its own, or keep it out of outputs.

Misuse: mask at the edge where data leaves the engine (trace, errors, CLI), not inside the
state machine, which must keep real values to run; secrets shorter than 3 characters are not
masked as substrings (they would mangle ordinary text) but still as whole values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pyrsistent import PMap, PVector, pmap

from runtime.errors import ExpressionError
from runtime.templating import Scope

__all__ = ["MASK", "NO_MASK", "Masker"]

MASK = "***"


class Masker:
    """Replaces known secret values with ``***``."""

    __slots__ = ("_exact", "_substrings")

    def __init__(self, secrets: Iterable[Any] = ()) -> None:
        exact: set[str] = set()
        for value in secrets:
            _known(value, exact)
        exact.discard("")
        self._exact = frozenset(exact)
        self._substrings = tuple(sorted((s for s in exact if len(s) >= 3), key=len, reverse=True))

    @classmethod
    def for_inputs(cls, inputs: Iterable[Any], params: Mapping[str, Any]) -> Masker:
        """The masker of an execution: values of its secret inputs (given, or their default,
        a template default rendered in input order as the machine renders it)."""
        values = []
        rolling: PMap[str, Any] = pmap()
        for spec in inputs:
            if spec.name in params and params[spec.name] is not None:
                value = params[spec.name]
            elif spec.default is not None:
                value = _default(spec.default, rolling, params)
            else:
                value = params.get(spec.name)
            rolling = rolling.set(spec.name, value)
            if spec.secret:
                values.append(value)
        return cls(values)

    def combined(self, other: Masker) -> Masker:
        """A masker hiding the secrets of both (a sub-workflow's own and its parent's)."""
        if not other._exact:
            return self
        if not self._exact:
            return other
        return Masker((*self._exact, *other._exact))

    def __bool__(self) -> bool:
        return bool(self._exact)

    def text(self, value: str) -> str:
        """Mask secrets inside a string."""
        if not self._exact:
            return value
        if value in self._exact:
            return MASK
        for secret in self._substrings:
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    def data(self, value: Any) -> Any:
        """Mask secrets anywhere in nested data (returns plain dicts and lists)."""
        if not self._exact:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, (dict, PMap)):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple, PVector)):
            return [self.data(v) for v in value]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return MASK if str(value) in self._exact else value
        return value


NO_MASK = Masker()


def _known(value: Any, exact: set[str]) -> None:
    """Add the texts by which ``value`` (a secret) is recognised to ``exact``."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        exact.update((value, value.upper(), value.lower()))
    elif isinstance(value, (int, float)):
        exact.add(str(value))
    elif isinstance(value, (dict, PMap)):
        for item in value.values():
            _known(item, exact)
    elif isinstance(value, (list, tuple, PVector)):
        for item in value:
            _known(item, exact)
    else:
        exact.add(str(value))


def _default(node: Any, rolling: PMap[str, Any], params: Mapping[str, Any]) -> Any:
    """An input's default: constant, or rendered against the inputs before it (None if it
    fails: the machine reports that failure)."""
    if node.constant:
        return node.value
    try:
        return node.render(Scope(rolling, params=pmap(params)))
    except ExpressionError:
        return None
