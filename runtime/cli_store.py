"""The ``troupe`` commands that work on a store of durable executions.

    troupe recover [--store URL] [--json]
    troupe executions list [--store URL] [--status S] [--workflow W] [--since T]
                           [--limit N] [--cursor C] [--json]
    troupe executions show ID [--store URL] [--json]
    troupe executions events ID [--store URL] [--json]
    troupe purge --older-than 30d [--store URL] [--json]

The store is ``--store``, else ``$TROUPE_STORE``, else the default SQLite file
(:func:`runtime.store.default_store_url`). ``list``, ``show``, ``events`` and ``purge`` read
and write the store directly, in this process's main thread (SQLite lets them run beside an
engine in another process); ``recover`` starts an :class:`~runtime.engine.Engine` on it.
Exit codes: 0 done, 1 a recovered execution did not succeed, 2 bad input (an unknown
execution id, a store that does not open, bad arguments).

This module holds what they share (the store's URL, opening it, reading durations and
times, an execution's masker) and ``list`` and ``purge``; ``show`` and ``events`` are in
:mod:`runtime.cli_show`, ``recover`` in :mod:`runtime.cli_recover`; :mod:`runtime.cli`
builds their parsers.

Misuse: these are the CLI's; library code uses :class:`runtime.engine.Engine`. Never print a
stored execution's data without its masker (its parameters hold its secret inputs).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import IO, Any

from runtime.cli_output import duration, local_time, table, timestamp
from runtime.errors import TroupeError, UnknownExecution
from runtime.events import WorkflowRequested
from runtime.kv.snapshot import plaintexts as kv_secrets
from runtime.masking import Masker
from runtime.store import ExecutionRow, Store, default_store_url, open_store
from runtime.store.codec import decode
from runtime.values import json_default

__all__ = [
    "STORE_ENV", "STORE_URLS", "elapsed", "list_executions", "masker_of", "opened",
    "parse_cursor", "parse_duration", "parse_limit", "parse_since", "purge_executions",
    "row_json", "run_store_command", "store_url", "stored", "the_store",
]

STORE_URLS = "sqlite:///PATH, postgresql://..., memory://"
STORE_ENV = "TROUPE_STORE"
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|min|m|h|d|w)")

Command = Callable[[argparse.Namespace, IO[str], IO[str]], int]


def store_url(args: argparse.Namespace) -> str | None:
    """``--store``, else ``$TROUPE_STORE`` (None: neither)."""
    url: str | None = args.store or os.environ.get(STORE_ENV) or None
    return url


def the_store(args: argparse.Namespace) -> str:
    """The store a store command works on: :func:`store_url`, else the default file."""
    return store_url(args) or default_store_url()


def stored(store: Store, execution_id: str) -> ExecutionRow:
    """The execution ``execution_id`` (:class:`UnknownExecution` if the store has none)."""
    row = store.execution(execution_id)
    if row is None:
        raise UnknownExecution(execution_id)
    return row


def masker_of(store: Store, row: ExecutionRow) -> Masker:
    """What hides an execution's secrets: its secret inputs' and its parents'."""
    from runtime.spec import load_workflow

    defn = load_workflow(row.text)
    masker = Masker.for_inputs(defn.inputs, json.loads(row.parameters))
    first = store.entries(row.id)[:1]
    requested = decode(first[0].kind, first[0].body) if first else None
    if isinstance(requested, WorkflowRequested) and requested.kv.taken:
        masker = masker.combined(Masker(kv_secrets(requested.kv)))  # what st2kv decrypted
    parent = store.execution(row.parent) if row.parent else None
    return masker.combined(masker_of(store, parent)) if parent is not None else masker


@contextmanager
def opened(url: str) -> Iterator[Store]:
    """The store ``url`` names, opened in this thread and closed at the end."""
    store = open_store(url)
    store.open()
    try:
        yield store
    finally:
        store.close()


def parse_duration(text: str) -> float:
    """Seconds in ``30s``, ``15m``, ``2h``, ``30d``, ``1w`` (an argparse type)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected a duration such as 30s, 15m, 2h, 30d, 1w")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_limit(text: str) -> int:
    """A page size: a whole number from 1 (an argparse type)."""
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if limit < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number from 1")
    return limit


def parse_cursor(text: str) -> str:
    """A cursor a previous page printed (an argparse type)."""
    from runtime.store.paging import decode_cursor

    try:
        decode_cursor(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: not a cursor (use the one a previous page printed)") from None
    return text


def parse_since(text: str) -> float:
    """A point in time: an ISO date or date-time (local time unless it says), or a
    duration back from now (an argparse type)."""
    try:
        return datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        pass
    try:
        return time.time() - parse_duration(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected an ISO date or date-time (2026-12-01, 2026-12-01T08:00) "
            "or a duration back from now (2h, 30d)") from None


def run_store_command(handler: Command, args: argparse.Namespace, out: IO[str],
                      err: IO[str]) -> int:
    """Run a store command; a :class:`TroupeError` (unknown execution, store) exits 2."""
    try:
        return handler(args, out, err)
    except TroupeError as exc:
        err.write(f"troupe: {exc}\n")
        return 2


def row_json(row: ExecutionRow) -> dict[str, Any]:
    """What ``list --json`` prints of an execution (its text and parameters left out)."""
    return {"id": row.id, "workflow": row.workflow, "status": row.status,
            "created_at": timestamp(row.created_at), "updated_at": timestamp(row.updated_at),
            "finished_at": timestamp(row.finished_at), "duration": elapsed(row),
            "parent": row.parent, "parent_task": row.parent_task}


def elapsed(row: ExecutionRow) -> float | None:
    """Seconds from creation to the end (None while unfinished)."""
    return None if row.finished_at is None else row.finished_at - row.created_at


def list_executions(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """``troupe executions list``: a table (or JSON), and the next page's cursor."""
    with opened(the_store(args)) as store:
        page = store.executions(status=args.status, workflow=args.workflow, since=args.since,
                                limit=args.limit, cursor=args.cursor)
    if args.json:
        json.dump({"executions": [row_json(r) for r in page.executions],
                   "cursor": page.cursor}, out, indent=2, default=json_default)
        out.write("\n")
        return 0
    if not page.executions:
        err.write("no executions\n")
        return 0
    table(("ID", "WORKFLOW", "STATUS", "CREATED", "DURATION"),
          [(r.id, r.workflow, r.status, local_time(r.created_at), duration(elapsed(r)))
           for r in page.executions], out)
    if page.cursor is not None:
        err.write(f"more: --cursor {page.cursor}\n")
    return 0


def purge_executions(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """``troupe purge --older-than AGE``: how many finished executions were removed."""
    before = time.time() - args.older_than
    with opened(the_store(args)) as store:
        removed = store.purge(finished_before=before)
    if args.json:
        json.dump({"removed": removed, "finished_before": timestamp(before)}, out)
        out.write("\n")
    else:
        out.write(f"removed {removed} execution(s) finished before {local_time(before)}\n")
    return 0
