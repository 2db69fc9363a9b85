"""Turning a resolved action and the machine's ``RunAction`` into an :class:`ActionSpec`.

``core.local`` becomes a ``shell`` spec (the argv as ``core.local`` would run it, ``sh -c``
included for a string command; ``kwarg_op`` has no effect on a command, as locally), or,
with ``sudo`` or a ``sudo_password``, a ``python`` spec of ``core.local`` itself (sudo is
found and asked on the host that runs the command, as for ``core.local_sudo``);
``core.http`` becomes an ``http`` spec (its input is the request),
everything else a ``python`` spec naming a reference the far side can resolve: the
reference itself for ``core.*``, ``python:`` and plugin actions, the function's import path
(``python:module:qualname``) for a function given in ``actions=``. A function the far side
could not import (a lambda, a nested function, one in ``__main__``), or an input JSON cannot
hold, is refused (:class:`SpecRefused`): the attempt fails with that reason, it is never
half sent.

Misuse: build the spec on the supervisor's thread, once per attempt; never send a spec
whose building raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.actions import Action, idempotency_key
from runtime.actions.builtin import shell_command
from runtime.commands import RunAction
from runtime.errors import ActionFailed, TroupeError
from runtime.spec.placement import Placement
from runtime.values import NotJson, json_data

from .spec import ActionSpec, CallSpec

__all__ = ["SpecRefused", "build_spec", "importable_ref"]


class SpecRefused(TroupeError):
    """An attempt that cannot be described as JSON for a remote executor (``reason``)."""

    def __init__(self, ref: str, reason: str) -> None:
        self.ref = ref
        self.reason = reason
        super().__init__(f"action {ref!r} cannot run on a remote executor: {reason}")


def importable_ref(action: Action) -> str:
    """The reference the far side resolves ``action`` by (:class:`SpecRefused` if none)."""
    if action.source != "user":
        return action.ref
    fn = action.fn
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", "")
    if not module or module == "__main__" or not qualname or "<" in qualname:
        raise SpecRefused(action.ref, f"the function {qualname or fn!r} given in actions= "
                          "has no import path (define it at the top of an importable module)")
    return f"python:{module}:{qualname}"


def build_spec(action: Action, command: RunAction, execution_id: str, *, idempotent: bool,
               placement: Placement | None = None, keep_over: int | None = None) -> ActionSpec:
    """The spec of one attempt (:class:`SpecRefused` when it cannot be one); ``keep_over``:
    the bytes over which its result stays in the object store (:mod:`.kept`)."""
    try:
        inputs: dict[str, Any] = json_data(command.input) if command.input else {}
    except NotJson as exc:
        raise SpecRefused(action.ref, f"its input is not JSON ({exc})") from None
    call = CallSpec(execution_id=execution_id, task=command.task, route=command.route,
                    item=command.item, attempt=command.attempt, action=command.action or "",
                    timeout=command.timeout,
                    idempotency_key=idempotency_key(execution_id, command.task, command.route,
                                                    command.item, command.attempt,
                                                    command.rerun))
    resources = placement.resources.to_json() if placement and placement.resources else None
    runtime_env = placement.runtime_env_json() if placement else None
    common: dict[str, Any] = {"call": call, "idempotent": idempotent, "resources": resources,
                              "runtime_env": runtime_env, "keep_over": keep_over}
    if action.source == "builtin" and action.ref == "core.local":
        return _shell(action, inputs, common)
    if action.source == "builtin" and action.ref == "core.http":
        return ActionSpec(kind="http", ref=action.ref, request=inputs,
                          timeout=_number(inputs.get("timeout")), **common)
    return ActionSpec(kind="python", ref=importable_ref(action), input=inputs, **common)


_LOCAL_INPUTS = frozenset({"cmd", "cwd", "env", "timeout", "shell", "stdin", "sudo",
                           "sudo_password", "kwarg_op"})
"""What ``core.local`` takes (:func:`runtime.actions.local.core_local`)."""


def _shell(action: Action, inputs: Mapping[str, Any], common: dict[str, Any]) -> ActionSpec:
    unknown = set(inputs) - _LOCAL_INPUTS
    if unknown or "cmd" not in inputs:
        raise SpecRefused(action.ref, f"core.local takes {', '.join(sorted(_LOCAL_INPUTS))} "
                          f"(got {', '.join(sorted(inputs))})")
    if inputs.get("sudo") or inputs.get("sudo_password") is not None:
        # sudo is looked for, and asked, on the host the command runs on: the far side
        # runs core.local itself (as it runs core.local_sudo)
        return ActionSpec(kind="python", ref=action.ref, timeout=_number(inputs.get("timeout")),
                          input={k: v for k, v in inputs.items() if k != "kwarg_op"}, **common)
    try:
        argv = shell_command(inputs["cmd"], inputs.get("shell"))
    except ActionFailed as exc:
        raise SpecRefused(action.ref, str(exc)) from None
    env = inputs.get("env")
    return ActionSpec(kind="shell", ref=action.ref, argv=tuple(argv), cwd=inputs.get("cwd"),
                      env={str(k): None if v is None else str(v) for k, v in env.items()}
                      if isinstance(env, Mapping) else None,
                      stdin=inputs.get("stdin"), timeout=_number(inputs.get("timeout")),
                      **common)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None
