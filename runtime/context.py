"""The workflow context: a pyrsistent value that is shared, never copied.

A :class:`Context` is what a task run sees: ``view`` holds every visible variable, and
``writes`` the variables published on this branch since the workflow's root context, which is
what a join needs to merge branches (Orquesta semantics: inbound branches are applied in
arrival order, the last writer of a key wins). Publishing derives a new context by structural
sharing (O(log n) per key); handing a context to a task or an item is passing a reference.

Misuse: never convert ``view`` to a dict to read it (that is O(n)); never store mutable data
in it (freeze values first, see :mod:`runtime.values`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pyrsistent import PMap, pmap

__all__ = ["Context"]


@dataclass(frozen=True, slots=True)
class Context:
    """An immutable branch context: the visible variables and this branch's writes."""

    view: PMap[str, Any]
    writes: PMap[str, Any] = pmap()
    version: int = 0
    """Increments with every publish; travels with the context for tracing."""

    @classmethod
    def root(cls, values: PMap[str, Any]) -> Context:
        """Return the root context of an execution."""
        return cls(values, pmap(), 0)

    def publish(self, key: str, value: Any) -> Context:
        """Return a context in which ``key`` is ``value`` (``value`` must be frozen)."""
        return Context(self.view.set(key, value), self.writes.set(key, value), self.version + 1)

    def publish_all(self, pairs: Iterable[tuple[str, Any]]) -> Context:
        """Publish several frozen values at once, in order."""
        view = self.view.evolver()
        writes = self.writes.evolver()
        count = 0
        for key, value in pairs:
            view[key] = value
            writes[key] = value
            count += 1
        if not count:
            return self
        return Context(view.persistent(), writes.persistent(), self.version + count)

    def merged_with(self, later: Context) -> Context:
        """Merge a branch that arrived later at a join: its writes win on clashes."""
        if not later.writes:
            return self
        return Context(
            self.view.update(later.writes),
            self.writes.update(later.writes),
            max(self.version, later.version) + 1,
        )
