"""Keeping secret values out of traces, error messages and printed output.

A :class:`Masker` knows the values of an execution's secret inputs and replaces every
occurrence of them (whole values and substrings of longer strings, such as a token inside a
URL that was published from it) with ``***``, walking nested data.

Misuse: mask at the edge where data leaves the engine (trace, errors, CLI), not inside the
state machine, which must keep real values to run; secrets shorter than 3 characters are not
masked as substrings (they would mangle ordinary text) but still as whole values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pyrsistent import PMap, PVector

__all__ = ["MASK", "NO_MASK", "Masker"]

MASK = "***"


class Masker:
    """Replaces known secret values with ``***``."""

    __slots__ = ("_exact", "_substrings")

    def __init__(self, secrets: Iterable[Any] = ()) -> None:
        exact: set[str] = set()
        for value in secrets:
            if value is None or value == "":
                continue
            exact.add(str(value))
        self._exact = frozenset(exact)
        self._substrings = tuple(sorted((s for s in exact if len(s) >= 3), key=len, reverse=True))

    @classmethod
    def for_inputs(cls, inputs: Iterable[Any], params: Mapping[str, Any]) -> Masker:
        """The masker of an execution: values of its secret inputs (given or constant default)."""
        values = []
        for spec in inputs:
            if not spec.secret:
                continue
            if spec.name in params:
                values.append(params[spec.name])
            elif spec.default is not None and spec.default.constant:
                values.append(spec.default.value)
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
