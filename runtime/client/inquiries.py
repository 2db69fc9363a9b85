"""``troupe inquiries`` and ``troupe respond``: the daemon's inquiries, and answering one.

    troupe inquiries [--status S] [--execution ID] [--json]
    troupe respond ID --json '{"ok": true}'      troupe respond ID -p ok=true -p note=done

A response is a JSON object: ``--json TEXT`` gives it whole, ``-p KEY=VALUE`` builds it
(values read as ``troupe run -p`` reads them: ``true``, ``3``, ``[1, 2]`` are JSON). The
daemon checks it against the inquiry's schema: a refusal prints each schema error with its
path and exits 2 (the inquiry stays pending); an inquiry already answered, timed out or
canceled, or whose execution ended or does not run in the daemon, exits 2 too (with why).

Misuse: handlers print; nothing else here does.
"""

from __future__ import annotations

import argparse
import json
from typing import IO, Any

from runtime.cli_params import parse_parameters
from runtime.client.http import Client, DaemonRefused
from runtime.client.report import print_json
from runtime.errors import ParameterError
from runtime.inquiries import InquiryStatus

__all__ = ["add_inquiries", "inquiries_text"]


def add_inquiries(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``inquiries`` and ``respond`` to ``troupe``'s subparsers."""
    listing = sub.add_parser("inquiries", parents=[common],
                             help="the daemon's inquiries (default: the pending ones)")
    statuses = [s.value for s in InquiryStatus]
    listing.add_argument("--status", choices=[*statuses, "all"], default="pending",
                         metavar="STATUS", help=f"{', '.join(statuses)} or all (pending)")
    listing.add_argument("--execution", metavar="ID",
                         help="those of this execution (and its sub-workflows)")
    listing.add_argument("--json", action="store_true", help='{"items": [...], "cursor"}')
    listing.set_defaults(client_command=_inquiries)
    answer = sub.add_parser("respond", parents=[common], help="answer an inquiry")
    answer.add_argument("inquiry_id", metavar="ID")
    answer.add_argument("--json", dest="response", metavar="JSON",
                        help="the response, a JSON object")
    answer.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                        help="one field of the response (repeatable)")
    answer.set_defaults(client_command=_respond)


def inquiries_text(items: list[dict[str, Any]]) -> str:
    """One line per inquiry: id, status, execution, task, prompt."""
    if not items:
        return "no inquiries\n"
    lines = []
    for item in items:
        prompt = item.get("prompt") or ""
        lines.append(f"{item['id']}  {item['status']}  {item['execution_id']}  "
                     f"{item['task']}  {prompt}".rstrip())
    return "\n".join(lines) + "\n"


def _inquiries(client: Client, args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    status = None if args.status == "all" else args.status
    answer = client.get("/api/v1/inquiries", status=status or "", execution=args.execution)
    if args.json:
        print_json(answer, out)
    else:
        out.write(inquiries_text(answer["items"]))
    return 0


def _respond(client: Client, args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    response = _response(args)
    try:
        inquiry = client.post(f"/api/v1/inquiries/{args.inquiry_id}/respond",
                              {"response": response})
    except DaemonRefused as exc:
        if exc.code == "invalid_response":
            err.write(f"troupe: the response does not satisfy inquiry {args.inquiry_id}'s "
                      "schema:\n")
            for error in exc.details.get("errors", []):
                where = "/".join(str(p) for p in error.get("path", [])) or "(the response)"
                err.write(f"  {where}: {error.get('message')}\n")
            return 2
        if exc.code in ("inquiry_closed", "inquiry_not_live"):
            reason = exc.details.get("reason")
            err.write(f"troupe: inquiry {args.inquiry_id} is {exc.details.get('status')}: "
                      f"it takes no answer{f' ({reason})' if reason else ''}\n")
            return 2
        raise
    out.write(f"answered: inquiry {inquiry['id']} (execution {inquiry['execution_id']}, "
              f"task {inquiry['task']})\n")
    return 0


def _response(args: argparse.Namespace) -> dict[str, Any]:
    """The response ``--json`` and ``-p`` give (``ParameterError`` when neither does)."""
    response: dict[str, Any] = {}
    if args.response is not None:
        try:
            given = json.loads(args.response)
        except json.JSONDecodeError as exc:
            raise ParameterError(detail=f"--json: not JSON: {exc}") from None
        if not isinstance(given, dict):
            raise ParameterError(detail="--json: the response must be a JSON object")
        response.update(given)
    response.update(parse_parameters(args.param, None))
    if not response:
        raise ParameterError(detail="give the response: --json '{...}' or -p KEY=VALUE")
    return response
