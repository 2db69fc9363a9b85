"""StackStorm's runtime context of an Orquesta workflow: what ``ctx().st2`` reads.

StackStorm's Orquesta runner puts a ``st2`` mapping into every workflow's context
(``action_execution_id``, ``api_url``, ``user``, ``pack``, and ``workflow_execution_id``);
workflows read it as ``ctx().st2.user`` (Jinja) or ``<% ctx(st2).user %>`` (YAQL). Troupe
fills it honestly: both ids are Troupe's execution id (one execution is both the action and
the workflow execution), ``user`` is whoever started it (the ``user`` option of
``start_workflow`` / ``Engine``, else ``$TROUPE_USER``, else the operating-system user of the
process; the user whose keys ``st2kv`` reads, :mod:`runtime.kv.names`), ``api_url``
the daemon's API when the daemon runs it, else null, ``pack`` null (Troupe has no packs).

:func:`environment` is computed once, where the execution starts (it reads the OS user);
the result travels in the journaled ``WorkflowRequested`` event, so a replay sees the same
values; :func:`st2_context` builds the mapping from it inside the machine (pure).

Misuse: only the Orquesta dialect gets it (Attune has no ``ctx()``); never put secrets in
the environment: it is journaled and every expression can read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyrsistent import PMap, pmap

from runtime.kv.names import login_user

__all__ = ["ST2", "ST2_KEYS", "environment", "st2_context"]

ST2 = "st2"
"""The context variable's name (declared to the static ``ctx()`` check)."""

ST2_KEYS = ("action_execution_id", "workflow_execution_id", "user", "api_url", "pack")
"""The keys of ``ctx().st2``, in the order StackStorm's runner lists them."""


def environment(options: Mapping[str, Any]) -> PMap[str, Any]:
    """Who starts the execution and from where: ``user`` and ``api_url`` from ``options``
    (the user defaults to the OS user; None when even that is unknown)."""
    user = options.get("user")
    if user is None:
        user = login_user()  # $TROUPE_USER, else the login name; None if neither
    api_url = options.get("api_url")
    return pmap({"user": None if user is None else str(user),
                 "api_url": None if api_url is None else str(api_url)})


def st2_context(execution_id: str, env: Mapping[str, Any]) -> PMap[str, Any]:
    """The value of ``ctx().st2`` for an execution started in ``env``."""
    return pmap({"action_execution_id": execution_id, "workflow_execution_id": execution_id,
                 "user": env.get("user"), "api_url": env.get("api_url"), "pack": None})
