"""The client subcommands of ``troupe``: they talk to a running ``troupe daemon``.

    troupe submit FILE|NAME [-p k=v] [--params-file F] [--idempotency-key K] [--wait] [--json]
    troupe list [--status S] [--workflow W] [--parent ID] [--limit N] [--cursor C] [--all]
    troupe get ID [--json]          troupe watch ID        troupe logs ID
    troupe cancel|pause|resume ID [--json]                 troupe top [--interval S] [--once]
    troupe rerun ID [--task T[:ROUTE]] [--reset T] [-p k=v] [--wait] [--json]
    troupe inquiries [--status S] [--execution ID]         troupe respond ID --json '{...}'|-p k=v
    (each: [--server URL] [--token-file F]; else $TROUPE_SERVER, $TROUPE_TOKEN)

Exit codes, as ``troupe run``'s: 0 done (``watch``, ``submit --wait``: the execution
succeeded); 1 the execution failed or was canceled; 2 bad input: the daemon refused the
request (400 with the workflow's diagnostics printed as ``troupe validate`` prints them, a
401 for a missing or wrong token, 404 an unknown execution, 409 a control its status does
not allow, 413), or a local file that cannot be read; 3 the daemon cannot be reached (or
answered 5xx/503: it cannot serve).

A local FILE is sent as its YAML text. Its sub-workflow files cannot go along (the daemon
resolves file references of a workflow given as text against its own working directory,
not against the client's), so ``submit`` refuses a local file that calls one, naming the
task: put the files in the daemon's workflows directory and submit by NAME.

Misuse: handlers print; nothing else here does. The token is read from a file or the
environment, never from the command line (where ``ps`` shows it).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from runtime.cli_store import parse_limit
from runtime.client.http import (
    DEFAULT_SERVER,
    SERVER_ENV,
    TOKEN_ENV,
    Client,
    DaemonRefused,
    DaemonUnreachable,
)
from runtime.client.render import diagnostic_lines, execution_text, list_text
from runtime.client.report import follow_and_report, print_json
from runtime.errors import ParameterError, ValidationFailed
from runtime.status import WorkflowStatus

__all__ = ["register", "run_client_command"]

Handler = Callable[[Client, argparse.Namespace, IO[str], IO[str]], int]


def register(sub: Any) -> None:
    """Add the client subcommands to ``troupe``'s subparsers."""
    from runtime.client.inquiries import add_inquiries
    from runtime.client.rerun import add_rerun
    from runtime.client.submit import add_submit
    from runtime.client.top import top

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--server", metavar="URL", help=(
        f"the daemon's base URL (default: ${SERVER_ENV}, else {DEFAULT_SERVER})"))
    common.add_argument("--token-file", metavar="F", help=(
        f"a file holding the daemon's token (default: ${TOKEN_ENV})"))
    add_submit(sub, common)
    add_rerun(sub, common)
    add_inquiries(sub, common)  # inquiries, respond
    listing = sub.add_parser("list", parents=[common], help="the daemon's executions, newest first")
    statuses = [s.value for s in WorkflowStatus]
    listing.add_argument("--status", choices=statuses, metavar="STATUS",
                         help=f"only those with this status ({', '.join(statuses)})")
    listing.add_argument("--workflow", metavar="NAME", help="only those of this workflow")
    listing.add_argument("--parent", metavar="ID", help="the sub-workflows of this execution")
    listing.add_argument("--limit", type=parse_limit, default=50, metavar="N",
                         help="at most N (50), over as many pages as it takes")
    listing.add_argument("--cursor", help="go on from there (printed after a full list)")
    listing.add_argument("--all", action="store_true", help="every one (no --limit)")
    listing.add_argument("--json", action="store_true", help='{"items": [...], "cursor"}')
    listing.set_defaults(client_command=_list)
    for name, handler, about in (
            ("get", _get, "one execution, with its tasks"),
            ("watch", _watch, "follow an execution and its sub-workflows to the end"),
            ("logs", _logs, "an execution's trace lines (JSON lines)"),
            ("cancel", _control, "cancel an execution"),
            ("pause", _control, "pause an execution"),
            ("resume", _control, "resume a paused execution")):
        one = sub.add_parser(name, parents=[common], help=about)
        one.add_argument("execution_id", metavar="ID")
        if name in ("get", "cancel", "pause", "resume"):
            one.add_argument("--json", action="store_true", help="the daemon's JSON answer")
        if name == "watch":
            one.add_argument("--no-children", dest="children", action="store_false",
                             help="this execution only, not its sub-workflows")
        one.set_defaults(client_command=handler)
    view = sub.add_parser("top", parents=[common], help="a live view of the daemon's work")
    view.add_argument("--interval", type=float, default=1.0, metavar="S",
                      help="redraw every S seconds (1)")
    view.add_argument("--once", action="store_true", help="print one view and exit")
    view.set_defaults(client_command=top)


