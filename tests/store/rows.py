"""Rows for the store suite."""

from __future__ import annotations

import hashlib
from typing import Any

from runtime.store import EntryRow, ExecutionRow

TEXT = "version: 1.0\ntasks:\n  a:\n    action: core.noop\n"


def execution(execution_id: str, **fields: Any) -> ExecutionRow:
    """An execution row with plausible defaults."""
    values: dict[str, Any] = {
        "workflow": "demo", "text": TEXT,
        "text_hash": hashlib.sha256(TEXT.encode()).hexdigest(),
        "parameters": '{"token": "s3cret"}', "status": "running",
        "created_at": 1000.0, "updated_at": 1000.0,
    }
    values.update(fields)
    return ExecutionRow(id=execution_id, **values)


def entry(execution_id: str, seq: int, kind: str = "ActionCompleted",
          body: str = '{"run": 1}', at: float = 1001.0) -> EntryRow:
    """A journal entry."""
    return EntryRow(execution_id=execution_id, seq=seq, kind=kind, body=body, at=at)
