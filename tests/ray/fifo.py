"""A named pipe the tests' actions write a line to when they start (blocking reads, no
polling), and a blocking wait for a process to exit."""

from __future__ import annotations

import os
import select
from pathlib import Path


class Starts:
    """Lines written to a FIFO by attempts as they start."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "starts"
        os.mkfifo(self.path)
        self.fd = os.open(self.path, os.O_RDWR)  # never blocks; writers never see ENXIO
        self.buffer = b""

    def take(self, count: int, within: float = 60.0) -> list[str]:
        """Block until ``count`` more lines came (AssertionError after ``within`` s without
        a line); return them."""
        lines: list[str] = []
        while len(lines) < count:
            while b"\n" not in self.buffer:
                ready, _, _ = select.select([self.fd], [], [], within)
                assert ready, f"only {len(lines)} of {count} attempts started"
                self.buffer += os.read(self.fd, 4096)
            line, self.buffer = self.buffer.split(b"\n", 1)
            lines.append(line.decode())
        return lines

    def close(self) -> None:
        os.close(self.fd)


def exits_within(pid: int, seconds: float) -> bool:
    """Whether process ``pid`` is gone within ``seconds`` (one blocking select on its pidfd)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], seconds)
        return bool(ready)
    finally:
        os.close(fd)
