"""``troupe recover``: continue what a stopped process left unfinished in a store.

It starts an :class:`~runtime.engine.Engine` on the store, has it recover every unfinished
execution (sub-workflows continue with their parents), waits for each and prints its
outcome: one line per execution (id, workflow, final status) on stdout, the errors of those
that did not succeed on stderr; ``--json`` prints a list of objects instead. Exit 0 when
every one succeeded (or there was nothing to recover), 1 when one failed or was canceled.
Ctrl-C cancels them (twice: kills their running actions).

Misuse: run one recovery per store at a time, and not while an engine runs the store's
executions elsewhere (both would continue them). Executions started with Python actions
given as ``actions=`` cannot be recovered from here: the command line knows only the
registered actions (built-ins, plugins, ``python:`` references) and, with ``--pack DIR``,
a StackStorm pack's Python actions (as ``troupe run --pack`` gave them).
"""

from __future__ import annotations

import argparse
import json
from typing import IO

from runtime.cli_interrupt import cancel_on_interrupt
from runtime.cli_output import error_line, result_json
from runtime.cli_store import masker_of, opened, the_store
from runtime.masking import Masker
from runtime.status import WorkflowStatus
from runtime.values import json_default

__all__ = ["recover"]


def recover(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """``troupe recover``."""
    from runtime.engine import Engine

    url = the_store(args)
    with opened(url) as store:
        left = {row.id: (row.workflow, masker_of(store, row))
                for row in store.unfinished() if row.parent is None}
    failed = False
    report = []
    packs = None
    if getattr(args, "pack", None):
        from runtime.st2pack import load_packs

        packs = load_packs(args.pack)
    with Engine(store=url, actions=packs) as engine:
        handles = engine.recover()
        if not handles and not args.json:
            out.write(f"nothing to recover in {engine.url}\n")
        with cancel_on_interrupt(handles, err):
            for handle in handles:
                result = handle.wait()
                workflow, masker = left.get(handle.execution_id, ("?", Masker()))
                succeeded = result.status is WorkflowStatus.SUCCEEDED
                failed = failed or not succeeded
                if args.json:
                    report.append({"workflow": workflow, **result_json(result, masker)})
                    continue
                for error in result.errors:
                    err.write(f"{handle.execution_id}: "
                              f"{error_line(error, masker, succeeded)}\n")
                out.write(f"{handle.execution_id}  {workflow}  {result.status}\n")
                out.flush()
    if args.json:
        json.dump(report, out, indent=2, default=json_default)
        out.write("\n")
    return 1 if failed else 0
