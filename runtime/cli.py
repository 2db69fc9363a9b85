"""The ``troupe`` command line: validate, run, list actions, inspect traces.

    troupe validate FILE... [--json]
    troupe run FILE [-p key=value ...] [--params-file F] [--json] [--trace PATH] [--store URL]
    troupe recover | executions {list,show,events} | purge   [--store URL]  (runtime.cli_store)
    troupe submit | list | get | watch | cancel | pause | resume | rerun | logs | top [--server]
        (the client of ``troupe daemon``: runtime.client.commands; exit 3 when no daemon answers)
    troupe actions [--json]
    troupe daemon [--store URL] [--listen HOST:PORT] [--workflows DIR] ...  (runtime.daemon)
    troupe trace {summary,tree,timeline,stats,why,follow,export,html} ...

Exit codes: 0 success, 1 the workflow failed, 2 bad input (unreadable file, an invalid
workflow for ``validate`` and ``run`` alike, bad parameters, bad arguments, an unknown
execution, a store that does not open).

Misuse: this module is the product's terminal surface; library code must not call it (use
:mod:`runtime.api`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import yaml

from runtime.cli_interrupt import cancel_on_interrupt
from runtime.cli_output import print_result, result_json
from runtime.cli_store import STORE_ENV, STORE_URLS, opened, store_url
from runtime.errors import PackError, ParameterError, TroupeError, ValidationFailed
from runtime.status import TaskStatus, WorkflowStatus
from runtime.store import default_store_url
from runtime.values import json_default

__all__ = ["main"]

PACK_HELP = ("a StackStorm pack directory whose Python actions become PACK.ACTION "
             "(repeatable; docs/actions.md)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="troupe", description="Run YAML workflows on actors.")
    sub = parser.add_subparsers(dest="command", required=True)

    validate = sub.add_parser("validate", help="check workflow files and list every problem")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("--json", action="store_true", help="machine-readable diagnostics")
    validate.add_argument("--dialect", choices=("orquesta", "attune"))
    validate.add_argument("--no-actions", action="store_true",
                          help="do not check that action references exist")
    validate.add_argument("--actions-optional", action="store_true",
                          help="report an unknown action as a warning (T404), not an error: "
                          "StackStorm packs are resolved where the workflow runs")
    validate.add_argument("--pack", action="append", default=[], metavar="DIR", help=PACK_HELP)

    run = sub.add_parser("run", help="run a workflow to completion")
    run.add_argument("file", metavar="FILE")
    run.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                     help="a parameter (VALUE is read as YAML: 3, true, [1,2] ...)")
    run.add_argument("--params-file", metavar="F", help="YAML or JSON mapping of parameters")
    run.add_argument("--json", action="store_true", help="print the whole result as JSON")
    run.add_argument("--trace", metavar="PATH", help="write the actor trace (JSON lines)")
    run.add_argument("--trace-level", choices=("info", "debug"), default="info",
                     help="debug adds every message of with-items item workers")
    run.add_argument("--dialect", choices=("orquesta", "attune"))
    run.add_argument("--pack", action="append", default=[], metavar="DIR", help=PACK_HELP)
    run.add_argument("--timeout", type=float, default=None, help="cancel after this many s")
    run.add_argument("--progress", choices=("auto", "always", "never"), default="auto")
    run.add_argument("--store", metavar="URL", help=(
        f"journal the run in this store ({STORE_URLS}), so that `troupe recover` continues "
        f"it after a crash, and `troupe executions` reads it; default: ${STORE_ENV}; "
        "neither: in memory only"))

    _add_store_commands(sub)
    from runtime.client.commands import register
    from runtime.daemon.command import register as register_daemon
    from runtime.kv.cli import register as register_kv

    register(sub)  # submit, list, get, watch, cancel, pause, resume, rerun, logs, top
    register_daemon(sub)
    register_kv(sub)  # kv get, set, list, delete
    actions = sub.add_parser("actions", help="list the registered actions")
    actions.add_argument("--json", action="store_true")
    actions.add_argument("--pack", action="append", default=[], metavar="DIR", help=PACK_HELP)

    try:
        from runtime.trace.cli import add_trace_parser
    except ImportError:  # pragma: no cover - the trace reader ships with the package
        pass
    else:
        add_trace_parser(sub)
    return parser


def _add_store_commands(sub: Any) -> None:
    """``recover``, ``executions list|show|events`` and ``purge`` (:mod:`runtime.cli_store`)."""
    from runtime.cli_recover import recover
    from runtime.cli_show import events, show
    from runtime.cli_store import (
        list_executions,
        parse_cursor,
        parse_duration,
        parse_limit,
        parse_since,
        purge_executions,
    )

    store = argparse.ArgumentParser(add_help=False)
    store.add_argument("--store", metavar="URL", help=(
        f"the store ({STORE_URLS}); default: ${STORE_ENV}, else {default_store_url()}"))
    store.add_argument("--json", action="store_true", help="machine-readable output")
    recovering = sub.add_parser("recover", parents=[store],
                                help="continue the executions a stopped process left unfinished")
    recovering.add_argument("--pack", action="append", default=[], metavar="DIR",
                            help=PACK_HELP)
    recovering.set_defaults(handler=recover)
    executions = sub.add_parser("executions", help="read the executions a store holds")
    what = executions.add_subparsers(dest="what", required=True)
    listing = what.add_parser("list", parents=[store], help="executions, newest first")
    statuses = [s.value for s in WorkflowStatus]
    listing.add_argument("--status", choices=statuses, metavar="STATUS",
                         help=f"only those with this status ({', '.join(statuses)})")
    listing.add_argument("--workflow", metavar="NAME", help="only those of this workflow")
    listing.add_argument("--since", type=parse_since, metavar="WHEN",
                         help="created since: an ISO date/time, or a duration back (2h, 30d)")
    listing.add_argument("--limit", type=parse_limit, default=50, metavar="N",
                         help="at most N (50)")
    listing.add_argument("--cursor", type=parse_cursor,
                         help="the next page (printed after a full page)")
    listing.set_defaults(handler=list_executions)
    for name, handler, about in (("show", show, "one execution, with its tasks"),
                                 ("events", events, "an execution's journal, entry by entry")):
        one = what.add_parser(name, parents=[store], help=about)
        one.add_argument("execution_id", metavar="ID")
        one.set_defaults(handler=handler)
    purge = sub.add_parser("purge", parents=[store], help="remove old finished executions")
    purge.add_argument("--older-than", type=parse_duration, required=True, metavar="AGE",
                       help="finished more than AGE ago (30s, 15m, 2h, 30d, 1w)")
    purge.set_defaults(handler=purge_executions)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``troupe`` console script."""
    args = _parser().parse_args(argv)
    try:
        if getattr(args, "main", None) is not None:  # subcommands that run by themselves
            return int(args.main(args))
        handler = getattr(args, "handler", None)
        if handler is not None:
            from runtime.cli_store import run_store_command

            return run_store_command(handler, args, sys.stdout, sys.stderr)
        if getattr(args, "client_command", None) is not None:
            from runtime.client.commands import run_client_command

            return run_client_command(args, sys.stdout, sys.stderr)
        if args.command == "validate":
            return _validate(args, sys.stdout)
        if args.command == "run":
            return _run(args, sys.stdout, sys.stderr)
        if args.command == "actions":
            return _actions(args, sys.stdout)
        if args.command == "trace":
            from runtime.trace.cli import run_trace

            return int(run_trace(args))
    except BrokenPipeError:  # pragma: no cover - output piped into head
        return 0
    except PackError as exc:  # a --pack directory that cannot be read
        sys.stderr.write(f"troupe: {exc}\n")
        return 2
    return 2


