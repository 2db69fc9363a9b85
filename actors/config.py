"""What a workflow supervisor is given besides its workflow and parameters.

One :class:`SupervisorConfig` is built per top-level execution (by ``start_workflow``) and
shared, read-only, by the supervisors of its sub-workflows.

Misuse: never change a config after the execution started (every supervisor of the tree
reads it from its own thread).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyrsistent import PMap, pmap

from runtime.actions import ActionRegistry
from runtime.executors import ExecutorChoice
from runtime.kv.snapshot import EMPTY_KV, KvSnapshot
from runtime.limits import DEFAULT_LIMITS, Limits
from runtime.progress import ProgressEvent
from runtime.spec.subworkflows import SubWorkflows
from runtime.store.replaying import Journaled

from .inquiry_book import InquiryBook
from .tracing import TraceSink

__all__ = ["DurableConfig", "SupervisorConfig"]


@dataclass(slots=True, kw_only=True)
class SupervisorConfig:
    """Everything a supervisor needs besides the workflow and its parameters."""

    registry: ActionRegistry
    workflows: SubWorkflows = field(default_factory=lambda: SubWorkflows(base_dir=Path.cwd()))
    """The sub-workflows of the execution tree, resolved when the workflow was loaded."""
    sink: TraceSink | None = None
    listeners: tuple[Callable[[ProgressEvent], None], ...] = ()
    journal: bool = True
    """Keep the events consumed in memory (for replay and the result's event count)."""
    durable: DurableConfig | None = None
    """Journal the execution tree to the engine's store (None: in memory only)."""
    limits: Limits = DEFAULT_LIMITS
    """The size guards of every execution of the tree."""
    kv: KvSnapshot = EMPTY_KV
    """The key-value snapshot of the execution (and of its sub-workflows, which read
    their parent's): the ``kv`` of its ``WorkflowRequested``."""
    environment: PMap[str, Any] = field(default_factory=pmap)
    """Who started the tree and from where (``ctx().st2``: :mod:`runtime.st2_context`)."""
    inquiries: InquiryBook = field(default_factory=InquiryBook)
    """Where the tree's inquiries are listed and answered (the engine's, shared)."""
    executor: ExecutorChoice | None = None
    """Where the tree's attempts run unless a task says (None: the local workers)."""
    ray_result_threshold: int | None = None
    """Bytes over which a Ray attempt's result stays in the object store (None: none do;
    :mod:`runtime.executors.kept`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DurableConfig:
    """How the supervisors of a durable execution tree reach the engine's journal."""

    journal: Any
    """The engine's :class:`~actors.journal.Journal` actor."""
    texts: Mapping[str, str] = field(default_factory=dict)
    """Sub-workflow file -> its text, read when the workflow was loaded (for the children's
    execution records: the actors never read files)."""
    recovering: Mapping[str, Journaled] = field(default_factory=dict)
    """Child execution id -> its journal, for the children recovered with their parent."""
