"""StackStorm's key names: which scope a name reads, and the key it is stored under.

``system.K`` is the system-scoped key ``K``; ``user.K`` and a name without a prefix are the
user-scoped key ``K`` of the current user, stored as ``USER:K`` in scope ``user`` (as
StackStorm stores them, so ``st2kv('my_key')`` reads the user's own key, as its docs say).
An execution's user is its ``ctx().st2.user`` (the ``user`` option, else
:func:`login_user`: ``$TROUPE_USER``, else the login name of the process).

Misuse: a name is parsed once, here; do not split names on ``.`` elsewhere (a key may hold
dots: ``system.a.b`` is the key ``a.b``).
"""

from __future__ import annotations

import getpass
import os

from runtime.errors import KvError

__all__ = ["SCOPES", "SYSTEM", "USER", "current_user", "login_user", "shown", "stored_key"]

SYSTEM = "system"
USER = "user"
SCOPES = (SYSTEM, USER)
USER_ENV = "TROUPE_USER"


def login_user() -> str | None:
    """Who runs this process: ``$TROUPE_USER``, else the login name (None: neither is
    known, e.g. a container without a passwd entry)."""
    try:
        return os.environ.get(USER_ENV) or getpass.getuser()
    except (KeyError, OSError):
        return None


def current_user() -> str:
    """Whose user-scoped keys bare names read: :func:`login_user`, else ``troupe``."""
    return login_user() or "troupe"


def stored_key(name: str, user: str, *, default_scope: str = USER) -> tuple[str, str]:
    """``(scope, key)`` a name is stored under; a bare name is in ``default_scope``."""
    if not isinstance(name, str) or not name:
        raise KvError(key=str(name), problem="a key is a non-empty string")
    prefix, dot, rest = name.partition(".")
    scope = prefix if dot and prefix in SCOPES and rest else default_scope
    key = rest if scope == prefix and dot and rest else name
    return (scope, f"{user}:{key}") if scope == USER else (scope, key)


def shown(scope: str, key: str, user: str) -> str:
    """The name ``st2kv`` reads a stored pair by (``system.K``, or ``user.K`` for the
    current user's own keys; another user's key as ``user.OTHER:K``)."""
    if scope == USER and key.startswith(f"{user}:"):
        return f"{USER}.{key[len(user) + 1:]}"
    return f"{scope}.{key}"
