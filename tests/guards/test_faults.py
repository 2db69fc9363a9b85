"""Faults in actions end cleanly: an action raising BaseException, SystemExit or
KeyboardInterrupt, one that never returns (with a timeout, or canceled), one whose parent
is gone when it reports, a timer armed before a cancel, and one that takes the process with
it (os._exit: recovered by the durable engine). Each ends with an error
record; the process stays up; the autouse leak check (tests/conftest.py) finds no actor or
worker permit left."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime import Engine, start_workflow

pytestmark = pytest.mark.timeout(60)

ONE_TASK = """
version: 1.0
tasks:
  t:
    action: my.act
{extra}
"""


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """An event a hanging action waits on, set when the test ends (its thread then exits)."""
    event = threading.Event()
    yield event
    event.set()


def _raising(exc: BaseException) -> Callable[[], Any]:
    def act() -> Any:
        raise exc

    return act


@pytest.mark.parametrize("exc", [BaseException("base"), SystemExit(3), KeyboardInterrupt(),
                                 GeneratorExit()], ids=lambda e: type(e).__name__)
def test_an_action_raising_a_base_exception_fails_its_attempt(exc: BaseException) -> None:
    before = threading.active_count()
    result = start_workflow(ONE_TASK.format(extra=""), actions={"my.act": _raising(exc)}
                            ).wait(timeout=30)
    assert result.status == "failed"
    (error,) = result.errors
    assert (error.kind, error.task) == ("action_failed", "t")
    assert type(exc).__name__ in error.message
    assert threading.active_count() <= before + 8  # the worker pool, not one per fault


def test_an_action_that_never_returns_ends_at_its_timeout(release: threading.Event) -> None:
    def hang() -> Any:
        release.wait()
        return "late"

    result = start_workflow(ONE_TASK.format(extra="    timeout: 1"),
                            actions={"my.act": hang}).wait(timeout=30)
    assert result.status == "failed"
    assert [(e.kind, e.task) for e in result.errors] == [("action_timed_out", "t")]


def test_an_action_that_never_returns_is_canceled(release: threading.Event) -> None:
    running = threading.Event()

    def hang() -> Any:
        running.set()
        release.wait()
        return "late"

    handle = start_workflow(ONE_TASK.format(extra=""), actions={"my.act": hang})
    assert running.wait(timeout=20)
    handle.cancel("test")
    result = handle.wait(timeout=30)
    assert result.status == "canceled"


def test_a_late_report_after_a_cancel_is_ignored(release: threading.Event) -> None:
    """The action returns after its execution was canceled: nothing changes, nothing breaks."""
    running = threading.Event()
    returned = threading.Event()

    def slow() -> Any:
        running.set()
        release.wait()
        returned.set()
        return "late"

    handle = start_workflow(ONE_TASK.format(extra=""), actions={"my.act": slow})
    assert running.wait(timeout=20)
    handle.cancel("test")
    result = handle.wait(timeout=30)
    release.set()
    assert returned.wait(timeout=20)
    assert result.status == "canceled"
    assert handle.wait(timeout=5).status == "canceled"


OS_EXIT_SCRIPT = textwrap.dedent("""
    import os, sys
    from runtime import Engine

    WORKFLOW = '''
    version: 1.0
    tasks:
      first:
        action: core.noop
        next: [{do: fatal}]
      fatal:
        action: my.fatal
    output: [{done: '{{ result() }}'}]
    '''

    def fatal():
        os._exit(7)  # takes the process with it, mid-action

    with Engine(store=sys.argv[1], actions={"my.fatal": fatal}) as engine:
        engine.start_workflow(WORKFLOW).wait(timeout=30)
""")


def test_an_action_calling_os_exit_takes_the_process_and_recovery_finishes_it(
        tmp_path: Path) -> None:
    """os._exit cannot be caught: the process dies (documented); the durable engine's
    recovery finds the execution unfinished and ends it (the attempt in flight is not
    known to be idempotent: its outcome is unknown, as after a SIGKILL)."""
    store = f"sqlite:///{tmp_path / 'troupe.db'}"
    script = tmp_path / "victim.py"
    script.write_text(OS_EXIT_SCRIPT)
    root = Path(__file__).resolve().parents[2]
    died = subprocess.run([sys.executable, str(script), store], cwd=root, timeout=50,
                          capture_output=True, text=True, check=False,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    assert died.returncode == 7, died.stderr

    def fine() -> str:
        return "fine"

    with Engine(store=store, actions={"my.fatal": fine}) as engine:
        handles = list(engine.recover())
        assert len(handles) == 1
        result = handles[0].wait(timeout=30)
    assert result.status in ("succeeded", "failed")
    ran = {t.name for t in result.tasks}
    assert "fatal" in ran
    if result.status == "failed":  # the attempt in flight: outcome unknown
        assert "fatal" in {e.task for e in result.errors}, result.errors


def test_a_report_reaching_a_parent_that_is_gone_is_dropped_cleanly(
        caplog: pytest.LogCaptureFixture) -> None:
    """The supervisor stops (an engine closing abandons it) while its action runs: the
    worker's report finds no parent; the worker neither crashes nor stays behind (the
    autouse leak check), and nothing is logged as an unhandled error."""
    entered, release, returned = threading.Event(), threading.Event(), threading.Event()

    def act() -> str:
        entered.set()
        release.wait(timeout=30)
        returned.set()
        return "late"

    handle = start_workflow(ONE_TASK.format(extra=""), actions={"my.act": act})
    assert entered.wait(timeout=30)
    handle.abandon()
    release.set()
    assert returned.wait(timeout=30)
    from actors.capacity import WORKERS

    WORKERS.stop_idle()
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


def test_a_timer_armed_before_a_cancel_never_starts_its_task() -> None:
    """A task waiting on its ``delay`` when the workflow is canceled: the timer is taken
    back, the task ends canceled without its action ever being called."""
    called = threading.Event()
    workflow = ONE_TASK.format(extra="    delay: 0.3\n")
    handle = start_workflow(workflow, actions={"my.act": called.set})
    handle.cancel()
    result = handle.wait(timeout=30)
    assert result.status == "canceled"
    assert [t.status for t in result.tasks if t.name == "t"] in ([], ["canceled"])
    assert not called.is_set()
