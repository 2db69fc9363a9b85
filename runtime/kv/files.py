"""The key-value store of executions without an engine store (``start_workflow``, ``troupe
run`` without ``--store``): the ``kv`` table of ``$TROUPE_STORE``, else of the default
SQLite file (``$XDG_DATA_HOME/troupe/troupe.db``), the same store ``troupe kv`` and
``troupe daemon`` use by default, so one ``troupe kv set`` serves them all.

Misuse: this opens its own connection for one read, in the caller's thread; never use it
for an engine's store (read that through the engine's journal).
"""

from __future__ import annotations

import os

from runtime.store import KvRow, default_store_url, open_store

__all__ = ["STORE_ENV", "kv_store_url", "read_pairs"]

STORE_ENV = "TROUPE_STORE"


def kv_store_url() -> str:
    """``$TROUPE_STORE``, else the default SQLite file."""
    return os.environ.get(STORE_ENV) or default_store_url()


def read_pairs(url: str | None = None) -> tuple[KvRow, ...]:
    """Every pair of the store at ``url`` (default: :func:`kv_store_url`), in one read."""
    store = open_store(url or kv_store_url())
    store.open()
    try:
        return store.kv_list()
    finally:
        store.close()
