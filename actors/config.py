"""What a workflow supervisor is given besides its workflow and parameters.

One :class:`SupervisorConfig` is built per top-level execution (by ``start_workflow``) and
shared, read-only, by the supervisors of its sub-workflows.

Misuse: never change a config after the execution started (every supervisor of the tree
reads it from its own thread).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from runtime.actions import ActionRegistry
from runtime.progress import ProgressEvent
from runtime.spec.subworkflows import SubWorkflows

from .tracing import TraceSink

__all__ = ["SupervisorConfig"]


@dataclass(slots=True, kw_only=True)
class SupervisorConfig:
    """Everything a supervisor needs besides the workflow and its parameters."""

    registry: ActionRegistry
    workflows: SubWorkflows = field(default_factory=lambda: SubWorkflows(base_dir=Path.cwd()))
    """The sub-workflows of the execution tree, resolved when the workflow was loaded."""
    sink: TraceSink | None = None
    listeners: tuple[Callable[[ProgressEvent], None], ...] = ()
    journal: bool = True
    """Keep the events consumed (for replay and, later, persistence)."""
