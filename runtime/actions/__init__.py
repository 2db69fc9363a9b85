"""Actions: the units of work tasks run, how references find them and how they are called.

:class:`ActionRegistry` resolves a reference (``core.local``, ``python:pkg.mod:fn``, a user
function, an installed plugin) to an :class:`Action`; :func:`invoke` calls it with plain
inputs and, when it asks for it, the :class:`Call` record of the attempt. An action fails by
raising :class:`ActionFailed` (with a ``result``) and runs out of its own time by raising
:class:`ActionTimedOut`. :data:`BUILTIN_ACTIONS` maps the ``core.*`` references to
functions. An action declares whether an attempt may run twice with :func:`idempotent` (the
default is not); :func:`is_idempotent` answers it for one attempt (the engine asks before
re-sending an attempt after a crash).

Misuse: do not call ``action.fn`` directly from the engine (inputs would not be thawed or
checked, and ``call`` not passed); do not resolve references on every task run: resolve at
load time and keep the :class:`Action`.
"""

from __future__ import annotations

from runtime.actions.builtin import BUILTIN_ACTIONS
from runtime.actions.call import Call, idempotency_key
from runtime.actions.idempotency import idempotent
from runtime.actions.registry import Action, ActionRegistry, invoke, is_idempotent
from runtime.errors import ActionFailed, ActionTimedOut

__all__ = [
    "BUILTIN_ACTIONS",
    "Action",
    "ActionFailed",
    "ActionRegistry",
    "ActionTimedOut",
    "Call",
    "idempotency_key",
    "idempotent",
    "invoke",
    "is_idempotent",
]
