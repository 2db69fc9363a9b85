"""Daemons a test started and left running (it failed half-way) are killed after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.daemon.harness import STARTED


@pytest.fixture(autouse=True)
def _no_daemon_outlives_its_test() -> Iterator[None]:
    yield
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
