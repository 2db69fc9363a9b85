"""Building the record of a new execution.

Misuse: the text must be the workflow exactly as loaded (recovery loads it again from
there); parameters are stored whole, secrets included (the store is private to its user).
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from runtime.spec.model import WorkflowDef
from runtime.status import WorkflowStatus
from runtime.values import json_default, thaw

from .base import ExecutionRow

__all__ = ["execution_row", "workflow_name"]


def workflow_name(defn: WorkflowDef) -> str:
    """The name an execution is listed under: the workflow's name, its file's, or
    ``<inline>``."""
    if defn.name:
        return defn.name
    if defn.file:
        return Path(defn.file).stem
    return "<inline>"


def execution_row(*, execution_id: str, defn: WorkflowDef, text: str, parameters: Any,
                  parent: str | None = None, parent_task: str | None = None,
                  base_dir: Path | None = None,
                  idempotency_key: str | None = None) -> ExecutionRow:
    """The record of a new execution of ``defn`` (status ``requested``)."""
    now = time.time()
    return ExecutionRow(
        id=execution_id, workflow=workflow_name(defn), text=text,
        text_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        parameters=json.dumps(thaw(parameters) or {}, default=json_default),
        status=WorkflowStatus.REQUESTED.value, created_at=now, updated_at=now,
        parent=parent, parent_task=parent_task,
        base_dir=str(base_dir) if base_dir is not None else None,
        idempotency_key=idempotency_key)