def _token(args: argparse.Namespace) -> str | None:
    if not args.token_file:
        return None
    return Path(args.token_file).read_text(encoding="utf-8").strip() or None


def run_client_command(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Run a client subcommand; its exit code (the daemon's refusals printed on ``err``)."""
    handler: Handler = args.client_command
    try:
        with Client(args.server, _token(args)) as client:
            return handler(client, args, out, err)
    except DaemonUnreachable as exc:
        err.write(f"troupe: {exc}\n")
        return 3
    except DaemonRefused as exc:
        err.write("".join(f"{line}\n" for line in refusal(exc, args)))
        return 3 if exc.status >= 500 else 2
    except ParameterError as exc:
        err.write(f"troupe: bad parameters: {exc}\n")
        return 2
    except ValidationFailed as exc:  # a params file that is not good YAML, located
        err.write("".join(f"{diagnostic}\n" for diagnostic in exc.diagnostics))
        return 2
    except OSError as exc:
        err.write(f"troupe: {exc}\n")
        return 2
    except KeyboardInterrupt:
        err.write("troupe: interrupted (the execution goes on in the daemon)\n")
        return 130


def refusal(exc: DaemonRefused, args: argparse.Namespace) -> list[str]:
    """What to print for an error answer."""
    server = args.server or "the daemon"
    if exc.status == 401:
        how = ("its token was not accepted" if args.token_file or _has_env_token()
               else f"it needs a token (--token-file F or ${TOKEN_ENV})")
        return [f"troupe: the daemon at {server} refused the request: {how}"]
    if exc.code == "invalid_workflow":
        return diagnostic_lines(exc.details, getattr(args, "local_file", None)) or [
            f"troupe: {exc.message}"]
    if exc.code == "bad_parameters":
        return [f"troupe: bad parameters: {exc.message}"]
    if exc.code == "bad_rerun":
        return [f"troupe: cannot rerun {args.execution_id}: task {exc.details.get('task')}: "
                f"{exc.details.get('reason')}"]
    if exc.code == "bad_status":
        return [f"troupe: cannot {args.command} {args.execution_id}: {exc.message}"]
    return [f"troupe: {exc}"]


def _has_env_token() -> bool:
    import os

    return bool(os.environ.get(TOKEN_ENV))


def _list(client: Client, args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    items, cursor = client.pages("/api/v1/executions", limit=None if args.all else args.limit,
                                 status=args.status, workflow=args.workflow,
                                 parent=args.parent, cursor=args.cursor)
    if args.json:
        print_json({"items": items, "cursor": cursor}, out)
    else:
        out.write(list_text(items, cursor))
    return 0


def _get(client: Client, args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    execution = client.get(f"/api/v1/executions/{args.execution_id}")
    if args.json:
        print_json(execution, out)
    else:
        out.write(execution_text(execution))
    return 0


def _control(client: Client, args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    summary = client.post(f"/api/v1/executions/{args.execution_id}/{args.command}")
    if args.json:
        print_json(summary, out)
    else:
        out.write(f"{args.command} requested: execution {summary['id']} "
                  f"(it was {summary['status']})\n")
    return 0


def _logs(client: Client, args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    for line in client.text(f"/api/v1/executions/{args.execution_id}/trace"):
        if line:
            out.write(line + "\n")
    return 0


def _watch(client: Client, args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    execution = client.get(f"/api/v1/executions/{args.execution_id}")
    return follow_and_report(client, execution, err, out, err, children=args.children,
                             as_json=False)
