"""A store that keeps everything in the process's memory (``memory://``).

For tests and for callers who want the Engine's API without a file: it forgets everything
when the process ends, so nothing is recovered after a crash.

Misuse: do not expect durability; use it from one thread only, like every store.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from runtime.errors import StoreError

from .base import UNFINISHED, Batch, EntryRow, ExecutionRow, InquiryPage, InquiryRow, KvRow, Page
from .paging import inquiry_page_of, page_of, within

__all__ = ["MemoryStore"]


class MemoryStore:
    """Executions and journals in dicts."""

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._executions: dict[str, ExecutionRow] = {}
        self._entries: dict[str, list[EntryRow]] = {}
        self._seqs: set[tuple[str, int]] = set()
        self._keys: dict[str, str] = {}
        self._kv: dict[tuple[str, str], KvRow] = {}
        self._inquiries: dict[str, InquiryRow] = {}

    def open(self) -> None:
        """Nothing to connect to."""

    def close(self) -> None:
        """Nothing to release."""

    def write(self, batch: Batch) -> None:
        """Apply the batch, all of it or (an entry already written, as the SQL stores'
        primary key says) nothing."""
        seqs = Counter((e.execution_id, e.seq) for e in batch.entries)
        twice = sorted(k for k, n in seqs.items() if n > 1 or k in self._seqs)
        if twice:
            raise StoreError(url=self.url, problem=f"entries written twice: {twice}")
        keys = Counter(r.idempotency_key for r in batch.executions if r.idempotency_key)
        taken = sorted(k for k, n in keys.items() if n > 1 or k in self._keys)
        if taken:
            raise StoreError(url=self.url, problem=f"idempotency keys used twice: {taken}")
        self._seqs.update(seqs)
        for row in batch.executions:
            self._executions[row.id] = row
            if row.idempotency_key:
                self._keys[row.idempotency_key] = row.id
            self._entries.setdefault(row.id, [])
        for entry in batch.entries:
            self._entries.setdefault(entry.execution_id, []).append(entry)
        for update in batch.updates:
            current = self._executions.get(update.execution_id)
            if current is not None:
                self._executions[current.id] = replace(
                    current, status=update.status, updated_at=update.updated_at,
                    finished_at=update.finished_at or current.finished_at,
                    result=update.result if update.result is not None else current.result)
        for inquiry in batch.inquiries:
            self._inquiries[inquiry.id] = inquiry

    def execution(self, execution_id: str) -> ExecutionRow | None:
        """The execution ``execution_id``, or None."""
        return self._executions.get(execution_id)

    def executions(self, *, status: str | None = None, workflow: str | None = None,
                   since: float | None = None, limit: int = 100,
                   cursor: str | None = None, parent: str | None = None) -> Page:
        """Executions newest first, filtered, paged."""
        rows = [r for r in self._executions.values()
                if (status is None or r.status == status)
                and (parent is None or r.parent == parent)
                and (workflow is None or r.workflow == workflow)
                and (since is None or r.created_at >= since)]
        return page_of(rows, limit, cursor)

    def execution_by_key(self, idempotency_key: str) -> ExecutionRow | None:
        """The execution requested with ``idempotency_key``, or None."""
        execution_id = self._keys.get(idempotency_key)
        return None if execution_id is None else self._executions.get(execution_id)

    def counts(self) -> dict[str, int]:
        """How many executions, by status value."""
        return dict(Counter(r.status for r in self._executions.values()))

    def entries(self, execution_id: str, after: int = 0) -> tuple[EntryRow, ...]:
        """The journal of ``execution_id``, in order (only ``seq > after``)."""
        return tuple(sorted((e for e in self._entries.get(execution_id, ()) if e.seq > after),
                            key=lambda e: e.seq))

    def unfinished(self) -> tuple[ExecutionRow, ...]:
        """Executions not finished, oldest first."""
        rows = [r for r in self._executions.values() if r.status in UNFINISHED]
        return tuple(sorted(rows, key=lambda r: (r.created_at, r.id)))

    def purge(self, *, finished_before: float) -> int:
        """Forget finished executions that finished before ``finished_before``."""
        gone = [r.id for r in self._executions.values()
                if r.finished_at is not None and r.finished_at < finished_before
                and r.status not in UNFINISHED]  # a rerun runs again: kept
        for execution_id in gone:
            key = self._executions.pop(execution_id).idempotency_key
            if key:
                self._keys.pop(key, None)
            for entry in self._entries.pop(execution_id, ()):
                self._seqs.discard((entry.execution_id, entry.seq))
        gone_ids = set(gone)
        for inquiry in [i for i in self._inquiries.values() if i.execution_id in gone_ids]:
            del self._inquiries[inquiry.id]
        return len(gone)

    def inquiry(self, inquiry_id: str) -> InquiryRow | None:
        """The inquiry ``inquiry_id``, or None."""
        return self._inquiries.get(inquiry_id)

    def inquiries(self, *, status: str | None = None, execution: str | None = None,
                  limit: int = 100, cursor: str | None = None) -> InquiryPage:
        """Inquiries oldest first, filtered, paged."""
        rows = [r for r in self._inquiries.values()
                if (status is None or r.status == status)
                and (execution is None or within(r.execution_id, execution))]
        return inquiry_page_of(rows, limit, cursor)

    def kv_get(self, scope: str, key: str) -> KvRow | None:
        """The key-value pair ``key`` of ``scope``, or None."""
        return self._kv.get((scope, key))

    def kv_list(self, *, scope: str | None = None, prefix: str = "") -> tuple[KvRow, ...]:
        """Key-value pairs (of ``scope``, whose key starts with ``prefix``) by scope, key."""
        return tuple(row for _, row in sorted(self._kv.items())
                     if (scope is None or row.scope == scope) and row.key.startswith(prefix))

    def kv_set(self, row: KvRow) -> None:
        """Write a key-value pair, replacing the one of its scope and key."""
        self._kv[row.scope, row.key] = row

    def kv_delete(self, scope: str, key: str) -> bool:
        """Remove a key-value pair; whether there was one."""
        return self._kv.pop((scope, key), None) is not None
