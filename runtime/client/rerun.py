"""``troupe rerun ID``: run a finished execution of the daemon again from some of its tasks.

    troupe rerun ID [--task T[:ROUTE] ...] [--reset T ...] [-p k=v ...] [--wait] [--json]

Without ``--task`` every task that failed without being remediated runs again; with it,
those tasks (on ROUTE only, when given) and what their transitions lead to. ``--reset T``
runs all the items of the with-items task T again (else only its failed ones). ``-p`` edits
a parameter (the value read as YAML, as ``submit`` reads it). The execution is then printed
as ``troupe get`` prints it (or followed to its end with ``--wait``, as ``watch`` does).

Misuse: ``-p`` values are YAML: quote a string that looks like a number (``-p tag="'1'"``).
"""

from __future__ import annotations

import argparse
from typing import IO, Any

from runtime.cli_params import parse_parameters
from runtime.client.http import Client
from runtime.client.render import execution_text
from runtime.client.report import follow_and_report, print_json

__all__ = ["add_rerun", "rerun"]


def add_rerun(sub: Any, common: argparse.ArgumentParser) -> None:
    """The ``rerun`` parser."""
    one = sub.add_parser("rerun", parents=[common],
                         help="run a finished execution again from some of its tasks")
    one.add_argument("execution_id", metavar="ID")
    one.add_argument("--task", action="append", default=[], metavar="T[:ROUTE]",
                     help="rerun this task (on ROUTE only); default: the failed ones")
    one.add_argument("--reset", action="append", default=[], metavar="T",
                     help="run all the items of with-items task T again")
    one.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                     help="edit a parameter (VALUE is read as YAML)")
    one.add_argument("--wait", action="store_true",
                     help="follow it to its end; exit as `troupe watch` does")
    one.add_argument("--json", action="store_true", help="print the execution as JSON")
    one.set_defaults(client_command=rerun)


def rerun(client: Client, args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """``troupe rerun``."""
    body: dict[str, Any] = {}
    if args.task:
        body["tasks"] = list(args.task)
    if args.reset:
        body["reset"] = list(args.reset)
    if args.param:
        body["parameters"] = parse_parameters(args.param, None, frozenset())
    client.post(f"/api/v1/executions/{args.execution_id}/rerun", body)
    execution = client.get(f"/api/v1/executions/{args.execution_id}")
    if args.wait:
        progress = err if err.isatty() else None
        return follow_and_report(client, execution, progress, out, err, children=True,
                                 as_json=args.json)
    if args.json:
        print_json(execution, out)
    else:
        out.write(execution_text(execution))
    return 0