# ---- validate -------------------------------------------------------------------------------


def _pack_actions(args: argparse.Namespace) -> dict[str, Any]:
    """The actions of the ``--pack`` directories (:mod:`runtime.st2pack`)."""
    if not getattr(args, "pack", None):
        return {}
    from runtime.st2pack import load_packs

    return load_packs(args.pack)


def _action_checks(packs: dict[str, Any] | None = None) -> dict[str, Any]:
    """``action_exists`` (a registered action, or a sub-workflow file) and ``action_inputs``
    (what it takes: T406-T408) for :func:`runtime.spec.validate` and ``load_workflow``."""
    from runtime.actions import ActionRegistry

    registry = ActionRegistry(packs)

    def exists(ref: str) -> bool:
        return ref.endswith((".yaml", ".yml")) or registry.has(ref)

    return {"action_exists": exists, "action_inputs": registry.accepts}


def _validate(args: argparse.Namespace, out: IO[str]) -> int:
    from runtime.spec import validate, validation_report

    packs = _pack_actions(args)  # a pack that cannot be read is reported even so
    checks = {} if args.no_actions else _action_checks(packs)

    failed = False
    report: list[dict[str, Any]] = []
    for file in args.files:
        if args.json:
            report.append(validation_report(Path(file), path=file, dialect=args.dialect,
                                            actions_optional=args.actions_optional, **checks))
            failed = failed or not report[-1]["valid"]
            continue
        defn, diagnostics = validate(Path(file), path=file, dialect=args.dialect,
                                     actions_optional=args.actions_optional, **checks)
        errors = [d for d in diagnostics if d.severity == "error"]
        failed = failed or bool(errors) or defn is None
        for diagnostic in diagnostics:
            out.write(f"{diagnostic}\n")
        if not errors and defn is not None:
            out.write(f"{file}: ok ({defn.dialect.value} dialect, {len(defn.tasks)} tasks)\n")
        else:
            out.write(f"{file}: {len(errors)} error(s)\n")
    if args.json:
        json.dump(report if len(report) != 1 else report[0], out, indent=2)
        out.write("\n")
    return 2 if failed else 0  # an invalid workflow is bad input, as for ``run``


