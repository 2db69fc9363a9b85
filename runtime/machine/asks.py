"""Opening and closing inquiries: a run that waits for a person's answer.

A run opens an inquiry (:mod:`runtime.inquiries`) when it starts: an Attune task with
``wait_for: {inquiry: ...}`` before its input is rendered (:func:`open_wait`), a ``core.ask``
task instead of sending its first attempt (:func:`open_ask`; the workflow pauses at the end
of the step, :func:`pause_for_ask`, as StackStorm's inquirer asks it to). The run is then
``pending``: not in flight (a pause completes around it), still open (the workflow is not
over). A timeout is an ``inquiry`` timer. Every
change is kept in the state (``inquiries``, the Attune ``inquiry.<task>`` namespace) and
reported as an :class:`~runtime.commands.InquiryChanged` notice.

What an answer or a timeout does next is :mod:`runtime.machine.inquiries` (it needs the
run's life, which sits above this module).

Misuse: only the machine calls these, inside one :class:`~runtime.machine.tx.Tx`; close an
inquiry once (:func:`close_inquiry` ignores one already closed).
"""

from __future__ import annotations

from typing import Any

from runtime.commands import CancelTimer, InquiryChanged, SetTimer
from runtime.errors import ExpressionError
from runtime.events import TimerKey, TimerKind
from runtime.inquiries import (
    DEFAULT_SCHEMA,
    DEFAULT_TTL_MINUTES,
    Inquiry,
    InquiryStatus,
    inquiry_id,
    schema_problem,
)
from runtime.records import evolve
from runtime.spec.model import AskDef
from runtime.status import TaskStatus, WorkflowStatus
from runtime.values import freeze, thaw

from .fields import number
from .state import TaskRun
from .tx import Tx

__all__ = ["close_inquiry", "open_ask", "open_wait", "pause_for_ask"]


def open_wait(tx: Tx, run: TaskRun, ask: AskDef) -> None:
    """Open an Attune task's inquiry (its parts rendered now); raises ``ExpressionError``
    when one does not render (the caller fails the run as for any start)."""
    scope = tx.scope(run)
    prompt = ask.prompt.render(scope) if ask.prompt is not None else None
    schema = ask.schema.render(scope) if ask.schema is not None else None
    assigned = ask.assigned_to.render(scope) if ask.assigned_to is not None else ()
    timeout = number(ask.timeout, scope, "wait_for.inquiry.timeout") \
        if ask.timeout is not None else None
    _open(tx, run, _names(assigned), prompt=None if prompt is None else str(prompt),
          schema=schema, timeout=timeout or None)


def open_ask(tx: Tx, run: TaskRun) -> None:
    """Open a ``core.ask`` task's inquiry from its rendered input (``schema``, ``users``,
    ``roles``, ``ttl`` in minutes, as StackStorm's), and pause the workflow (at the end of
    the step); raises ``ExpressionError`` for a schema that is not a JSON schema."""
    given = thaw(run.input) if run.input is not None else {}
    given = given if isinstance(given, dict) else {}
    ttl = given.get("ttl", DEFAULT_TTL_MINUTES)
    ttl = float(ttl) if isinstance(ttl, (int, float)) and not isinstance(ttl, bool) else None
    ttl = ttl if ttl is not None and ttl > 0 else None  # 0: no time limit
    run = tx.update(run, attempt=1)
    _open(tx, run, (), prompt=_text(given.get("prompt")),
          schema=given.get("schema") or DEFAULT_SCHEMA, timeout=ttl * 60 if ttl else None,
          users=_names(given.get("users")), roles=_names(given.get("roles")), ask=True,
          ttl=ttl)
    tx.asked = True


def pause_for_ask(tx: Tx) -> None:
    """At the end of a step that opened a ``core.ask``: pause a running workflow (what the
    step started runs on: StackStorm's inquirer asks for the pause after its own start)."""
    if tx.status is WorkflowStatus.RUNNING:
        tx.status = WorkflowStatus.PAUSING
        tx.ask_paused = True


def _open(tx: Tx, run: TaskRun, assigned: tuple[str, ...], *, prompt: str | None,
          schema: Any, timeout: float | None, users: tuple[str, ...] = (),
          roles: tuple[str, ...] = (), ask: bool = False, ttl: float | None = None) -> None:
    problem = "it is not a mapping" if schema is not None and not isinstance(
        thaw(schema), dict) else (schema_problem(schema) if schema is not None else None)
    if problem is not None:
        raise ExpressionError(f"the inquiry's schema is not a JSON schema: {problem}",
                              expression="", task=run.task,
                              field="input.schema" if ask else "wait_for.inquiry.schema")
    inquiry = Inquiry(
        id=inquiry_id(tx.execution_id, run.id), execution_id=tx.execution_id, task=run.task,
        route=run.route, run=run.id, prompt=prompt, schema=freeze(schema),
        assigned_to=assigned, users=users, roles=roles, opened_at=tx.at,
        expires_at=tx.at + timeout if timeout else None, ask=ask, ttl=ttl)
    tx.update(run, status=TaskStatus.PENDING, started_at=run.started_at or tx.at)
    _keep(tx, inquiry)
    if timeout:
        tx.emit(SetTimer(key=TimerKey(kind=TimerKind.INQUIRY, run=run.id), delay=timeout))


def close_inquiry(tx: Tx, run_id: int, status: InquiryStatus, response: Any = None) -> Inquiry:
    """Close the inquiry of run ``run_id`` with ``status`` (and its timer); the closed
    inquiry (the one already closed, unchanged, if it was)."""
    inquiry = tx.inquiries[run_id]
    if not inquiry.pending:
        return inquiry
    if inquiry.expires_at is not None and status is not InquiryStatus.TIMED_OUT:
        tx.emit(CancelTimer(key=TimerKey(kind=TimerKind.INQUIRY, run=run_id)))
    closed = evolve(inquiry, {"status": status, "response": response, "answered_at": tx.at})
    _keep(tx, closed)
    return closed


def _keep(tx: Tx, inquiry: Inquiry) -> None:
    """Store ``inquiry`` in the state (and the Attune namespace), and report it."""
    tx.inquiries = tx.inquiries.set(inquiry.run, inquiry)
    tx.inquiry_ns = tx.inquiry_ns.set(inquiry.task, freeze({
        "id": inquiry.id, "status": str(inquiry.status), "response": inquiry.response,
        "prompt": inquiry.prompt, "schema": inquiry.schema,
        "assigned_to": list(inquiry.assigned_to), "opened_at": inquiry.opened_at,
        "answered_at": inquiry.answered_at, "expires_at": inquiry.expires_at}))
    tx.emit(InquiryChanged(inquiry=inquiry))


def _names(value: Any) -> tuple[str, ...]:
    """A user or role name, or a list of them, as a tuple of names."""
    if value is None or value == ():
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in thaw(value))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
