"""Inquiries: a question a workflow asks a person, and waits on until it is answered.

An :class:`Inquiry` is opened by the state machine for an Attune task's ``wait_for:
{inquiry: ...}`` (the task's action runs once it is answered) or an Orquesta task whose action
is ``core.ask`` (StackStorm's inquirer: the workflow pauses, the answer is the task's
``result().response``). Its status goes from ``pending`` to ``answered``, ``timed_out``
(its ``timeout``, or ``ttl`` minutes for ``core.ask``) or ``canceled`` (its execution ended
first). An answer is checked against the inquiry's JSON schema (:func:`schema_errors`) before
it reaches the workflow; an invalid one is refused (:class:`InvalidResponse`) and the
inquiry stays pending.

The ids are stable (``EXECUTION.inquiry.RUN``): replaying the journal opens the same
inquiry again under the same id.

Misuse: never change an inquiry's fields in place (records are frozen; the machine keeps
the current one in its state); do not validate a response anywhere but here.
"""

from __future__ import annotations

import enum
from typing import Any

import jsonschema

from runtime.errors import TroupeError
from runtime.masking import MASK
from runtime.records import record
from runtime.values import freeze, thaw

__all__ = [
    "ASK_ACTION",
    "DEFAULT_SCHEMA",
    "DEFAULT_TTL_MINUTES",
    "Inquiry",
    "InquiryClosed",
    "InquiryNotFound",
    "InquiryNotLive",
    "InquiryStatus",
    "InvalidResponse",
    "inquiry_id",
    "inquiry_json",
    "masked_response",
    "schema_errors",
    "schema_problem",
    "secret_values",
    "st2_schema",
    "with_defaults",
]

ASK_ACTION = "core.ask"
"""The action reference that opens an inquiry (StackStorm's inquirer runner)."""

DEFAULT_SCHEMA: dict[str, Any] = {
    "title": "response_data",
    "type": "object",
    "properties": {"continue": {"type": "boolean",
                                "description": "Would you like to continue the workflow?"}},
    "required": ["continue"],
}
"""``core.ask``'s schema when the task gives none (StackStorm's default)."""

DEFAULT_TTL_MINUTES = 1440
"""``core.ask``'s ``ttl`` when the task gives none (StackStorm's default, one day)."""


class InquiryStatus(enum.StrEnum):
    """Where an inquiry is in its life."""

    PENDING = "pending"
    ANSWERED = "answered"
    TIMED_OUT = "timed_out"
    CANCELED = "canceled"


@record
class Inquiry:
    """One inquiry, as the engine, the HTTP API and the CLI show it."""

    id: str
    execution_id: str
    task: str
    route: int
    run: int
    status: InquiryStatus = InquiryStatus.PENDING
    prompt: str | None = None
    schema: Any = None
    """The JSON schema a response must satisfy (frozen), or None (any JSON object)."""
    assigned_to: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    response: Any = None
    opened_at: float = 0.0
    answered_at: float | None = None
    """When it was answered, timed out or canceled."""
    expires_at: float | None = None
    """When it times out (None: it waits for ever)."""
    ask: bool = False
    """True: a ``core.ask`` task (its answer is the task's result; it pauses the workflow);
    False: an Attune ``wait_for`` (its answer lets the task's action start)."""
    ttl: float | None = None
    """``core.ask``'s ``ttl`` in minutes, as given (part of its result)."""

    @property
    def pending(self) -> bool:
        """Tell whether it still waits for an answer."""
        return self.status is InquiryStatus.PENDING


def inquiry_id(execution_id: str, run: int) -> str:
    """The stable id of the inquiry run ``run`` of execution ``execution_id`` opens."""
    return f"{execution_id}.inquiry.{run}"


def inquiry_json(inquiry: Inquiry) -> dict[str, Any]:
    """The inquiry as JSON data (the shape of the HTTP API and ``--json`` output)."""
    return {
        "id": inquiry.id, "execution_id": inquiry.execution_id, "task": inquiry.task,
        "route": inquiry.route, "item": None, "status": str(inquiry.status),
        "prompt": inquiry.prompt, "schema": thaw(inquiry.schema),
        "assigned_to": list(inquiry.assigned_to), "users": list(inquiry.users),
        "roles": list(inquiry.roles), "response": thaw(inquiry.response),
        "opened_at": inquiry.opened_at, "answered_at": inquiry.answered_at,
        "expires_at": inquiry.expires_at,
    }


def _secret_fields(schema: Any) -> tuple[str, ...]:
    """The top-level response fields the schema marks ``secret: true`` (StackStorm's rule:
    only the schema's own ``properties``, not nested ones)."""
    data = thaw(schema)
    properties = data.get("properties") if isinstance(data, dict) else None
    if not isinstance(properties, dict):
        return ()
    return tuple(name for name, spec in properties.items()
                 if isinstance(spec, dict) and spec.get("secret") is True)


def masked_response(schema: Any, response: Any) -> Any:
    """``response`` as it is shown: each field its schema marks ``secret: true`` is ``***``
    (StackStorm masks them in every API answer; the workflow gets the real values)."""
    secret = _secret_fields(schema)
    data = thaw(response)
    if not secret or not isinstance(data, dict):
        return response
    return freeze({k: MASK if k in secret else v for k, v in data.items()})


