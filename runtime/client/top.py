"""``troupe top``: a live terminal view of what the daemon is doing.

Each frame reads the running executions (``GET /api/v1/executions?status=running``, with
each one's tasks for its items in flight) and ``/metrics`` (executions by status, item
workers busy and waiting, each running execution's supervisor mailbox depth) and draws one
``rich`` table. Frames are drawn at a fixed display rate (``--interval``, 1 s): that is how
often the picture is redrawn, not a wait for an event; ``--once`` prints one frame and exits.
A daemon that goes away mid-view is said in the frame; one unreachable at start exits 3.

Misuse: :func:`frame` only draws what it is given (pure: tests call it); the view never
sends anything but GETs.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, field
from typing import IO, Any

from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from runtime.client.http import Client, DaemonRefused, DaemonUnreachable

__all__ = ["Snapshot", "frame", "snapshot", "top"]

SHOWN = 30
"""At most this many running executions are read and drawn per frame."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """What one frame shows."""

    server: str
    running: list[dict[str, Any]] = field(default_factory=list)
    """Running executions, each with ``items_running`` (its items in flight)."""
    metrics: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None


def _metrics(lines: list[str]) -> dict[str, Any]:
    """The figures ``top`` shows, from the Prometheus text."""
    found: dict[str, Any] = {"executions": {}, "mailbox": {}}
    for family in text_string_to_metric_families("\n".join(lines) + "\n"):
        for sample in family.samples:
            if sample.name == "troupe_executions":
                found["executions"][sample.labels.get("status", "?")] = int(sample.value)
            elif sample.name == "troupe_supervisor_mailbox_depth":
                found["mailbox"][sample.labels.get("execution", "?")] = int(sample.value)
            elif sample.name in ("troupe_items_in_flight", "troupe_item_worker_requests_waiting",
                                 "troupe_item_worker_limit"):
                found[sample.name.removeprefix("troupe_")] = int(sample.value)
    return found


def snapshot(client: Client) -> Snapshot:
    """Read one frame's figures from the daemon."""
    running, _ = client.pages("/api/v1/executions", limit=SHOWN, status="running")
    rows = []
    for summary in running:
        try:
            execution = client.get(f"/api/v1/executions/{summary['id']}")
        except DaemonRefused:  # gone between the list and now
            continue
        items = sum((t.get("items") or {}).get("running", 0) for t in execution["tasks"])
        tasks = [t["name"] for t in execution["tasks"] if t["status"] == "running"]
        rows.append({**summary, "items_running": items, "running_tasks": tasks})
    try:
        metrics, problem = _metrics(list(client.text("/metrics"))), None
    except DaemonRefused as exc:  # the executions are still worth showing
        metrics, problem = {}, f"metrics unavailable: {exc}"
    return Snapshot(server=client.server, running=rows, metrics=metrics, problem=problem)


def frame(shot: Snapshot) -> Group:
    """The picture of one snapshot."""
    figures = shot.metrics
    by_status = ", ".join(f"{k} {v}" for k, v in sorted(figures.get("executions", {}).items()))
    head = Text(f"troupe top - {shot.server}\n"
                f"executions: {by_status or '-'}\n"
                f"items in flight: {figures.get('items_in_flight', '-')}"
                f"  waiting: {figures.get('item_worker_requests_waiting', '-')}"
                f"  limit: {figures.get('item_worker_limit', '-')}")
    table = Table("ID", "WORKFLOW", "RUNNING TASKS", "ITEMS IN FLIGHT", "MAILBOX",
                  title=f"running ({len(shot.running)})", title_justify="left")
    mailbox = figures.get("mailbox", {})
    for row in shot.running:
        table.add_row(row["id"], str(row.get("workflow")), ", ".join(row["running_tasks"]),
                      str(row["items_running"]), str(mailbox.get(row["id"], "-")))
    parts: list[Any] = [head, table]
    if shot.problem:
        parts.append(Text(shot.problem, style="bold red"))
    return Group(*parts)


def top(client: Client, args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """``troupe top``."""
    first = snapshot(client)  # an unreachable daemon exits 3 here
    console = Console(file=out)
    if args.once:
        console.print(frame(first))
        return 0
    asyncio.run(_live(client, console, first, max(args.interval, 0.1)))
    return 0


async def _live(client: Client, console: Console, first: Snapshot, interval: float) -> None:
    """Redraw at the display rate until interrupted."""
    shot = first
    with Live(frame(shot), console=console, auto_refresh=False, screen=False) as live:
        while True:
            await asyncio.sleep(interval)  # the display rate
            try:
                shot = snapshot(client)
            except (DaemonUnreachable, DaemonRefused) as exc:
                shot = Snapshot(server=shot.server, running=shot.running,
                                metrics=shot.metrics, problem=f"{exc}")
            live.update(frame(shot), refresh=True)
