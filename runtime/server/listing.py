"""The summaries of a page of executions, with their counts, without replaying a finished
execution's journal twice.

A list item carries ``counts`` (task runs, with-items items: :func:`views.counts_json`),
which come from the execution's progress log, so an execution the server has not read yet
costs one replay of its journal (~0.3 s of CPU for 10,000 items). The counts of a finished
execution never change until it is rerun, so :class:`CountsMemo` keeps them by execution id with the
record's ``updated_at`` (a rerun changes it, and the status is no longer final): a daemon
replays each finished execution at most once for its list, even after its log left the
:class:`~runtime.server.logs.LogCache`.

Misuse: summaries of running executions always come from a fresh log (their counts move).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from runtime.store import ExecutionRow

from .logs import LogCache
from .views import is_final, summary_json

__all__ = ["CountsMemo"]


class CountsMemo:
    """Finished executions' counts, by id (the most recent ``limit``)."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self.known: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    async def summaries(self, logs: LogCache, rows: Sequence[ExecutionRow]
                        ) -> list[dict[str, Any]]:
        """The list items of ``rows``, in order."""
        items = []
        for row in rows:
            known = self.known.get(row.id)
            if known is not None and known[0] == row.updated_at and is_final(row.status):
                items.append({**summary_json(row), "counts": known[1]})
                continue
            item = summary_json(row, await logs.refreshed(row))
            if is_final(item["status"]) and is_final(row.status) and item["counts"] is not None:
                self.known[row.id] = (row.updated_at, item["counts"])
                self.known.move_to_end(row.id)
                while len(self.known) > self.limit:
                    self.known.popitem(last=False)
            items.append(item)
        return items
