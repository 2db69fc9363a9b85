"""Results kept in a remote executor's object store: the reference record and its rules.

A result whose JSON is bigger than the attempt's ``keep_over`` (``Engine(ray_result_threshold=
BYTES)``, or a task's ``keep_result_in_ray: true``: 0) stays in Ray's object store; the
context holds only a reference record, ``{"$ray": OBJECT_ID_HEX, "size": N}`` (N: the
result's JSON size in bytes). The record is data: templates pass it on as they would any
mapping (``{{ result() }}`` gives the record). When the rendered input of a task on Ray holds
records at any depth, the executor hands Ray the objects themselves (:func:`references`
lists them in a fixed order, on both sides) and the worker puts their values in their place
(:func:`resolved`) before the action runs.

Where the attempt runs, :func:`split` measures the result and, when it is over the
threshold, takes it out of the outcome (``kept``: its size) so that it travels as a second
object; the executor, on this side, puts the record in its place.

Misuse: never look inside a record on the supervisor (the value is not there: fetching it
would block the mailbox); a record is valid only in the execution that made it, and only
while that execution runs in this process (:data:`RESULT_LOST` otherwise).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from runtime.errors import RESULT_LOST

from .spec import ActionOutcome

__all__ = ["RECORD_KEY", "RESULT_LOST", "json_size", "record_id", "reference", "references",
           "resolved", "resolved_payload", "split"]

RECORD_KEY = "$ray"
"""The key of a reference record (its value: the object id in hex)."""



def reference(object_id: str, size: int) -> dict[str, Any]:
    """The record that stands for a kept result."""
    return {RECORD_KEY: object_id, "size": size}


def record_id(value: Any) -> str | None:
    """The object id of ``value`` when it is a reference record, else None."""
    if isinstance(value, Mapping) and len(value) == 2 and "size" in value:
        object_id = value.get(RECORD_KEY)
        if isinstance(object_id, str):
            return object_id
    return None


def references(value: Any) -> list[str]:
    """The object ids of the records in ``value`` at any depth, each once, in the order a
    depth-first walk meets them (the same on both sides of the seam)."""
    found: dict[str, None] = {}
    _walk(value, found)
    return list(found)


def _walk(value: Any, found: dict[str, None]) -> None:
    object_id = record_id(value)
    if object_id is not None:
        found.setdefault(object_id)
    elif isinstance(value, Mapping):
        for item in value.values():
            _walk(item, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _walk(item, found)


def resolved(value: Any, values: Mapping[str, Any]) -> Any:
    """``value`` with each record whose id is in ``values`` replaced by its value (a new
    structure where something changed; ``value`` itself is not modified)."""
    object_id = record_id(value)
    if object_id is not None:
        return values.get(object_id, value)
    if isinstance(value, Mapping):
        return {key: resolved(item, values) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [resolved(item, values) for item in value]
    return value


def resolved_payload(payload: Mapping[str, Any], values: Sequence[Any]) -> dict[str, Any]:
    """A spec's JSON with the values of its records (given in :func:`references` order of
    its ``input`` then its ``request``) in their place."""
    ids = references([payload.get("input"), payload.get("request")])
    by_id = dict(zip(ids, values, strict=True))
    return {**payload, "input": resolved(payload.get("input"), by_id),
            "request": resolved(payload.get("request"), by_id)}


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact JSON (ASCII: one byte a character)."""
    return len(json.dumps(value, separators=(",", ":")))


def split(outcome: ActionOutcome, keep_over: int | None) -> tuple[ActionOutcome, Any]:
    """The outcome to send back and the result to keep apart (None: nothing kept): the
    result is kept when ``keep_over`` is set and its JSON size is over it."""
    if keep_over is None or outcome.result is None:
        return outcome, None
    size = json_size(outcome.result)
    if size <= keep_over:
        return outcome, None
    return ActionOutcome(outcome=outcome.outcome, stdout=outcome.stdout, stderr=outcome.stderr,
                         return_code=outcome.return_code, error=outcome.error,
                         kept=size), outcome.result
