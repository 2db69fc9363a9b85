"""Actions that block until the test lets them go, for daemons in subprocesses
(``troupe daemon --actions tests.daemon.gates:ACTIONS``), and the test's side of the gate.

``gate.wait`` connects to the Unix socket a :class:`Gate` in the test listens on, says which
task it is, and blocks until the test answers: then it returns its ``value``. It is
idempotent (running it again after a crash or a drain is harmless), so an attempt the daemon
abandoned runs again after the restart, and the test sees it connect again. ``gate.once``
is the same, not idempotent.

Misuse: a gate holds actions forever until released; a test must release or close them.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from typing import Any

from runtime.actions import idempotent
from runtime.actions.call import Call
from runtime.errors import ActionFailed


def gate_once(address: str, value: Any = None, *, call: Call) -> Any:
    """Wait at the gate ``address`` until the test lets this attempt go; return ``value``
    (not idempotent: an attempt cut off by a stop ends ``outcome_unknown``)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(address)
        sock.sendall(f"{call.execution_id} {call.task}\n".encode())
        reply = sock.makefile("r").readline()
    if reply.strip() != "go":
        raise ActionFailed("the gate closed")
    return value


@idempotent
def gate_wait(address: str, value: Any = None, *, call: Call) -> Any:
    """:func:`gate_once`, idempotent (run again after a crash or a drain)."""
    return gate_once(address, value, call=call)

ACTIONS = {"gate.wait": gate_wait, "gate.once": gate_once}


class Gate:
    """The test's side: a listening socket; each :meth:`arrival` is one waiting action."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="tg", dir="/tmp")
        self.address = os.path.join(self.dir, "g")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.address)
        self.sock.listen(256)
        self.held: list[socket.socket] = []

    def arrivals(self, count: int, timeout: float = 60.0) -> list[tuple[str, str]]:
        """Wait for ``count`` actions to arrive; their (execution id, task)."""
        seen = []
        self.sock.settimeout(timeout)
        for _ in range(count):
            conn, _ = self.sock.accept()
            conn.settimeout(timeout)
            line = conn.makefile("r").readline().split()
            self.held.append(conn)
            seen.append((line[0], line[1]))
        return seen

    def pending(self) -> int:
        """How many actions arrived and were not accepted yet (without waiting: for a
        daemon that exited, every connection it made is there)."""
        self.sock.setblocking(False)
        count = 0
        try:
            while True:
                conn, _ = self.sock.accept()
                self.held.append(conn)
                count += 1
        except BlockingIOError:
            return count
        finally:
            self.sock.setblocking(True)

    def release(self) -> None:
        """Let every held action go."""
        for conn in self.held:
            try:
                conn.sendall(b"go\n")
            except OSError:
                pass  # its daemon is gone: the attempt runs again after the restart
            conn.close()
        self.held.clear()

    def close(self) -> None:
        for conn in self.held:
            conn.close()
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)