# ---- run ------------------------------------------------------------------------------------


def _parameters(args: argparse.Namespace, string_inputs: frozenset[str] = frozenset()
                ) -> dict[str, Any]:
    from runtime.cli_params import parse_parameters

    return parse_parameters(args.param, args.params_file, string_inputs)


def _run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    show = args.progress == "always" or (args.progress == "auto" and err.isatty())
    progress = _Progress(err) if show else None
    with ExitStack() as stack:  # the engine, with --store: closed once the run is over
        started = _start(args, progress, stack, err, out)
        if started is None:
            return 2
        handle = started[2]
        with cancel_on_interrupt([handle], err):
            try:
                result = handle.wait(timeout=args.timeout)
            except TimeoutError:
                handle.cancel(f"timed out after {args.timeout} s", force=True)
                result = handle.wait(timeout=30)
    if progress is not None:
        progress.close()
    masker = handle.masker  # secret inputs, and what st2kv may decrypt
    if args.json:
        out.write(_json_text(result_json(result, masker)) + "\n")
    else:
        print_result(result, masker, out, err)
    return 0 if result.status is WorkflowStatus.SUCCEEDED else 1


def _start(args: argparse.Namespace, progress: _Progress | None, stack: ExitStack,
           err: IO[str], out: IO[str]) -> tuple[Any, dict[str, Any], Any] | None:
    """Load, check and start the workflow, in memory or (``--store``) through an engine;
    None when the input was bad (what was wrong is printed)."""
    from runtime.api import start_workflow
    from runtime.spec import load_workflow

    try:
        packs = _pack_actions(args)
        defn = load_workflow(Path(args.file), dialect=args.dialect,
                             **_action_checks(packs))
        params = _parameters(args, frozenset(i.name for i in defn.inputs if i.type == "string"))
        options = {"trace": args.trace, "trace_level": args.trace_level,
                   "on_event": progress.on_event if progress else None}
        url = store_url(args)
        if url is None:
            return defn, params, start_workflow(defn, params, actions=packs, **options)
        from runtime.engine import Engine

        with opened(url):
            pass  # a store that does not open fails here, in words, before an engine starts
        engine = stack.enter_context(Engine(store=url, actions=packs))
        handle = engine.start_workflow(defn, params, **options)
    except ValidationFailed as exc:
        for diagnostic in exc.diagnostics:
            err.write(f"{diagnostic}\n")
        _bad_input(args, out, "invalid_workflow", str(exc),
                   diagnostics=[d.to_json() for d in exc.diagnostics])
        return None
    except ParameterError as exc:
        err.write(f"troupe: bad parameters: {exc}\n")
        _bad_input(args, out, "bad_parameters", str(exc), missing=list(exc.missing),
                   unknown=list(exc.unknown),
                   problems=[{"parameter": p.parameter, "path": list(p.path),
                              "validator": p.validator, "message": p.message}
                             for p in exc.problems])
        return None
    except (OSError, yaml.YAMLError, TroupeError) as exc:
        err.write(f"troupe: {exc}\n")
        _bad_input(args, out, "bad_input", str(exc))
        return None
    err.write(f"troupe: execution {handle.execution_id} (store {engine.url})\n")
    err.flush()
    return defn, params, handle


