"""Telling systemd how the daemon is doing (``sd_notify``), without a library.

With ``Type=notify`` systemd sets ``NOTIFY_SOCKET`` (a path, or ``@name`` for an abstract
socket) and waits for ``READY=1``; the daemon also sends ``STOPPING=1`` when it drains and
``RELOADING=1`` (with ``MONOTONIC_USEC``, as ``Type=notify-reload`` wants) then ``READY=1``
around a SIGHUP reload. Without ``NOTIFY_SOCKET`` :func:`notify` does nothing.

Misuse: a failure to notify is logged, never raised: systemd is a spectator, not a
dependency; do not send secrets in a status line.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping

__all__ = ["notify", "reloading"]


def notify(message: str, env: Mapping[str, str] = os.environ) -> bool:
    """Send ``message`` (``READY=1`` ...) to ``$NOTIFY_SOCKET``; whether it was sent."""
    address = env.get("NOTIFY_SOCKET")
    if not address or address[0] not in "/@":
        return False
    target = "\0" + address[1:] if address.startswith("@") else address
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        sock.connect(target)
        sock.sendall(message.encode())
    return True


def reloading() -> str:
    """The ``RELOADING=1`` message, stamped as ``Type=notify-reload`` requires."""
    return f"RELOADING=1\nMONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}"
