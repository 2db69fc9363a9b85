"""The abstract workflows the generators build and the reference interpreter runs.

A workflow here is plain data (frozen dataclasses), printed as YAML for the engine by
:mod:`tests.reference.render` and interpreted directly by :mod:`tests.reference.interpreter`,
so the reference never goes through the engine's loader or expression layer. Expressions
are a closed set of forms (:class:`Cond`, :class:`Pub`) whose meaning both sides agree on.

Misuse: every variable a condition, publish or output reads must be declared in ``vars``
(the generators do so), or the engine fails on an undefined name where the reference does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

COMMANDS = ("continue", "noop", "fail")
"""Engine commands a transition may target (Orquesta only)."""


@dataclass(frozen=True)
class Cond:
    """A ``when``: ``ok`` (succeeded), ``fail`` (failed), ``done`` (completed), ``lt`` / ``ge``
    (``ctx(var) < k`` / ``>= k``), ``and`` of ``parts``."""

    kind: str
    var: str = ""
    k: int = 0
    parts: tuple[Cond, ...] = ()


@dataclass(frozen=True)
class Pub:
    """One published variable: ``const`` (``value``), ``result`` (``result()``), ``incr``
    (``ctx(var) + 1``), ``copy`` (``ctx(var)``)."""

    name: str
    kind: str
    value: Any = None
    var: str = ""


@dataclass(frozen=True)
class Trans:
    """One transition: ``when`` (None: any completion), ``publish`` in order, ``do`` targets."""

    when: Cond | None = None
    publish: tuple[Pub, ...] = ()
    do: tuple[str, ...] = ()


@dataclass(frozen=True)
class Retry:
    """``count`` re-tries; ``when`` (Orquesta) or failures; ``delay`` and ``backoff``."""

    count: int
    when: Cond | None = None
    delay: float = 0.0
    backoff: str = "constant"


@dataclass(frozen=True)
class Task:
    """One task: a mock action (or a sub-workflow ``sub``), join, items, retry, transitions."""

    name: str
    next: tuple[Trans, ...] = ()
    join: str | int | None = None
    items: int | None = None
    concurrency: int | None = None
    batch: int | None = None
    retry: Retry | None = None
    sub: Workflow | None = None


@dataclass(frozen=True)
class Workflow:
    """A workflow of one dialect (``orquesta`` or ``attune``)."""

    dialect: str
    tasks: tuple[Task, ...]
    vars: tuple[tuple[str, Any], ...] = ()
    output: tuple[str, ...] = ()
    """Names of vars copied to the output (``name: ctx(name)`` / ``workflow.name``)."""
    fails: frozenset[tuple[str, int | None, int]] = field(default_factory=frozenset)
    """Injected failures: (task, item or None, attempt) of the mock action."""

    def task(self, name: str) -> Task:
        """The task called ``name``."""
        return next(t for t in self.tasks if t.name == name)


def mock_result(task: str, item: int | None, attempt: int) -> dict[str, Any]:
    """What the mock action returns (or fails with) for one attempt."""
    return {"t": task, "i": item, "a": attempt}
