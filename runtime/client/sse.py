"""Server-sent events: the parser, and one execution's event stream followed to its end.

:class:`SseParser` turns the lines of a ``text/event-stream`` into :class:`Sse` records
(``id:``, ``event:``, ``data:`` fields; ``:`` comments such as the daemon's ``: ping`` are
skipped). :func:`follow_events` reads ``GET /api/v1/executions/{id}/events`` as a stream and
yields each progress event (decoded JSON) and finally the ``end`` event's summary; when the
stream drops before its ``end`` (the daemon restarted, a proxy cut it) it connects again
with ``Last-Event-ID`` set to the last event it saw, so no event is lost or repeated.

Misuse: a reconnection waits a growing delay (a back-off after a failure, not a poll);
after ``give_up`` seconds without a connection it raises
:class:`~runtime.client.http.DaemonUnreachable`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from runtime.client.http import DaemonUnreachable, refused, transport_reason

__all__ = ["Sse", "SseParser", "follow_events"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Sse:
    """One server-sent event."""

    event: str = "message"
    data: str = ""
    id: str | None = None


class SseParser:
    """Lines in, events out (the ``text/event-stream`` format, without ``retry:``)."""

    def __init__(self) -> None:
        self.event = ""
        self.data: list[str] = []
        self.id: str | None = None

    def feed(self, line: str) -> Sse | None:
        """The event a blank line completes, else None."""
        if not line:
            if not self.data and not self.event:
                return None
            done = Sse(event=self.event or "message", data="\n".join(self.data), id=self.id)
            self.event, self.data, self.id = "", [], None
            return done
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            self.data.append(value)
        elif name == "event":
            self.event = value
        elif name == "id":
            self.id = value
        return None

    def parse(self, lines: Iterable[str]) -> list[Sse]:
        """Every event of these lines (for tests and whole texts)."""
        return [e for e in map(self.feed, lines) if e is not None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Ended:
    """The end of an execution's stream: its summary."""

    summary: dict[str, Any]


async def follow_events(http: httpx.AsyncClient, execution_id: str, *,
                        give_up: float = 60.0) -> AsyncIterator[dict[str, Any] | Ended]:
    """Every progress event of an execution, then :class:`Ended`; across dropped streams."""
    last: str | None = None
    failing_since: float | None = None
    delay = 0.05
    while True:
        headers = {"Accept": "text/event-stream"}
        if last is not None:
            headers["Last-Event-ID"] = last
        try:
            async with http.stream("GET", f"/api/v1/executions/{execution_id}/events",
                                   headers=headers) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise refused(response)
                failing_since, delay = None, 0.05
                parser = SseParser()
                async for line in response.aiter_lines():
                    event = parser.feed(line)
                    if event is None:
                        continue
                    if event.event == "end":
                        yield Ended(summary=json.loads(event.data))
                        return
                    if event.event == "progress":
                        last = event.id if event.id is not None else last
                        yield json.loads(event.data)
        except httpx.TransportError as exc:
            reason = transport_reason(exc)
        else:
            reason = "the stream ended before the execution did"
        now = time.monotonic()
        failing_since = now if failing_since is None else failing_since
        if now - failing_since > give_up:
            raise DaemonUnreachable(str(http.base_url).rstrip("/"), reason)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 1.0)
