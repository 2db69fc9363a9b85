"""Cursor paging of executions (newest first) and inquiries (oldest first), shared by the
stores that page in Python.

A cursor is the position after the last row of a page, ``"<created_at>:<id>"`` (an
inquiry's: ``"<opened_at>:<id>"``), so a page is stable while new executions arrive (they
sort before it) and new inquiries open (they sort after it).

Misuse: treat cursors as opaque; a malformed one raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Iterable

from .base import ExecutionRow, InquiryPage, InquiryRow, Page

__all__ = ["decode_cursor", "encode_cursor", "inquiry_page_of", "page_of", "within"]


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


def within(execution: str, root: str) -> bool:
    """Tell whether ``execution`` is ``root`` or one of its sub-workflows (``root.task.N``)."""
    return execution == root or execution.startswith(root + ".")


def inquiry_page_of(rows: Iterable[InquiryRow], limit: int, cursor: str | None) -> InquiryPage:
    """Inquiry rows oldest first after ``cursor``, at most ``limit`` of them."""
    ordered = sorted(rows, key=lambda r: (r.opened_at, r.id))
    if cursor is not None:
        after = decode_cursor(cursor)
        ordered = [r for r in ordered if (r.opened_at, r.id) > after]
    page = tuple(ordered[: max(limit, 0)])
    more = len(ordered) > len(page) and page
    return InquiryPage(inquiries=page,
                       cursor=f"{page[-1].opened_at!r}:{page[-1].id}" if more else None)
