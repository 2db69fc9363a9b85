"""Tests of core.sleep: normal return, cancellation, task timeout, no leaked descriptors."""

from __future__ import annotations

import gc
import threading
import time

import pytest

from runtime.actions import ActionFailed, ActionTimedOut, Call
from runtime.actions.builtin import core_sleep
from tests.actions.support import Registrations, open_fds

pytestmark = pytest.mark.timeout(30)


def test_short_sleep_returns_none() -> None:
    """A short sleep returns after at least that long."""
    start = time.monotonic()
    core_sleep(0.01, call=Registrations().call())
    assert time.monotonic() - start >= 0.01


def test_zero_and_negative_return_at_once() -> None:
    """Zero or negative seconds return without waiting."""
    start = time.monotonic()
    core_sleep(0, call=Registrations().call())
    core_sleep(-1, call=Registrations().call())
    assert time.monotonic() - start < 5


def test_cancel_at_registration_fails_at_once() -> None:
    """A kill called as soon as it is registered ends a 30 s sleep with ActionFailed."""
    start = time.monotonic()
    with pytest.raises(ActionFailed):
        core_sleep(30, call=Registrations(kill_immediately=True).call())
    assert time.monotonic() - start < 5


def test_cancel_from_another_thread() -> None:
    """Calling the registered kill from another thread wakes the sleep."""
    stub = Registrations()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            core_sleep(30, call=stub.call())
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    assert stub.registered.wait(10)
    stub.kills[0]()
    worker.join(10)
    assert not worker.is_alive()
    assert [type(e) for e in errors] == [ActionFailed]


def test_task_timeout_shorter_than_sleep_times_out() -> None:
    """A task timeout below the requested seconds raises ActionTimedOut after the timeout."""
    start = time.monotonic()
    with pytest.raises(ActionTimedOut):
        core_sleep(30, call=Registrations().call(timeout=0.01))
    assert time.monotonic() - start < 5


def test_task_timeout_longer_than_sleep_is_fine() -> None:
    """A task timeout above the requested seconds does not fail the sleep."""
    core_sleep(0.01, call=Registrations().call(timeout=10))


@pytest.mark.parametrize("seconds", ["1", None, True])
def test_bad_seconds_fail(seconds: object) -> None:
    """A non-number seconds input fails."""
    with pytest.raises(ActionFailed):
        core_sleep(seconds, call=Registrations().call())  # type: ignore[arg-type]


def test_late_kill_is_harmless_and_descriptors_are_released() -> None:
    """A kill after the sleep ended does nothing, and dropping it releases the pipe."""
    gc.collect()
    before = open_fds()
    stub = Registrations()
    core_sleep(0, call=stub.call())
    stub.kills[0]()
    stub.kills.clear()
    gc.collect()
    assert open_fds() == before


def test_default_call_releases_descriptors() -> None:
    """With the default on_cancel nothing keeps the pipe open after the sleep."""
    gc.collect()
    before = open_fds()
    core_sleep(0, call=Call(execution_id="e", task="t"))
    assert open_fds() == before