def secret_values(schema: Any, response: Any) -> tuple[Any, ...]:
    """The values of ``response``'s secret fields (for the execution's masker, so they are
    masked wherever they travel afterwards: results, publishes, trace lines)."""
    data = thaw(response)
    if not isinstance(data, dict):
        return ()
    return tuple(data[k] for k in _secret_fields(schema) if data.get(k) is not None)


def st2_schema(schema: Any) -> Any:
    """``schema`` with StackStorm's property-level ``required: true`` (draft 3's form, which
    st2's own validator accepts in inquiry and parameter schemas) moved into its object's
    ``required`` list, as draft 4 and later spell it; every other part as it was."""
    if isinstance(schema, list):
        return [st2_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: st2_schema(value) for key, value in schema.items()}
    properties = schema.get("properties")
    if isinstance(properties, dict):
        flagged = [name for name, prop in properties.items()
                   if isinstance(prop, dict) and isinstance(prop.get("required"), bool)]
        if flagged:
            listed = out.get("required")
            names = list(listed) if isinstance(listed, list) else []
            names += [n for n in flagged if properties[n]["required"] and n not in names]
            out["properties"] = {
                name: ({k: v for k, v in prop.items()
                        if not (k == "required" and isinstance(v, bool))}
                       if name in flagged else prop)
                for name, prop in out["properties"].items()}
            if names:
                out["required"] = names
    return out


def with_defaults(schema: Any, response: Any) -> Any:
    """``response`` with the ``default`` of each property its schema declares and it lacks,
    at every depth of nested objects (StackStorm fills them in before it checks an answer,
    so a workflow can read ``result().response.x`` for an ``x`` nobody gave)."""
    schema, data = thaw(schema), thaw(response)
    return freeze(_fill(schema, data)) if isinstance(schema, dict) else response


def _fill(schema: dict[str, Any], data: Any) -> Any:
    properties = schema.get("properties")
    if not isinstance(data, dict) or not isinstance(properties, dict):
        return data
    filled = dict(data)
    for name, prop in properties.items():
        if not isinstance(prop, dict):
            continue
        if name in filled:
            filled[name] = _fill(prop, filled[name])
        elif "default" in prop:
            filled[name] = prop["default"]
    return filled


def schema_errors(schema: Any, response: Any) -> tuple[dict[str, Any], ...]:
    """Why ``response`` does not satisfy ``schema``: one ``{path, message}`` per problem
    (empty when it does). A response must be a JSON object; no schema accepts any object."""
    data = thaw(response)
    if not isinstance(data, dict):
        return ({"path": [], "message": "a response must be a JSON object"},)
    if schema is None:
        return ()
    validator = jsonschema.Draft7Validator(st2_schema(thaw(schema)))
    found = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.path])
    return tuple({"path": list(error.path), "message": error.message} for error in found)


def schema_problem(schema: Any) -> str | None:
    """Why ``schema`` is not a usable JSON schema (None when it is)."""
    try:
        jsonschema.Draft7Validator.check_schema(st2_schema(thaw(schema)))
    except jsonschema.SchemaError as exc:
        return str(exc.message)
    return None


class InquiryNotFound(TroupeError):
    """No inquiry with this id is known to the engine."""

    def __init__(self, inquiry: str) -> None:
        self.inquiry = inquiry
        super().__init__(f"no inquiry {inquiry!r}")


class InquiryClosed(TroupeError):
    """The inquiry no longer takes an answer: ``status`` is its status as last recorded
    (answered, timed_out or canceled; pending when its execution ended without closing it);
    ``reason`` says why when it is not the inquiry's own status (its execution ended:
    ``execution_status``)."""

    def __init__(self, inquiry: str, status: str, *, reason: str | None = None,
                 execution_status: str | None = None) -> None:
        self.inquiry = inquiry
        self.status = status
        self.reason = reason
        self.execution_status = execution_status
        super().__init__(f"inquiry {inquiry!r} is {status}" + (f": {reason}" if reason else ""))


class InquiryNotLive(TroupeError):
    """The inquiry waits for an answer, but its execution does not run in this engine: it is
    unfinished in the store (``execution_status``) and takes answers once an engine
    recovers it (a restart of the daemon, ``troupe recover``)."""

    def __init__(self, inquiry: str, execution_id: str, execution_status: str) -> None:
        self.inquiry = inquiry
        self.execution_id = execution_id
        self.execution_status = execution_status
        self.reason = (f"its execution {execution_id} ({execution_status}) is not running in "
                       "this engine; it takes answers once recovered")
        super().__init__(f"inquiry {inquiry!r}: {self.reason}")


class InvalidResponse(TroupeError):
    """A response the inquiry's schema refuses; ``errors``: ``{path, message}`` each. The
    inquiry stays pending."""

    def __init__(self, inquiry: str, errors: tuple[dict[str, Any], ...]) -> None:
        self.inquiry = inquiry
        self.errors = errors
        first = errors[0]["message"] if errors else "invalid"
        super().__init__(f"inquiry {inquiry!r}: invalid response: {first}")
