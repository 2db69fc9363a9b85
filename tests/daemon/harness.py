"""Daemons in subprocesses for the tests: started on a port the system picks on 127.0.0.1,
with a SQLite store in the test's directory, and waited for through ``NOTIFY_SOCKET``.

    with Notifications() as notes:
        daemon = Daemon.start(tmp_path, notes)     # returns once READY=1 arrived
        daemon.url                                 # http://127.0.0.1:PORT
        daemon.stop(signal.SIGTERM)                # its exit code

Readiness is the ``READY=1`` datagram the daemon sends to a socket this harness binds (no
polling), whose ``STATUS=serving on URL`` says where it listens (``--listen 127.0.0.1:0``,
so that no two tests race for a port).

Misuse: one :class:`Notifications` per daemon at a time (messages are not tagged by
process); always stop or kill what you start (the fixture ``daemons`` does).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def env_for(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a daemon or client process: this checkout importable, no store or
    token of the developer's, and ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TROUPE_") and k != "NOTIFY_SOCKET"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.update(extra or {})
    return env


class Notifications:
    """A datagram socket standing for systemd's ``NOTIFY_SOCKET`` (a short path in /tmp, since
    an abstract socket would not cross into a network namespace)."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="tn", dir="/tmp")
        self.path = os.path.join(self.dir, "n")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)

    def __enter__(self) -> Notifications:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def next(self, timeout: float = 60.0) -> str:
        """The next message (raises TimeoutError when none comes within ``timeout`` s)."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(4096).decode()
        except TimeoutError:
            raise TimeoutError(f"no notification within {timeout} s") from None

    def until(self, wanted: str, timeout: float = 60.0) -> list[str]:
        """Every message up to and including the first that starts with ``wanted``."""
        seen = []
        while True:
            message = self.next(timeout)
            seen.append(message)
            if message.startswith(wanted):
                return seen


STARTED: list[subprocess.Popen[bytes]] = []
"""Every daemon process started, for the ``conftest`` fixture that kills what a failed test
left running."""


class Daemon:
    """One ``troupe daemon`` subprocess."""

    def __init__(self, proc: subprocess.Popen[bytes], log: Path, store: str, url: str) -> None:
        self.proc = proc
        self.log = log
        self.store = store
        self.url = url

    @classmethod
    def start(cls, workdir: Path, notes: Notifications, *, args: Sequence[str] = (),
              env: dict[str, str] | None = None, store: str | None = None,
              listen: str = "127.0.0.1:0", timeout: float = 90.0) -> Daemon:
        """Start a daemon and return once it is ready (its log in ``workdir/daemon-N.log``)."""
        store = store or f"sqlite:///{workdir / 'troupe.db'}"
        number = len(list(workdir.glob("daemon-*.log")))
        log = workdir / f"daemon-{number}.log"
        with log.open("wb") as out, log.with_suffix(".err").open("wb") as err:
            proc = subprocess.Popen(
                [PYTHON, "-m", "runtime.cli", "daemon", "--store", store, "--listen", listen,
                 *args],
                stdout=out, stderr=err, cwd=workdir,
                env=env_for({"NOTIFY_SOCKET": notes.path, **(env or {})}))
        STARTED.append(proc)
        daemon = cls(proc, log, store, "")
        try:
            ready = notes.until("READY=1", timeout)[-1]
        except TimeoutError:
            proc.kill()
            proc.wait()
            raise AssertionError(f"the daemon did not get ready:\n{log.read_text()}\n"
                                 f"{log.with_suffix('.err').read_text()}") from None
        daemon.url = ready.partition("STATUS=serving on ")[2].split()[0]
        return daemon

    def logged(self, event: str) -> list[dict[str, Any]]:
        """The log lines of ``event`` so far (every line must be JSON)."""
        lines = [json.loads(line) for line in self.log.read_text().splitlines() if line]
        return [line for line in lines if line.get("event") == event]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 90.0) -> int:
        """Send ``sig`` and return the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL: the crash."""
        self.proc.kill()
        self.proc.wait(timeout=30)


def troupe(*args: str, env: dict[str, str] | None = None, timeout: float = 120.0
           ) -> subprocess.CompletedProcess[str]:
    """Run the ``troupe`` command line (the client) and return what it did."""
    return subprocess.run([PYTHON, "-m", "runtime.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env_for(env), timeout=timeout, check=False)


def submit(http: httpx.Client, workflow: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """POST an execution; the answer (raises unless 201)."""
    answer = http.post("/api/v1/executions", json={"workflow": workflow,
                                                    "parameters": parameters})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def finished(http: httpx.Client, execution_id: str, timeout: float = 120.0) -> dict[str, Any]:
    """Wait for the execution's end on its event stream (which closes when it ends), then
    return the execution."""
    with http.stream("GET", f"/api/v1/executions/{execution_id}/events",
                     headers={"Accept": "text/event-stream"}, timeout=timeout) as stream:
        assert stream.status_code == 200, stream.read()
        for line in stream.iter_lines():
            if line == "event: end":
                break
    answer = http.get(f"/api/v1/executions/{execution_id}")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body
