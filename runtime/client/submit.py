"""``troupe submit FILE|NAME``: start an execution in the daemon.

A FILE that exists here is read and sent as YAML text (checked here first: diagnostics of a
file that does not load are printed as ``troupe validate`` prints them, and a file that calls
a sub-workflow file is refused, because those files cannot go along); anything else that is
a workflow name is sent as a name, which the daemon resolves in its workflows directory.
Without ``--wait`` the new execution's id is printed (or its JSON, ``--json``); with
``--wait`` it is followed to its end and printed as ``troupe run`` prints a result.

Misuse: never send a path: the daemon refuses paths (its workflows directory confines names).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import IO, Any

from runtime.cli_params import parse_parameters
from runtime.client.http import Client
from runtime.client.report import follow_and_report, print_json

__all__ = ["add_submit", "submit"]

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}")


def add_submit(sub: Any, common: argparse.ArgumentParser) -> None:
    """The ``submit`` parser."""
    submit_ = sub.add_parser("submit", parents=[common], help="start an execution in the daemon")
    submit_.add_argument("workflow", metavar="FILE|NAME",
                         help="a local workflow file, or a name in the daemon's workflows dir")
    submit_.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                         help="a parameter (VALUE is read as YAML: 3, true, [1,2] ...)")
    submit_.add_argument("--params-file", metavar="F", help="YAML or JSON mapping of parameters")
    submit_.add_argument("--idempotency-key", metavar="K",
                         help="the same key again answers the execution it started")
    submit_.add_argument("--wait", action="store_true",
                         help="follow it to its end; exit as `troupe run` does")
    submit_.add_argument("--json", action="store_true", help="print the execution as JSON")
    submit_.set_defaults(client_command=submit)


def _source(args: argparse.Namespace, err: IO[str]) -> tuple[str, frozenset[str]] | None:
    """What to send as ``workflow``, and the inputs declared as strings; None: refused."""
    from runtime.spec import validate
    from runtime.spec.subworkflows import is_workflow_file

    path = Path(args.workflow)
    if not path.is_file():
        if _NAME.fullmatch(args.workflow) and ".." not in args.workflow:
            return args.workflow, frozenset()
        err.write(f"troupe: {args.workflow}: no such file (a name in the daemon's workflows "
                  "directory is letters, digits, '_', '-' and '.')\n")
        return None
    args.local_file = args.workflow
    text = path.read_text(encoding="utf-8")
    defn, diagnostics = validate(path, path=args.workflow, action_exists=None)
    if defn is None:
        err.write("".join(f"{d}\n" for d in diagnostics))
        return None
    calls = [(name, defn.task(name)) for name in defn.task_order
             if is_workflow_file(defn.task(name).action_ref or "")]
    for name, task in calls:
        err.write(f"{args.workflow}:{task.line}: error [task {name}]: calls the sub-workflow "
                  f"file {task.action_ref!r}, which cannot be sent with it: put the files in "
                  "the daemon's workflows directory and submit it by name\n")
    if calls:
        return None
    return text, frozenset(i.name for i in defn.inputs if i.type == "string")


def submit(client: Client, args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """``troupe submit``."""
    source = _source(args, err)
    if source is None:
        return 2
    workflow, strings = source
    body: dict[str, Any] = {"workflow": workflow,
                            "parameters": parse_parameters(args.param, args.params_file, strings)}
    if args.idempotency_key:
        body["idempotency_key"] = args.idempotency_key
    execution = client.post("/api/v1/executions", body)
    if args.wait:
        err.write(f"troupe: execution {execution['id']} (daemon {client.server})\n")
        err.flush()
        progress = err if err.isatty() else None
        return follow_and_report(client, execution, progress, out, err, children=True,
                                 as_json=args.json)
    if args.json:
        print_json(execution, out)
    else:
        out.write(f"{execution['id']}\n")
    return 0
