"""Journal entries to JSON and back: the machine's events and the journal's own records.

An entry is stored as its type's name (``kind``) and a JSON object of its fields
(``body``). Data fields (parameters, results) are frozen values: they are written as plain
JSON and frozen again when read, so a replayed event equals the one the machine consumed.
Timer keys and enums are written as their parts and values; decoding is driven by the
record's type, never by markers in the data (a result may hold any key).

Misuse: only records listed in :data:`KINDS` can be journaled; values that are not JSON data
(objects, sets, bytes) are written as the engine prints them (``runtime.values.json_default``)
and do not come back as they were.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Callable
from typing import Any

from pyrsistent import pmap

from runtime.events import (
    ActionCompleted,
    AttemptReturned,
    CancelRequested,
    InquiryAnswered,
    PauseRequested,
    RerunRequested,
    RerunTask,
    ResumeRequested,
    SubworkflowPaused,
    TimerFired,
    TimerKey,
    TimerKind,
    WorkflowRequested,
)
from runtime.kv.snapshot import EMPTY_KV, KvSnapshot
from runtime.limits import Limits
from runtime.status import Outcome
from runtime.values import freeze, json_default

from .entries import AttemptStarted, InquiryOpened, TimerArmed, TimerCleared

__all__ = ["KINDS", "decode", "encode"]

KINDS: dict[str, type] = {kind.__name__: kind for kind in (
    WorkflowRequested, ActionCompleted, AttemptReturned, TimerFired, CancelRequested,
    PauseRequested, ResumeRequested, AttemptStarted, TimerArmed, TimerCleared,
    RerunRequested, InquiryAnswered, InquiryOpened, SubworkflowPaused)}
"""Every record a journal holds, by the name it is stored under."""


_FIELDS: dict[type, tuple[str, tuple[str, ...]]] = {
    cls: (name, tuple(f.name for f in dataclasses.fields(cls))) for name, cls in KINDS.items()}
"""Entry type -> (its kind, its field names), computed once (encoding is on the per-item
path of a durable with-items run)."""

_dumps = json.JSONEncoder(default=json_default, separators=(",", ":")).encode


def encode(entry: Any) -> tuple[str, str]:
    """``(kind, body)`` of a journal entry."""
    known = _FIELDS.get(type(entry))
    if known is None:
        raise TypeError(f"{type(entry).__name__} is not a journal entry")
    kind, names = known
    body = {}
    for name in names:
        value = getattr(entry, name)
        if value is not None and type(value) not in _SCALARS:
            value = _plain(value)
        body[name] = value
    return kind, _dumps(body)


_SCALARS = frozenset({int, float, str, bool})
"""Values written as they are (anything else goes through :func:`_plain`)."""


def decode(kind: str, body: str) -> Any:
    """The record ``encode`` gave ``(kind, body)`` for."""
    cls = KINDS.get(kind)
    if cls is None:
        raise ValueError(f"unknown journal entry kind {kind!r}")
    fields = json.loads(body)
    return cls(**{name: _DECODERS.get(name, freeze)(value) for name, value in fields.items()})


def _plain(value: Any) -> Any:
    write = _WRITERS.get(type(value))
    if write is not None:
        return write(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _timer_key_fields(value: TimerKey) -> dict[str, Any]:
    return {"kind": value.kind.value, "run": value.run, "item": value.item,
            "attempt": value.attempt}


def _limits_fields(value: Limits) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


def _kv_fields(value: KvSnapshot) -> Any:
    if not value.taken:
        return None
    return {"user": value.user, "key_file": value.key_file,
            "pairs": [[scope, key, text, secret]
                      for (scope, key), (text, secret) in sorted(value.pairs.items())]}


def _rerun_tasks_fields(value: tuple[RerunTask, ...]) -> Any:
    return [{"task": t.task, "route": t.route} for t in value]


def _rerun_tasks(value: Any) -> tuple[RerunTask, ...]:
    return tuple(RerunTask(task=t["task"], route=t["route"]) for t in value)


def _names(value: Any) -> tuple[str, ...]:
    return tuple(value)


def _plain_tuple(value: tuple[Any, ...]) -> Any:
    """A tuple of rerun tasks or of names, written as a list."""
    if value and type(value[0]) is RerunTask:
        return _rerun_tasks_fields(value)
    return list(value)


_WRITERS: dict[type, Callable[[Any], Any]] = {
    tuple: _plain_tuple,
    TimerKey: _timer_key_fields,
    Limits: _limits_fields,
    KvSnapshot: _kv_fields,
}
"""Records inside entries, written as their fields (read back by :data:`_DECODERS`)."""


def _timer_key(value: Any) -> TimerKey:
    return TimerKey(kind=TimerKind(value["kind"]), run=value["run"], item=value["item"],
                    attempt=value["attempt"])


def _limits(value: Any) -> Limits:
    return Limits(**value)


def _kv(value: Any) -> KvSnapshot:
    if value is None:
        return EMPTY_KV
    return KvSnapshot(user=value["user"], key_file=value["key_file"], taken=True,
                      pairs=pmap({(scope, key): (text, bool(secret))
                                  for scope, key, text, secret in value["pairs"]}))


def _same(value: Any) -> Any:
    return value


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "key": _timer_key,
    "limits": _limits,
    "kv": _kv,
    "outcome": Outcome,
    "run": _same,
    "item": _same,
    "attempt": _same,
    "at": _same,
    "deadline": _same,
    "execution_id": _same,
    "reason": _same,
    "force": _same,
    "error": _same,
    "number": _same,
    "tasks": _rerun_tasks,
    "reset": _names,
    "changed": _names,
    "children": _names,
    "inquiry": _same,
    "expires_at": _same,
    "paused": _same,
}
"""How a field comes back, by name (the journal's records share their field names); any
other field is data, frozen."""
