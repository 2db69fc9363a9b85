"""Cursor paging of executions, newest first, shared by the stores that page in Python.

A cursor is the position after the last row of a page, ``"<created_at>:<id>"``, so a page
is stable while new executions arrive (they sort before it).

Misuse: treat cursors as opaque; a malformed one raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Iterable

from .base import ExecutionRow, Page

__all__ = ["decode_cursor", "encode_cursor", "page_of"]


def encode_cursor(row: ExecutionRow) -> str:
    """The cursor that continues after ``row``."""
    return f"{row.created_at!r}:{row.id}"


def decode_cursor(cursor: str) -> tuple[float, str]:
    """(created_at, id) of the row a cursor continues after."""
    at, sep, execution_id = cursor.partition(":")
    if not sep or not execution_id:
        raise ValueError(f"not a cursor: {cursor!r}")
    return float(at), execution_id


def page_of(rows: Iterable[ExecutionRow], limit: int, cursor: str | None) -> Page:
    """Rows newest first after ``cursor``, at most ``limit`` of them."""
    ordered = sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)
    if cursor is not None:
        after = decode_cursor(cursor)
        ordered = [r for r in ordered if (r.created_at, r.id) < after]
    page = tuple(ordered[: max(limit, 0)])
    more = len(ordered) > len(page) and page
    return Page(executions=page, cursor=encode_cursor(page[-1]) if more else None)
