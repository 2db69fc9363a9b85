"""Troupe: YAML workflows (Orquesta and Attune dialects) run by pykka actors.

Public entry points::

    from runtime import start_workflow, load_workflow, ActionFailed
    handle = start_workflow("deploy.yaml", {"env": "prod"})
    result = handle.wait(timeout=60)

Everything under ``runtime`` except the API (:mod:`runtime.api`, :mod:`runtime.engine`,
:mod:`runtime.launch`, :mod:`runtime.handle`) and :mod:`runtime.cli` is the pure core: it
imports neither pykka nor threading. ``start_workflow`` and ``Engine`` are resolved lazily so
that importing the core never starts or imports the actor runtime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runtime.errors import (
    ActionFailed,
    ActionNotFound,
    ActionTimedOut,
    Diagnostic,
    ExpressionError,
    ParameterError,
    SpecError,
    TroupeError,
    ValidationFailed,
)
from runtime.inquiries import (
    Inquiry,
    InquiryClosed,
    InquiryNotFound,
    InquiryNotLive,
    InvalidResponse,
)
from runtime.spec import load_workflow, validate

if TYPE_CHECKING:
    from runtime.api import (
        ExecutionResult,
        TaskRecord,
        WorkflowHandle,
        WorkflowStatusName,
        set_worker_limit,
        start_workflow,
    )
    from runtime.engine import Engine

__all__ = [
    "ActionFailed",
    "ActionNotFound",
    "ActionTimedOut",
    "Diagnostic",
    "Engine",
    "ExecutionResult",
    "ExpressionError",
    "Inquiry",
    "InquiryClosed",
    "InquiryNotFound",
    "InquiryNotLive",
    "InvalidResponse",
    "ParameterError",
    "SpecError",
    "TaskRecord",
    "TroupeError",
    "ValidationFailed",
    "WorkflowHandle",
    "WorkflowStatusName",
    "load_workflow",
    "set_worker_limit",
    "start_workflow",
    "validate",
]

_API_NAMES = frozenset(
    {"start_workflow", "set_worker_limit", "WorkflowHandle", "ExecutionResult", "TaskRecord",
     "WorkflowStatusName"}
)


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from runtime.engine import Engine

        return Engine
    if name in _API_NAMES:
        from runtime import api

        return getattr(api, name)
    raise AttributeError(f"module 'runtime' has no attribute {name!r}")
