"""The crash harness: SIGKILL a process running 20 durable executions, recover, check.

Each kill point runs :mod:`tests.crash.driver` in a subprocess on a fresh SQLite store,
waits for its ``started`` line (all 20 started, the paused one durably paused), sleeps a
seeded random fraction of the time an uncut run takes after that line (measured once per
session), SIGKILLs it, snapshots the store, runs :mod:`tests.crash.recover` in a new
process, and checks (:mod:`tests.crash.checks`) that every execution ended, the idempotent
ones with the right output, no key was appended twice, no attempt completed before the kill
was called again, and ``outcome unknown`` ended exactly the non-idempotent attempts in
flight at the kill.

20 kill points by default, 200 under ``TROUPE_LONG=1``. The seeds are 0, 1, 2... under
``CI=true`` (derandomized); elsewhere they start at a random base, printed by a failure
(``TROUPE_CRASH_SEED=BASE`` replays a run's sequence).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI

from . import checks
from .recover import REPORT
from .workload import runs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

POINTS = 200 if os.environ.get("TROUPE_LONG") == "1" else 20
BASE_SEED = int(os.environ.get("TROUPE_CRASH_SEED", "0" if IN_CI else
                               str(random.SystemRandom().randrange(2**32))))
ROOT = Path(__file__).resolve().parents[2]
KILL_SPAN = 1.15
"""Kill points spread over the uncut run's time after ``started`` times this (some land
after the end: recovery then continues only the paused execution)."""


SMALL_BUDGET = "6"
"""``TROUPE_MAX_WORKERS`` of every odd kill point: item attempts then wait for a worker
thread (the workload's with-items want ~30 at once), and some are in that wait at the kill."""


def _env(workers: str | None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if workers is not None:
        env["TROUPE_MAX_WORKERS"] = workers
    return env


@contextlib.contextmanager
def _driver(url: str, workdir: Path,
            workers: str | None = None) -> Iterator[subprocess.Popen[str]]:
    """Start the driver, wait for its ``started`` line (a message, not a poll), and kill it
    at the end if it still runs."""
    with (workdir / "driver.err").open("w") as err, subprocess.Popen(
            [sys.executable, "-m", "tests.crash.driver", url, str(workdir)], cwd=ROOT,
            env=_env(workers), stdout=subprocess.PIPE, stderr=err, text=True) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if line != "started\n":
                pytest.fail(f"the driver did not start: {line!r}\n"
                            f"{(workdir / 'driver.err').read_text()}")
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()


def _recover(url: str, workdir: Path, workers: str | None) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.crash.recover", url, str(workdir)], cwd=ROOT,
        env=_env(workers), capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads((workdir / REPORT).read_text(encoding="utf-8"))
    return report


@pytest.fixture(scope="module")
def typical(tmp_path_factory: pytest.TempPathFactory) -> float:
    """Seconds an uncut run takes from its ``started`` line to its end (checked too)."""
    workdir = tmp_path_factory.mktemp("uncut")
    url = f"sqlite:///{workdir / 'troupe.db'}"
    with _driver(url, workdir) as proc:
        began = time.monotonic()
        assert proc.stdout is not None
        line = proc.stdout.readline()
        seconds = time.monotonic() - began
        assert proc.wait(60) == 0 and line.startswith("done ")
    _check(url, workdir, checks.read_store(url), seed=None)
    return seconds


def _check(url: str, workdir: Path, killed: checks.Snapshot, seed: int | None,
           workers: str | None = None) -> None:
    report = _recover(url, workdir, workers)
    final = checks.read_store(url)
    workload = runs(workdir)
    problems = [
        *checks.check_outcomes(workload, report, final),
        *checks.check_recovery(workload, report, killed, final),
        *checks.check_journal(killed, final),
        *checks.check_replays(killed, final),
        *checks.check_calls(workdir, killed, final),
    ]
    assert not problems, (f"seed {seed} (TROUPE_CRASH_SEED={BASE_SEED}), workers {workers}, "
                          f"workdir {workdir}:\n"
                          + "\n".join(problems))


@pytest.mark.parametrize("point", range(POINTS))
def test_a_kill_at_any_moment_recovers_every_execution_exactly_once(
        point: int, typical: float, tmp_path: Path) -> None:
    seed = BASE_SEED + point
    delay = random.Random(seed).uniform(0.0, typical * KILL_SPAN)
    workers = SMALL_BUDGET if point % 2 else None
    url = f"sqlite:///{tmp_path / 'troupe.db'}"
    with _driver(url, tmp_path, workers) as proc:
        time.sleep(delay)  # the kill moment itself, not a wait for threads
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    _check(url, tmp_path, checks.read_store(url), seed, workers)
