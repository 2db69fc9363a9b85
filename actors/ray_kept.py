"""Results kept in Ray's object store for the executions of this process, and the attempts
that make or read them (the Ray side of :mod:`runtime.executors.kept`).

An attempt whose spec has a ``keep_over`` or whose input holds reference records runs as a
Ray task with two returns (``num_returns=2``): the small outcome and the result apart
(:func:`runtime.executors.run_split`; None when it travels in the outcome). Both are owned by
this process, the driver, which made the call: the death of the worker that made them does
not lose them. The completion callback reads only the outcome (its future is done); when the
outcome says the result was kept, :class:`KeptResults` holds its ``ObjectRef`` under the
execution's scope and the outcome carries the record ``{"$ray": ID, "size": N}``. Records in
an input are handed to Ray as the ``ObjectRef`` themselves, as top-level arguments in
:func:`~runtime.executors.kept.references` order: Ray resolves them on the worker, which
puts their values in their place. A record this process does not hold (made before a
restart, or by an execution that ended) fails the attempt at once, ``result_lost``, without
sending it.

The map is touched without a lock, only by single dict operations (atomic in CPython): the
supervisor's thread opens a scope and reads it when it submits, and releases it when its
execution ends; Ray's callback thread adds a kept result to an open scope (a callback that
comes after the release finds no scope and drops its reference). A record reaches a
supervisor only through the ``Performed`` the callback tells after adding it.

Misuse: import this module only from :mod:`actors.ray_executor` (it imports ray); never
``ray.get`` a kept result on a supervisor's thread; release every scope opened (a scope held
keeps its results in the object store).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import Any

import ray

from runtime.executors import ActionOutcome, ActionSpec
from runtime.executors.kept import reference, references
from runtime.executors.running import run_split
from runtime.status import Outcome

__all__ = ["KeptResults"]

Report = Callable[[ActionOutcome], None]
Read = Callable[[Future[Any]], ActionOutcome]


@ray.remote(num_cpus=1, num_returns=2)
def _split_attempt(payload: dict[str, Any], *values: Any) -> tuple[dict[str, Any], Any]:
    """One action attempt on a Ray worker: the outcome, and the result apart if kept."""
    return run_split(payload, *values)


_OPTIONED: dict[str, Any] = {}
"""Ray task options (as JSON) -> the two-return remote function with them."""


def _remote(options: dict[str, Any]) -> Any:
    key = json.dumps(options, sort_keys=True)
    remote = _OPTIONED.get(key)
    if remote is None:
        remote = _OPTIONED[key] = _split_attempt.options(**options)
    return remote


def _spec_references(spec: ActionSpec) -> list[str]:
    return references([spec.input, spec.request])


def _nothing() -> None:
    """The kill of an attempt never sent."""


class KeptResults:
    """Execution scope -> object id (hex) -> the ``ObjectRef`` of a kept result."""

    __slots__ = ("scopes",)

    def __init__(self) -> None:
        self.scopes: dict[str, dict[str, Any]] = {}

    @staticmethod
    def involved(spec: ActionSpec) -> bool:
        """Whether the attempt may keep its result or reads kept ones."""
        return spec.keep_over is not None or bool(_spec_references(spec))

    def submit(self, spec: ActionSpec, report: Report, scope: str, options: dict[str, Any],
               read: Read, cancel: Callable[[Any], None]) -> Callable[[], None]:
        """Send the attempt with the objects its records name (``result_lost`` at once if
        one is not held); ``read`` turns the finished outcome future into an outcome,
        ``cancel`` stops the task."""
        ids = _spec_references(spec)
        kept = self.scopes.setdefault(scope, {})
        missing = [object_id for object_id in ids if object_id not in kept]
        if missing:
            report(ActionOutcome(
                outcome=Outcome.RESULT_LOST.value,
                error=f"result_lost: the input of task {spec.call.task!r} refers to a result "
                      f"no longer in Ray's object store ({', '.join(missing)}): kept results "
                      "do not survive a restart of the engine or the end of their execution"))
            return _nothing
        outcome_ref, result_ref = _remote(options).remote(
            spec.to_json(), *(kept[object_id] for object_id in ids))
        outcome_ref.future().add_done_callback(
            partial(self._finished, report, read, scope, result_ref))
        return partial(cancel, outcome_ref)

    def _finished(self, report: Report, read: Read, scope: str, result_ref: Any,
                  future: Future[Any]) -> None:
        """The task ended (Ray's thread): hold a kept result, put its record in the outcome."""
        outcome = read(future)
        if outcome.kept is not None:
            object_id = result_ref.hex()
            kept = self.scopes.get(scope)
            if kept is not None:  # else the execution ended: the reference is dropped
                kept[object_id] = result_ref
            outcome = dataclasses.replace(outcome, result=reference(object_id, outcome.kept))
        report(outcome)

    def release(self, scope: str) -> None:
        """The execution ended: let Ray free the results it kept."""
        self.scopes.pop(scope, None)
