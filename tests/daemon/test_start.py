"""What stops a daemon at start, with exit code 2: a store that does not open, an address
that cannot be bound, actions that do not import."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from tests.daemon.harness import PYTHON, ROOT, env_for

pytestmark = pytest.mark.timeout(120)


def _daemon(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "runtime.cli", "daemon", *args], capture_output=True,
                          text=True, cwd=tmp_path, env=env_for({"PYTHONPATH": str(ROOT)}),
                          timeout=100, check=False)


def test_a_store_that_does_not_open_exits_2(tmp_path: Path) -> None:
    done = _daemon(tmp_path, "--store", "nosuch://x", "--listen", "127.0.0.1:0")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "start_failed" in done.stdout  # logged as a JSON line, and said on stderr
    assert "nosuch://x" in done.stderr


def test_an_address_in_use_exits_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _daemon(tmp_path, "--store", f"sqlite:///{tmp_path / 't.db'}",
                       "--listen", f"127.0.0.1:{port}")
    assert done.returncode == 2, done.stdout + done.stderr


@pytest.mark.parametrize("ref", ["tests.daemon.nosuchmodule:ACTIONS",
                                 "tests.daemon.gates:NOPE", "tests.daemon.gates:Gate"])
def test_actions_that_are_not_a_mapping_exit_2(tmp_path: Path, ref: str) -> None:
    done = _daemon(tmp_path, "--store", f"sqlite:///{tmp_path / 't.db'}",
                   "--listen", "127.0.0.1:0", "--actions", ref)
    assert done.returncode == 2, done.stdout + done.stderr
    assert ref in done.stderr
