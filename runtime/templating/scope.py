"""The evaluation scope: what an expression can see while it is evaluated.

A :class:`Scope` is handed to Jinja as one named variable (:data:`SCOPE_KEY`); the expression
functions (``ctx()``, ``result()``, ``succeeded()``...) read it from there. It holds
references only, so building one per evaluation site is cheap.

Misuse: never copy or thaw ``ctx`` into a scope (pass the pyrsistent map itself); never pass
a scope's fields as the top-level render mapping (that copies them on every render).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyrsistent import PMap, pmap

from runtime.kv.snapshot import KvSnapshot

__all__ = ["SCOPE_KEY", "Scope"]

SCOPE_KEY = "__troupe_scope"
"""Name of the render variable that carries the :class:`Scope`."""

_EMPTY: PMap[str, Any] = pmap()


class Scope:
    """What an expression can see while it is evaluated.

    Built afresh for each evaluation site (cheap: a slotted object with references only).
    ``ctx`` is the visible workflow context (a pyrsistent map, never copied).
    ``task_statuses(name)`` and ``task_runs(name)`` look a task up on the current route
    (its status; StackStorm's ``task(name)`` record, or None); ``task_runs(name, route=N)``
    on route ``N``.
    """

    __slots__ = (
        "ctx",
        "failed_includes_timeout",
        "has_item",
        "has_result",
        "index",
        "inquiries",
        "item",
        "kv",
        "params",
        "result",
        "status",
        "system",
        "task",
        "task_runs",
        "task_statuses",
        "tasks",
    )

    def __init__(
        self,
        ctx: PMap[str, Any],
        *,
        task: str | None = None,
        status: str | None = None,
        result: Any = None,
        has_result: bool = False,
        item: Any = None,
        index: int | None = None,
        has_item: bool = False,
        task_statuses: Callable[[str], str] | None = None,
        task_runs: Callable[..., Any] | None = None,
        params: PMap[str, Any] | None = None,
        tasks: PMap[str, Any] | None = None,
        system: PMap[str, Any] | None = None,
        failed_includes_timeout: bool = True,
        kv: KvSnapshot | None = None,
        inquiries: PMap[str, Any] | None = None,
    ) -> None:
        self.ctx = ctx
        self.task = task
        self.status = status
        self.result = result
        self.has_result = has_result
        self.item = item
        self.index = index
        self.has_item = has_item
        self.task_statuses = task_statuses
        self.task_runs = task_runs
        self.params = params if params is not None else _EMPTY
        self.tasks = tasks if tasks is not None else _EMPTY
        self.system = system if system is not None else _EMPTY
        self.failed_includes_timeout = failed_includes_timeout
        self.inquiries = inquiries if inquiries is not None else _EMPTY
        """Attune ``inquiry.<task>``: each task's latest inquiry (``id``, ``status``,
        ``response``...)."""
        self.kv = kv
        """The execution's key-value snapshot (:class:`runtime.kv.snapshot.KvSnapshot`),
        which ``st2kv`` and ``decrypt_kv`` read; None: an empty one."""

    def with_ctx(self, ctx: PMap[str, Any]) -> Scope:
        """Return a scope that sees ``ctx`` instead (for rolling publishes)."""
        clone = Scope.__new__(Scope)
        for name in Scope.__slots__:
            setattr(clone, name, getattr(self, name))
        clone.ctx = ctx
        return clone
