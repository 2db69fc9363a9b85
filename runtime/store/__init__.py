"""Durable homes for executions: SQLite (embedded, the default), PostgreSQL, memory.

:func:`open_store` turns a store URL into a :class:`~runtime.store.base.Store`:
``sqlite:///PATH`` (``?synchronous=normal`` trades power-loss safety for speed;
:mod:`runtime.store.sqlite`), ``postgresql://...`` (:mod:`runtime.store.postgres`), or
``memory://``; docs/store.md tells them all. Without a URL, :func:`default_store_url` names a
SQLite file in the user's data directory (``$XDG_DATA_HOME/troupe/troupe.db``, else
``~/.local/share/troupe/troupe.db``).

Misuse: a store is opened and used by one thread (the journal actor's); open it with
``store.open()`` in that thread, not in the one that called :func:`open_store`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from runtime.errors import StoreError

from .base import (
    UNFINISHED,
    Batch,
    EntryRow,
    ExecutionRow,
    InquiryPage,
    InquiryRow,
    KvRow,
    Page,
    StatusUpdate,
    Store,
)
from .memory import MemoryStore
from .postgres import PostgresStore, mask_password
from .sqlite import SqliteStore

__all__ = [
    "UNFINISHED",
    "Batch",
    "EntryRow",
    "ExecutionRow",
    "InquiryPage",
    "InquiryRow",
    "KvRow",
    "MemoryStore",
    "Page",
    "PostgresStore",
    "SqliteStore",
    "StatusUpdate",
    "Store",
    "default_store_url",
    "open_store",
]


BACKENDS: dict[str, Callable[[str], Store]] = {
    "memory": MemoryStore,
    "sqlite": SqliteStore,
    "postgresql": PostgresStore,
    "postgres": PostgresStore,
}
"""The store class of each URL scheme."""


def default_store_url() -> str:
    """The embedded default: a SQLite file in the user's data directory."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'troupe' / 'troupe.db'}"


def open_store(url: str | None = None) -> Store:
    """The store ``url`` names (not yet opened); :class:`StoreError` for a bad URL."""
    url = url or default_store_url()
    backend = BACKENDS.get(url.partition(":")[0].lower())
    if backend is None:
        raise StoreError(url=mask_password(url), problem=(
            "unknown scheme (sqlite:///PATH, postgresql://..., memory://)"))
    return backend(url)
