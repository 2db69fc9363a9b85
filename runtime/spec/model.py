"""The one immutable workflow model both dialects load into.

A :class:`WorkflowDef` is built once by a loader (``runtime.spec.orquesta`` or
``runtime.spec.attune``) and then only read: by the validator, by the state machine and by
every actor of every execution of it. All templates in it are compiled already
(:class:`runtime.templating.Node`), so nothing is parsed or compiled while a workflow runs.
Where the dialects disagree, the model holds a :class:`Policies` value and the engine
branches on policies, never on the dialect's name.

Misuse: do not build these records by hand in engine code (use the loaders, which validate);
do not put mutable containers in them (tuples and pyrsistent maps only).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from pyrsistent import PMap, pmap

from runtime.templating import Node

__all__ = [
    "ENGINE_COMMANDS",
    "AskDef",
    "Backoff",
    "Dialect",
    "InputDef",
    "Iteration",
    "Policies",
    "Retry",
    "TaskDef",
    "Transition",
    "WorkflowDef",
]

ENGINE_COMMANDS = frozenset({"continue", "noop", "fail", "retry"})
"""Reserved names usable in ``do``; they cannot be task names."""


class Dialect(enum.Enum):
    """The language a workflow file is written in."""

    ORQUESTA = "orquesta"
    ATTUNE = "attune"


class Backoff(enum.Enum):
    """How a retry delay grows with the attempt number."""

    CONSTANT = "constant"
    LINEAR = "linear"
    EXPONENTIAL = "exponential"


@dataclass(frozen=True, slots=True, kw_only=True)
class Policies:
    """Semantics where the dialects differ (see dsl.md section 4.3)."""

    branch_context: bool
    """True: contexts are per branch and merge at joins; False: one global variable store."""
    sequential_publish: bool
    """True: a transition's publishes are visible to the next transitions' conditions."""
    transitions_by_target: bool
    """True: outbound edges are processed sorted by target name (Orquesta)."""
    routes: bool
    """True: a split task runs once per arrival on a new route; False: once per workflow."""
    fail_fast: bool
    """True: an unhandled failure fails the workflow at once (only run-on-fail tasks start)."""
    lenient_expressions: bool
    """True: a failing `when` fires on success, a failing publish key is skipped (Attune)."""
    default_concurrency: int | None
    """with-items concurrency when none is given (None: all at once)."""
    items_stop_on_failure: bool
    """True: after an item failed, items are released only while others are in flight, and
    the run ends (failed) once none is (Orquesta); False: every item runs (Attune)."""
    wrap_non_list_items: bool
    """True: a with-items value that is not a list becomes a one-item list."""
    output_on_failure: bool
    """True: outputs are rendered whatever the final status (Orquesta)."""
    failed_includes_timeout: bool
    """True: ``failed()`` is also true for a timed-out task (Orquesta)."""
    drop_undeclared_inputs: bool
    """True: parameters the workflow does not declare are dropped; False: they are an error."""
    json_strings: bool
    """True: mixed-text templates stringify values as JSON (Attune)."""
    join_counts_completed: bool = False
    """True: ``join: N`` counts every inbound task already completed (succeeded, or failed
    and handled), whether or not its transition to the join fired (Attune); False: only the
    inbound tasks whose transition to the join fired (Orquesta)."""


ORQUESTA_POLICIES = Policies(
    branch_context=True,
    sequential_publish=False,
    transitions_by_target=True,
    routes=True,
    fail_fast=True,
    lenient_expressions=False,
    default_concurrency=None,
    items_stop_on_failure=True,
    wrap_non_list_items=False,
    output_on_failure=True,
    failed_includes_timeout=True,
    drop_undeclared_inputs=True,
    json_strings=False,
)

ATTUNE_POLICIES = Policies(
    branch_context=False,
    sequential_publish=True,
    transitions_by_target=False,
    routes=False,
    fail_fast=False,
    lenient_expressions=True,
    default_concurrency=1,
    items_stop_on_failure=False,
    wrap_non_list_items=True,
    output_on_failure=False,
    failed_includes_timeout=False,
    drop_undeclared_inputs=False,
    json_strings=True,
    join_counts_completed=True,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class InputDef:
    """A declared workflow input."""

    name: str
    default: Node | None = None
    """Compiled default (may reference earlier inputs), or None for no default."""
    required: bool = False
    secret: bool = False
    description: str = ""
    type: str | None = None
    """JSON-schema type name when declared (``string``, ``integer``...)."""
    schema: PMap[str, Any] | None = None
    """The JSON-schema a given value must satisfy (Attune; checked at load), frozen."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Iteration:
    """How a with-items task iterates."""

    items: Node
    """Compiled expression yielding the list of items."""
    names: tuple[str, ...] = ()
    """``x in ...`` / ``a, b in ...`` names; empty for the bare form."""
    concurrency: Node | None = None
    """Compiled concurrency (int or expression), None for the dialect default."""
    batch_size: int | None = None
    """Attune: items are grouped in lists of this size; ``item`` is then a list."""
    source: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Retry:
    """When and how often a task's action is attempted again."""

    count: Node
    """Maximum number of retries (attempts = count + 1); compiled, may be an expression."""
    delay: Node | None = None
    """Base delay in seconds (compiled), None for no delay."""
    when: Node | None = None
    """Condition; None retries while the attempt is abended (failed or timed out)."""
    backoff: Backoff = Backoff.CONSTANT
    max_delay: float | None = None
    on_status: frozenset[str] = frozenset({"failed", "timed_out"})
    """Statuses that trigger a retry when there is no condition."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """One entry of a task's ``next``."""

    index: int
    when: Node | None
    when_source: str | None
    publish: tuple[tuple[str, Node], ...]
    targets: tuple[str, ...]
    """Task names or engine commands (``continue``, ``noop``, ``fail``), in listed order."""
    status_shortcut: str | None = None
    """``succeeded``/``failed``/``timed_out`` when ``when`` is literally that status test."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AskDef:
    """An Attune task's ``wait_for: {inquiry: ...}``: the question asked before its action
    runs (:mod:`runtime.inquiries`); each part compiled, rendered when the task starts."""

    prompt: Node | None = None
    schema: Node | None = None
    """The JSON schema the response must satisfy (None: any JSON object)."""
    assigned_to: Node | None = None
    """A user name or a list of them."""
    timeout: Node | None = None
    """Seconds to wait; then the task times out (``timed_out()``) without running."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskDef:
    """A task of the workflow graph."""

    name: str
    action: Node | None = None
    action_ref: str | None = None
    """The action reference when it is a constant (the common case), for validation."""
    input: Node | None = None
    delay: Node | None = None
    timeout: Node | None = None
    join: str | int | None = None
    """None, ``"all"`` or the number of inbound tasks to wait for."""
    iteration: Iteration | None = None
    retry: Retry | None = None
    transitions: tuple[Transition, ...] = ()
    wait_for: AskDef | None = None
    """An inquiry to answer before the action runs (Attune ``wait_for``)."""
    extra: PMap[str, Any] = field(default_factory=pmap)
    """Platform fields carried through without semantics."""
    placement: Any = None
    """Where its attempts run (:class:`runtime.spec.placement.Placement`: ``executor``,
    ``resources``, ``runtime_env``), or None: the engine's executor."""
    line: int | None = None
    """Line of the task in its file, for error messages."""

    @property
    def is_join(self) -> bool:
        """Tell whether the task is a join barrier."""
        return self.join is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkflowDef:
    """A loaded, validated workflow."""

    dialect: Dialect
    policies: Policies
    name: str = ""
    version: str = ""
    description: str = ""
    file: str | None = None
    inputs: tuple[InputDef, ...] = ()
    vars: tuple[tuple[str, Node], ...] = ()
    tasks: PMap[str, TaskDef] = field(default_factory=pmap)
    """Task name -> :class:`TaskDef` (insertion order is not meaningful: see ``task_order``)."""
    task_order: tuple[str, ...] = ()
    outputs: tuple[tuple[str, Node], ...] = ()
    meta: PMap[str, Any] = field(default_factory=pmap)
    graph: Any = None
    """The :class:`runtime.graph.Graph` derived from the tasks (set by the loader)."""

    def task(self, name: str) -> TaskDef:
        """Return the task called ``name`` (KeyError if there is none)."""
        return self.tasks[name]

    @property
    def secret_inputs(self) -> frozenset[str]:
        """Names of inputs declared secret."""
        return frozenset(i.name for i in self.inputs if i.secret)
