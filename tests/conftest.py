"""Shared fixtures: every test runs with a timeout, no actor outlives its test, and no test
leaves worker permits taken from the process's budget."""

from __future__ import annotations

from collections.abc import Iterator

import pykka
import pytest


@pytest.fixture(autouse=True)
def _stop_all_actors() -> Iterator[None]:
    yield
    pykka.ActorRegistry.stop_all(block=True, timeout=10)
    from actors.capacity import WORKERS

    used, _limit, waiting = WORKERS.usage()
    assert (used, waiting) == (0, 0), "worker permits leaked by this test"
