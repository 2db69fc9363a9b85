"""How ``troupe watch`` (and ``troupe submit --wait``) draw an execution tree's progress.

:class:`LineView` writes lines, as ``troupe run``'s progress does (``▶ task``,
``✔ task succeeded``) and a with-items bar once per tenth of the items and at N/N, so a log
or a pipe gets a readable record; :class:`LiveView` (a terminal) keeps one live ``rich``
bar per with-items task and prints the lines above the bars. A sub-workflow's lines are
indented under its parent and name it (``↳ deploy 3f2a.fan.1: ▶ push``).

Misuse: a view only draws what it is given; it never asks the daemon anything.
"""

from __future__ import annotations

from typing import IO, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from runtime.client.render import bar, event_line
from runtime.client.watch import Node

__all__ = ["LineView", "LiveView", "prefix"]


def prefix(node: Node) -> str:
    """The indentation and name of a sub-workflow's lines (nothing for the root)."""
    if node.depth == 0:
        return ""
    return "  " * node.depth + f"↳ {node.workflow or 'workflow'} {node.id}: "


def _bar_key(node: Node, event: dict[str, Any]) -> tuple[str, Any, Any, Any]:
    return (node.id, event.get("task"), event.get("route"), event.get("run"))


class LineView:
    """Progress as lines on a stream."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.shown: dict[tuple[str, Any, Any, Any], int] = {}

    def event(self, node: Node, event: dict[str, Any]) -> None:
        if event.get("kind") == "item_finished":
            done, total = int(event.get("done") or 0), int(event.get("total") or 0)
            step = max(total // 10, 1)
            key = _bar_key(node, event)
            if done == total or done // step > self.shown.get(key, 0) // step:
                self.shown[key] = done
                self._write(prefix(node) + "  " + bar(str(event.get("task")), done, total))
            return
        line = event_line(event)
        if line is not None:
            self._write(prefix(node) + line)

    def ended(self, node: Node, summary: dict[str, Any]) -> None:
        if node.depth:
            self._write(prefix(node) + f"workflow {summary.get('status')}")

    def _write(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def close(self) -> None:
        """Nothing is left to draw."""


class LiveView:
    """Progress on a terminal: lines above, one live bar per with-items task below."""

    def __init__(self, out: IO[str]) -> None:
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), console=Console(file=out),
                                 transient=False)
        self.bars: dict[tuple[str, Any, Any, Any], TaskID] = {}
        self.progress.start()

    def event(self, node: Node, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        key = _bar_key(node, event)
        if kind == "task_started" and event.get("total") is not None:
            self.bars[key] = self.progress.add_task(prefix(node) + str(event.get("task")),
                                                    total=int(event["total"]))
        if kind == "item_finished":
            if key not in self.bars:  # a watch that began after the task started
                self.bars[key] = self.progress.add_task(
                    prefix(node) + str(event.get("task")), total=int(event.get("total") or 0))
            self.progress.update(self.bars[key], completed=int(event.get("done") or 0))
            return
        line = event_line(event)
        if line is not None:
            self.progress.console.print(prefix(node) + line, markup=False, highlight=False)

    def ended(self, node: Node, summary: dict[str, Any]) -> None:
        if node.depth:
            self.progress.console.print(prefix(node) + f"workflow {summary.get('status')}",
                                        markup=False, highlight=False)

    def close(self) -> None:
        """Stop drawing (the bars stay on the screen as they ended)."""
        self.progress.stop()
