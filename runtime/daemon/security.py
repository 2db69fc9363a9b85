"""Who may reach the daemon: a loopback bind, or a token on any other address.

:func:`check_exposure` refuses, before anything binds, a listen address other than loopback
(``127.0.0.0/8``, ``::1``, ``localhost``) when no token is set: an engine that runs shell
commands must not be open to a network without a credential. A host name other than
``localhost`` counts as not loopback (what it resolves to may change).

Misuse: call it with the final settings, before the server binds; the token is compared by
the server (in constant time), not here.
"""

from __future__ import annotations

import ipaddress

from runtime.errors import ConfigError

__all__ = ["check_exposure", "is_loopback"]


def is_loopback(host: str) -> bool:
    """Tell whether ``host`` (an address or ``localhost``) is only reachable from here."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, token: str | None) -> None:
    """Raise :class:`ConfigError` when ``host`` is not loopback and there is no token."""
    if token is None and not is_loopback(host):
        raise ConfigError(source="listen", key="token", problem=(
            f"refusing to listen on {host}, which is not a loopback address, without a "
            "token: give --token-file F (or $TROUPE_TOKEN), or listen on 127.0.0.1"))
