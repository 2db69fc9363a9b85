"""Running an :class:`ActionSpec` where it landed, and the :class:`ActionOutcome` it gives.

:func:`run_spec` is what a remote executor's worker calls with the spec's JSON: it resolves
the action (a ``python`` spec through an :class:`~runtime.actions.ActionRegistry` of this
process: built-ins, ``python:`` references, installed plugins), runs it with a
:class:`~runtime.actions.Call` rebuilt from the spec, and returns the outcome's JSON. Every
way the action can end becomes an outcome: a result, :class:`~runtime.errors.ActionFailed`
(its result kept), :class:`~runtime.errors.ActionTimedOut`, any other exception (its type
and text), a result JSON cannot hold. Only ``BaseException`` that is not an ``Exception``
(an interrupt: the executor canceling the attempt) goes through.

A ``shell`` spec runs ``core.local`` (a process group of its own, killed when the command
ends or times out); an ``http`` spec ``core.http``.

Misuse: do not call it in the engine's process for a local attempt (the local executor
calls the resolved function itself, with a cancel hook); the far side's ``Call`` has no
cancel hook: a remote attempt is stopped by its executor (Ray kills the worker).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from runtime.actions import ActionRegistry, Call, invoke
from runtime.actions.builtin import core_http, core_local
from runtime.errors import ActionFailed, ActionTimedOut
from runtime.status import Outcome
from runtime.values import NotJson, json_data

from .kept import resolved_payload, split
from .spec import ActionOutcome, ActionSpec, tail

__all__ = ["run_spec", "run_split"]

_REGISTRIES: dict[str, ActionRegistry] = {}
"""This worker process's registry (resolutions cached across attempts)."""


def _registry() -> ActionRegistry:
    registry = _REGISTRIES.get("")
    if registry is None:
        registry = _REGISTRIES[""] = ActionRegistry()
    return registry


def _call(spec: ActionSpec) -> Call:
    c = spec.call
    return Call(execution_id=c.execution_id, task=c.task, route=c.route, item=c.item,
                attempt=c.attempt, action=c.action, timeout=c.timeout,
                idempotency_key=c.idempotency_key)


def _python(spec: ActionSpec, call: Call) -> Any:
    return invoke(_registry().resolve(spec.ref, task=spec.call.task), spec.input, call)


def _shell(spec: ActionSpec, call: Call) -> Any:
    return core_local(list(spec.argv), cwd=spec.cwd, env=spec.env,  # type: ignore[arg-type]
                      timeout=spec.timeout, shell=False, stdin=spec.stdin, call=call)


def _http(spec: ActionSpec, call: Call) -> Any:
    return core_http(**dict(spec.request or {}), call=call)


_KINDS: Mapping[str, Callable[[ActionSpec, Call], Any]] = {
    "python": _python, "shell": _shell, "http": _http}


def _ended(outcome: Outcome, result: Any, error: str | None) -> ActionOutcome:
    """The outcome of an attempt that returned or raised ``result`` (its JSON checked)."""
    try:
        result = json_data(result)
    except NotJson as exc:
        return ActionOutcome(outcome=Outcome.FAILED.value, error=f"bad_result: the result is "
                             f"not JSON ({exc})")
    shell = result if isinstance(result, dict) and "return_code" in result else {}
    return ActionOutcome(outcome=outcome.value, result=result, error=error,
                         stdout=tail(shell.get("stdout")), stderr=tail(shell.get("stderr")),
                         return_code=shell.get("return_code"))


def perform(spec: ActionSpec) -> ActionOutcome:
    """Run ``spec`` here and return how it ended (see the module docstring)."""
    try:
        result = _KINDS[spec.kind](spec, _call(spec))
    except ActionTimedOut as exc:
        return _ended(Outcome.TIMED_OUT, exc.result, str(exc))
    except ActionFailed as exc:
        return _ended(Outcome.FAILED, exc.result, str(exc))
    except Exception as exc:  # the action's own failure: an outcome, never a raise
        return ActionOutcome(outcome=Outcome.FAILED.value, error=f"{type(exc).__name__}: {exc}")
    return _ended(Outcome.SUCCEEDED, result, None)


def _spec(payload: Mapping[str, Any], values: Sequence[Any]) -> ActionSpec | ActionOutcome:
    try:
        return ActionSpec.from_json(resolved_payload(payload, values) if values else payload)
    except (KeyError, TypeError, ValueError) as exc:
        return ActionOutcome(outcome=Outcome.FAILED.value, error=f"not an action spec: {exc}")


def run_spec(payload: Mapping[str, Any], *values: Any) -> dict[str, Any]:
    """Run the spec ``payload`` (an :meth:`ActionSpec.to_json`) and return its outcome's
    JSON. ``values`` are those of the reference records of its input, in
    :func:`~runtime.executors.kept.references` order (the executor resolved them). A payload
    that is no spec fails the attempt (it is not raised)."""
    spec = _spec(payload, values)
    return (spec if isinstance(spec, ActionOutcome) else perform(spec)).to_json()


def run_split(payload: Mapping[str, Any], *values: Any) -> tuple[dict[str, Any], Any]:
    """:func:`run_spec`, and the result apart (None: it is in the outcome) when its JSON is
    bigger than the spec's ``keep_over`` (:func:`~runtime.executors.kept.split`)."""
    spec = _spec(payload, values)
    if isinstance(spec, ActionOutcome):
        return spec.to_json(), None
    outcome, result = split(perform(spec), spec.keep_over)
    return outcome.to_json(), result
