"""What crosses an executor's seam: the action spec out, the outcome back, both JSON.

An :class:`ActionSpec` is one attempt as data: which kind of action (``python``: a
reference the far side resolves, ``shell``: an argv with cwd, env, stdin and timeout,
``http``: a request), its rendered input, the :class:`CallSpec` (the attempt's identity and
idempotency key), whether it may run twice, and where it may run (resources, runtime_env).
An :class:`ActionOutcome` is how the attempt ended: an :class:`~runtime.status.Outcome`
value, the result, the tails of stdout and stderr, the return code, the error text.
``to_json``/``from_json`` round-trip both through plain dicts (``json.dumps`` takes them).

Misuse: build specs with :func:`runtime.executors.build_spec` (it checks the input is
JSON); never put a live object (a function, a socket, a pmap) in either record; a spec
describes one attempt: a retry gets a new one (new attempt number, new key).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.records import record

__all__ = ["TAIL", "ActionOutcome", "ActionSpec", "CallSpec", "tail"]

TAIL = 4096
"""Characters of stdout and stderr an outcome keeps (the end of each)."""

KINDS = ("python", "shell", "http")
"""The kinds of action a spec describes."""


def tail(text: Any) -> str:
    """The last :data:`TAIL` characters of ``text`` (``""`` for anything but a string)."""
    return text[-TAIL:] if isinstance(text, str) else ""


@record
class CallSpec:
    """The attempt's :class:`~runtime.actions.Call` record, without its cancel hook."""

    execution_id: str
    task: str
    route: int = 0
    item: int | None = None
    attempt: int = 1
    action: str = ""
    timeout: float | None = None
    idempotency_key: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"execution_id": self.execution_id, "task": self.task, "route": self.route,
                "item": self.item, "attempt": self.attempt, "action": self.action,
                "timeout": self.timeout, "idempotency_key": self.idempotency_key}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CallSpec:
        return cls(**{key: data[key] for key in _CALL_FIELDS if key in data})


_CALL_FIELDS = ("execution_id", "task", "route", "item", "attempt", "action", "timeout",
                "idempotency_key")


@record
class ActionSpec:
    """One action attempt as JSON-able data (see the module docstring)."""

    kind: str
    """``python``, ``shell`` or ``http``."""
    ref: str
    """The reference the far side resolves (``python``: ``python:mod:fn``, a ``core.*`` or
    plugin name); the written reference for the others."""
    call: CallSpec
    input: Mapping[str, Any] | None = None
    """The rendered input, plain JSON (``python``)."""
    argv: tuple[str, ...] = ()
    """The command to execute, no shell in between (``shell``; ``sh -c`` is in it)."""
    cwd: str | None = None
    env: Mapping[str, str | None] | None = None
    """Set over the far side's environment (``None`` unsets)."""
    stdin: str | None = None
    timeout: float | None = None
    """The command's or request's own limit (the task's is ``call.timeout``)."""
    request: Mapping[str, Any] | None = None
    """``core.http``'s input: url, method, headers, body, timeout, verify_ssl (``http``)."""
    idempotent: bool = False
    """Running it twice is harmless (a lost worker's attempt is run again)."""
    resources: Mapping[str, float] | None = None
    """``num_cpus``, ``num_gpus``, ``memory`` (bytes) it needs."""
    runtime_env: Mapping[str, Any] | None = None
    keep_over: int | None = None
    """A result whose JSON is bigger than this many bytes stays in the executor's object
    store (None: every result travels back; :mod:`runtime.executors.kept`)."""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "ref": self.ref, "call": self.call.to_json(),
                "input": self.input, "argv": list(self.argv), "cwd": self.cwd,
                "env": self.env, "stdin": self.stdin, "timeout": self.timeout,
                "request": self.request, "idempotent": self.idempotent,
                "resources": self.resources, "runtime_env": self.runtime_env,
                "keep_over": self.keep_over}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ActionSpec:
        kind = data.get("kind")
        if kind not in KINDS:
            raise ValueError(f"action spec: kind must be one of {', '.join(KINDS)}, "
                             f"got {kind!r}")
        return cls(kind=kind, ref=str(data["ref"]), call=CallSpec.from_json(data["call"]),
                   input=data.get("input"), argv=tuple(data.get("argv") or ()),
                   cwd=data.get("cwd"), env=data.get("env"), stdin=data.get("stdin"),
                   timeout=data.get("timeout"), request=data.get("request"),
                   idempotent=bool(data.get("idempotent")), resources=data.get("resources"),
                   runtime_env=data.get("runtime_env"), keep_over=data.get("keep_over"))


@record
class ActionOutcome:
    """How one attempt ended, as JSON-able data."""

    outcome: str
    """An :class:`~runtime.status.Outcome` value (``succeeded``, ``failed``,
    ``timed_out``, ``worker_lost``...)."""
    result: Any = None
    stdout: str = ""
    """The end of the command's stdout (shell), at most :data:`TAIL` characters."""
    stderr: str = ""
    return_code: int | None = None
    error: str | None = None
    kept: int | None = None
    """The JSON size of a result left in the object store (then ``result`` is None until
    the executor puts the reference record there)."""

    def to_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "result": self.result, "stdout": self.stdout,
                "stderr": self.stderr, "return_code": self.return_code, "error": self.error,
                "kept": self.kept}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ActionOutcome:
        return cls(outcome=str(data["outcome"]), result=data.get("result"),
                   stdout=data.get("stdout") or "", stderr=data.get("stderr") or "",
                   return_code=data.get("return_code"), error=data.get("error"),
                   kept=data.get("kept"))
