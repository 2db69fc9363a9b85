"""Following an execution and every sub-workflow under it, at every depth, to its end.

:class:`TreeWatch` reads the root's event stream (:func:`runtime.client.sse.follow_events`)
and, when a task starts or finishes, when the first item of a with-items task finishes,
and when a later one does in a task that has children, asks the daemon for the
execution's children (``GET /api/v1/executions?parent=ID``): each new child gets its own
stream, read beside the others (asyncio tasks; one queue carries every stream's events to
the one :class:`View` that draws them). A child always exists before its parent's task
ends, so none is missed, and a child that already ended is followed too (its stream replays
its events, then ends). The watch ends when every stream it follows has ended; it answers
the root's end summary.

Misuse: views run in the event loop's thread: drawing must not block on anything but the
terminal. Streams resume themselves after a drop (Last-Event-ID); a daemon that stays away
ends the watch with :class:`~runtime.client.http.DaemonUnreachable`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from runtime.client.http import refused
from runtime.client.sse import Ended, follow_events

__all__ = ["Node", "TreeWatch", "View"]

_DISCOVER_ON = frozenset({"task_started", "task_finished"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """One execution of the tree being watched."""

    id: str
    workflow: str | None
    depth: int
    parent_task: str | None = None


class View(Protocol):
    """What draws a watch."""

    def event(self, node: Node, event: dict[str, Any]) -> None:
        """One progress event of ``node``."""

    def ended(self, node: Node, summary: dict[str, Any]) -> None:
        """``node``'s stream ended (its summary)."""


class TreeWatch:
    """One watch of an execution tree (``children=False``: the root only)."""

    def __init__(self, http: httpx.AsyncClient, view: View, *, children: bool = True,
                 give_up: float = 60.0) -> None:
        self.http = http
        self.view = view
        self.children = children
        self.give_up = give_up
        self.nodes: dict[str, Node] = {}
        self.sub_tasks: dict[tuple[str, str], int] = {}
        """(execution, task) -> how many children of that task are followed."""
        self.probed: set[tuple[str, str]] = set()
        """(execution, task) whose items were looked at for children once."""
        self.queue: asyncio.Queue[tuple[Node, Any]] = asyncio.Queue()
        self.streams: set[asyncio.Task[None]] = set()
        self.open = 0
        """Streams whose end has not been taken from the queue yet."""

    async def run(self, execution_id: str, workflow: str | None = None) -> dict[str, Any]:
        """Follow the tree to its end; the root's end summary."""
        root = Node(id=execution_id, workflow=workflow, depth=0)
        self._follow(root)
        summary: dict[str, Any] = {}
        try:
            while self.open:
                node, item = await self.queue.get()
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, Ended):
                    self.open -= 1
                    self.view.ended(node, item.summary)
                    summary = item.summary if node is root else summary
                    continue
                self.view.event(node, item)
                if self.children and self._may_have_children(node, item):
                    await self._discover(node)
        finally:
            for stream in list(self.streams):
                stream.cancel()
        return summary

    def _may_have_children(self, node: Node, event: dict[str, Any]) -> bool:
        kind = event.get("kind")
        if kind in _DISCOVER_ON:
            return True
        if kind != "item_finished":
            return False
        key = (node.id, str(event.get("task")))
        if key not in self.probed:  # its first item: has it a child? then every item has
            self.probed.add(key)
            return True
        known = self.sub_tasks.get(key, 0)
        return 0 < known < int(event.get("total") or 0)

    def _follow(self, node: Node) -> None:
        self.nodes[node.id] = node
        self.open += 1
        stream = asyncio.create_task(self._read(node))
        self.streams.add(stream)
        stream.add_done_callback(self.streams.discard)

    async def _read(self, node: Node) -> None:
        try:
            async for item in follow_events(self.http, node.id, give_up=self.give_up):
                await self.queue.put((node, item))
        except Exception as exc:  # handed to run(), which raises it
            await self.queue.put((node, exc))

    async def _discover(self, node: Node) -> None:
        """Follow the children of ``node`` not followed yet."""
        cursor: str | None = None
        while True:
            params = {"parent": node.id, "limit": "100", **({"cursor": cursor} if cursor else {})}
            try:
                response = await self.http.get("/api/v1/executions", params=params)
            except httpx.TransportError:
                return  # the daemon is away: the streams reconnect, later events ask again
            if response.status_code >= 400:
                raise refused(response)
            page = response.json()
            for child in page["items"]:
                if child["id"] in self.nodes:
                    continue
                task = child.get("parent_task")
                key = (node.id, str(task))
                self.sub_tasks[key] = self.sub_tasks.get(key, 0) + 1
                self._follow(Node(id=child["id"], workflow=child.get("workflow"),
                                  depth=node.depth + 1, parent_task=task))
            cursor = page.get("cursor")
            if not cursor or not page["items"]:
                return