def _bad_input(args: argparse.Namespace, out: IO[str], kind: str, message: str,
               **facts: Any) -> None:
    """With ``--json``, what was wrong as JSON on stdout (``status`` ``invalid``)."""
    if args.json:
        out.write(_json_text({"status": "invalid", "error": {"kind": kind, "message": message,
                                                             **facts}}) + "\n")


def _json_text(value: Any) -> str:
    """Valid JSON always: a NaN or an infinity (JSON has none) is written as its name."""
    try:
        return json.dumps(value, indent=2, default=json_default, allow_nan=False)
    except ValueError:
        return json.dumps(json.loads(json.dumps(value, default=json_default),
                                     parse_constant=str), indent=2)


class _Progress:
    """Live progress on a terminal: task lines and a bar for with-items tasks."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.bar_open = False
        self.last_draw = 0.0

    def on_event(self, event: Any) -> None:
        if event.kind == "item_finished":
            now = time.monotonic()
            if event.done != event.total and now - self.last_draw < 0.1:
                return
            self.last_draw = now
            width = 30
            filled = int(width * event.done / max(event.total or 1, 1))
            self.stream.write(f"\r  {event.task} [{'#' * filled}{'.' * (width - filled)}] "
                              f"{event.done}/{event.total}")
            self.stream.flush()
            self.bar_open = True
            return
        if event.kind not in ("task_started", "task_finished", "task_retrying") or event.pseudo:
            return
        if self.bar_open:
            self.stream.write("\n")
            self.bar_open = False
        if event.kind == "task_started":
            extra = f" ({event.total} items)" if event.total is not None else ""
            self.stream.write(f"▶ {event.task}{extra}\n")
        elif event.kind == "task_retrying":
            self.stream.write(f"↻ {event.task} retry (attempt {event.attempt})\n")
        else:
            mark = "✔" if event.status is TaskStatus.SUCCEEDED else "✘"
            self.stream.write(f"{mark} {event.task} {event.status}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.bar_open:
            self.stream.write("\n")


# ---- actions --------------------------------------------------------------------------------


def _actions(args: argparse.Namespace, out: IO[str]) -> int:
    from runtime.actions import ActionRegistry

    registry = ActionRegistry(_pack_actions(args))
    entries = registry.describe()
    if args.json:
        json.dump([{"ref": a.ref, "source": a.source, "description": a.description}
                   for a in entries], out, indent=2)
        out.write("\n")
        return 0
    width = max((len(a.ref) for a in entries), default=10)
    for action in entries:
        out.write(f"{action.ref:<{width}}  {action.source:<11}  {action.description}\n")
    out.write("\nAlso: python:package.module:function references, and sub-workflows "
              "(a path ending in .yaml).\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
