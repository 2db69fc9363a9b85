"""Shared fixtures: every test runs with a timeout, no actor outlives its test, and no test
leaves worker permits taken from the process's budget.

Under ``CI=true`` Hypothesis runs the ``ci`` profile: derandomized (the same examples on
every run, so a CI failure reproduces locally with ``CI=true``), printing the blob that
reproduces a failing example; elsewhere the default (random) profile explores further.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pykka
import pytest
from hypothesis import settings

IN_CI = os.environ.get("CI", "").lower() == "true"
"""Running under CI (``.ci/run`` sets ``CI=true``)."""

os.environ.pop("TROUPE_STORE", None)  # a developer's own store never receives test runs

settings.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    settings.load_profile("ci")


@pytest.fixture
def worker_limit() -> Iterator[Callable[[int], None]]:
    """``set_worker_limit`` for the test; the process's limit is put back after it (once
    the test's actors have stopped)."""
    from actors.capacity import WORKERS
    from runtime.api import set_worker_limit

    old = WORKERS.usage()[1]
    yield set_worker_limit
    pykka.ActorRegistry.stop_all(block=True, timeout=10)
    set_worker_limit(old)


@pytest.fixture(autouse=True)
def _stop_all_actors() -> Iterator[None]:
    yield
    pykka.ActorRegistry.stop_all(block=True, timeout=10)
    from actors.capacity import WORKERS

    used, _limit, waiting = WORKERS.usage()
    assert (used, waiting) == (0, 0), "worker permits leaked by this test"
