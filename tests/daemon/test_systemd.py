"""sd_notify without a library: a datagram to $NOTIFY_SOCKET (a path or an abstract name)."""

from __future__ import annotations

import socket
import time
import uuid

from runtime.daemon.systemd import notify, reloading
from tests.daemon.harness import Notifications


def test_notify_sends_a_datagram_to_the_socket() -> None:
    with Notifications() as notes:
        assert notify("READY=1", {"NOTIFY_SOCKET": notes.path}) is True
        assert notes.next(5) == "READY=1"


def test_notify_reaches_an_abstract_socket() -> None:
    name = f"troupe-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert notify("STOPPING=1", {"NOTIFY_SOCKET": "@" + name}) is True
        assert sock.recv(100) == b"STOPPING=1"


def test_without_a_socket_nothing_is_sent() -> None:
    assert notify("READY=1", {}) is False
    assert notify("READY=1", {"NOTIFY_SOCKET": "relative/path"}) is False


def test_reloading_carries_the_monotonic_clock() -> None:
    first, stamp = reloading().split("\n")
    assert first == "RELOADING=1"
    key, value = stamp.split("=")
    assert key == "MONOTONIC_USEC"
    assert 0 < int(value) <= time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
