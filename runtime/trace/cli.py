"""The ``troupe trace`` command: read, summarise, explain, follow and export actor traces.

:func:`add_trace_parser` registers ``trace`` (with its subcommands ``summary``, ``tree``,
``timeline``, ``stats``, ``why``, ``follow``, ``export``, ``html``) on a caller's argparse
subparsers; :func:`run_trace` executes parsed arguments and returns the exit status: 0 ok,
1 nothing matched (or the execution was not found), 2 bad input (missing file, ambiguous
execution, too many malformed lines). Each malformed line is reported on stderr with its
line number and skipped. :func:`main` runs the same command standalone
(``python -m runtime.trace.cli summary FILE``).

Misuse: do not call the library functions' renderers with ``print``-style side effects in
mind; everything goes to the ``stream`` given (stdout by default), diagnostics to ``err``.
Do not parse the human output in scripts: use ``--json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from runtime.errors import TroupeError
from runtime.trace.follow import follow
from runtime.trace.html import export_html
from runtime.trace.model import load_execution
from runtime.trace.perfetto import export_perfetto
from runtime.trace.reader import (
    DEFAULT_MAX_ERRORS,
    AmbiguousExecution,
    ExecutionNotFound,
    TraceFilter,
    TraceFormatError,
    resolve_execution,
    scan_executions,
)
from runtime.trace.stats import compute_stats, render_stats, stats_to_json
from runtime.trace.summary import render_summary, summarize, summary_to_json
from runtime.trace.timeline import build_timeline, render_timeline, timeline_to_json
from runtime.trace.tree import build_tree, render_tree, tree_to_json
from runtime.trace.why import explain, render_why, why_to_json

__all__ = ["add_trace_parser", "main", "run_trace"]

EXIT_OK = 0
EXIT_NO_MATCH = 1
EXIT_BAD_INPUT = 2


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--execution", metavar="ID", help="only executions whose id starts so")
    parser.add_argument("--task", metavar="NAME", help="only this task")
    parser.add_argument("--status", metavar="STATUS", help="only this status")
    parser.add_argument(
        "--max-errors",
        type=int,
        default=DEFAULT_MAX_ERRORS,
        metavar="N",
        help=f"malformed lines to skip before giving up (default {DEFAULT_MAX_ERRORS})",
    )


def configure_trace_parser(parser: argparse.ArgumentParser) -> None:
    """Add the ``trace`` subcommands to ``parser``."""
    sub = parser.add_subparsers(dest="trace_command", metavar="COMMAND", required=True)

    p = sub.add_parser("summary", help="one line per execution")
    p.add_argument("file", metavar="FILE")
    _common(p)

    for name, text in (
        ("tree", "the actor tree of an execution"),
        ("timeline", "a text Gantt chart of an execution"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("file", metavar="FILE")
        p.add_argument("exec_id", metavar="EXEC", nargs="?", help="execution id (prefix)")
        p.add_argument("--items", action="store_true", help="one line per with-items item")
        if name == "timeline":
            p.add_argument("--width", type=int, help="columns (default: terminal width)")
        _common(p)

    p = sub.add_parser("stats", help="per task and per action statistics")
    p.add_argument("file", metavar="FILE")
    _common(p)

    p = sub.add_parser("why", help="the chain that made a task run (or not)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("exec_id", metavar="EXEC", help="execution id (prefix)")
    p.add_argument("task_name", metavar="TASK", help="task name")
    _common(p)

    p = sub.add_parser("follow", help="print events of a growing trace as they come")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--from-start", action="store_true", help="print existing lines first")
    p.add_argument(
        "--until-finished",
        action="store_true",
        help="stop once the followed executions have finished",
    )
    p.add_argument("--max-lines", type=int, metavar="N", help="stop after N printed lines")
    _common(p)

    p = sub.add_parser("export", help="export for other viewers")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", choices=["perfetto"], default="perfetto")
    p.add_argument("-o", "--output", metavar="OUT", help="output file (default: stdout)")
    _common(p)

    p = sub.add_parser("html", help="a self-contained HTML timeline of an execution")
    p.add_argument("file", metavar="FILE")
    p.add_argument("exec_id", metavar="EXEC", nargs="?", help="execution id (prefix)")
    p.add_argument("-o", "--output", metavar="OUT", help="output file (default: stdout)")
    _common(p)


def add_trace_parser(subparsers: Any) -> None:
    """Register the ``trace`` command on ``subparsers`` (from ``add_subparsers()``)."""
    parser = subparsers.add_parser(
        "trace",
        help="read actor traces (summary, tree, timeline, stats, why, follow, export, html)",
        description="Read Troupe actor traces (JSON lines, see docs/trace-format.md).",
    )
    configure_trace_parser(parser)


class _NoMatch(TroupeError):
    """Filters left nothing to show."""


def _filter(args: argparse.Namespace) -> TraceFilter:
    return TraceFilter(execution=args.execution, task=args.task, status=args.status)


def _prefix(args: argparse.Namespace) -> str | None:
    """The execution an ``EXEC`` command is about (positional, else ``--execution``)."""
    prefix: str | None = getattr(args, "exec_id", None) or args.execution
    return prefix


def _check_execution(args: argparse.Namespace, execution: str) -> None:
    if args.execution is not None and not execution.startswith(args.execution):
        raise _NoMatch(f"execution {execution} does not match --execution {args.execution}")


def _dump(value: Any, stream: TextIO) -> None:
    stream.write(json.dumps(value, indent=2, default=str) + "\n")


def _summary(args: argparse.Namespace, stream: TextIO, err: TextIO, on_error: Any) -> int:
    rows = summarize(args.file, filt=_filter(args), max_errors=args.max_errors, on_error=on_error)
    if args.json:
        _dump(summary_to_json(rows), stream)
    else:
        render_summary(rows, stream)
    return EXIT_OK if rows else EXIT_NO_MATCH


def _tree_or_timeline(args: argparse.Namespace, stream: TextIO, err: TextIO, on_error: Any) -> int:
    loaded = load_execution(
        args.file,
        _prefix(args),
        item_details=args.items,
        max_errors=args.max_errors,
        on_error=on_error,
    )
    _check_execution(args, loaded.root)
    tree = build_tree(loaded, task=args.task, status=args.status)
    matched = tree.count_runs() > 0 or (args.task is None and args.status is None)
    if args.trace_command == "tree":
        if args.json:
            _dump(tree_to_json(tree, items=args.items), stream)
        else:
            render_tree(tree, stream, items=args.items)
    else:
        timeline = build_timeline(tree, items=args.items)
        if args.json:
            _dump(timeline_to_json(timeline), stream)
        else:
            render_timeline(timeline, stream, width=args.width)
    return EXIT_OK if matched else EXIT_NO_MATCH


def _stats(args: argparse.Namespace, stream: TextIO, err: TextIO, on_error: Any) -> int:
    stats = compute_stats(
        args.file, filt=_filter(args), max_errors=args.max_errors, on_error=on_error
    )
    if args.json:
        _dump(stats_to_json(stats), stream)
    else:
        render_stats(stats, stream)
    return EXIT_OK if stats.tasks else EXIT_NO_MATCH


def _why(args: argparse.Namespace, stream: TextIO, err: TextIO, on_error: Any) -> int:
    if args.task is not None and args.task != args.task_name:
        raise _NoMatch(f"task {args.task_name} does not match --task {args.task}")
    loaded = load_execution(
        args.file,
        args.exec_id,
        keep_graph=True,
        descendants=False,
        max_errors=args.max_errors,
        on_error=on_error,
    )
    _check_execution(args, loaded.root)
    record = loaded.record
    if args.status is not None:
        runs = [run for run in record.task_runs if run.task == args.task_name]
        status = runs[-1].status if runs else "not_started"
        if status != args.status:
            raise _NoMatch(f"task {args.task_name} is {status}, not {args.status}")
    steps = explain(record, args.task_name)
    if args.json:
        _dump(why_to_json(record, args.task_name, steps), stream)
    elif steps:
        render_why(record, args.task_name, steps, stream)
    if not steps:
        err.write(f"trace: task {args.task_name!r} does not appear in {record.execution}\n")
        return EXIT_NO_MATCH
    return EXIT_OK


def _follow(args: argparse.Namespace, stream: TextIO, err: TextIO, on_error: Any) -> int:
    try:
        follow(
            args.file,
            stream=stream,
            filt=_filter(args),
            json_output=args.json,
            from_start=args.from_start,
            until_finished=args.until_finished,
            max_lines=args.max_lines,
            max_errors=args.max_errors,
            on_error=on_error,
        )
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK


def _export(args: argparse.Namespace, stream: TextIO, err: TextIO, on_error: Any) -> int:
    filt = _filter(args)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            report = export_perfetto(
                args.file, out, filt=filt, max_errors=args.max_errors, on_error=on_error
            )
        if args.json:
            _dump(
                {
                    "output": args.output,
                    "format": args.format,
                    "events": report.events,
                    "flows": report.flows,
                    "executions": list(report.executions),
                },
                stream,
            )
        else:
            stream.write(
                f"wrote {args.output}: {report.events} events, {len(report.executions)}"
                " execution(s); open it in https://ui.perfetto.dev\n"
            )
    else:
        report = export_perfetto(
            args.file, stream, filt=filt, max_errors=args.max_errors, on_error=on_error
        )
    return EXIT_OK if report.executions else EXIT_NO_MATCH


def _html(args: argparse.Namespace, stream: TextIO, err: TextIO, on_error: Any) -> int:
    prefix = _prefix(args)
    filt = _filter(args)
    if args.exec_id is not None and args.execution is not None:
        _check_execution(
            args, resolve_execution(scan_executions(args.file), prefix, path=args.file)
        )
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            report = export_html(
                args.file,
                out,
                execution=prefix,
                filt=filt,
                max_errors=args.max_errors,
                on_error=on_error,
            )
        if args.json:
            _dump(
                {
                    "output": args.output,
                    "execution": report.execution,
                    "actors": report.actors,
                    "slices": report.slices,
                },
                stream,
            )
        else:
            stream.write(f"wrote {args.output}: {report.actors} actors, {report.slices} bars\n")
    else:
        report = export_html(
            args.file,
            stream,
            execution=prefix,
            filt=filt,
            max_errors=args.max_errors,
            on_error=on_error,
        )
    return EXIT_OK


_HANDLERS: dict[str, Callable[[argparse.Namespace, TextIO, TextIO, Any], int]] = {
    "summary": _summary,
    "tree": _tree_or_timeline,
    "timeline": _tree_or_timeline,
    "stats": _stats,
    "why": _why,
    "follow": _follow,
    "export": _export,
    "html": _html,
}


def run_trace(
    args: argparse.Namespace, stream: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run a parsed ``trace`` command; return the exit status (0, 1 or 2).

    Output goes to ``stream`` (default: ``sys.stdout`` at call time), diagnostics and
    malformed-line reports to ``err`` (default: ``sys.stderr``).
    """
    out = stream if stream is not None else sys.stdout
    errors = err if err is not None else sys.stderr

    def on_error(problem: TraceFormatError) -> None:
        errors.write(
            f"trace: skipping malformed line {problem.path}:{problem.line}: {problem.reason}\n"
        )

    handler = _HANDLERS[args.trace_command]
    try:
        return handler(args, out, errors, on_error)
    except OSError as exc:
        errors.write(f"trace: {exc}\n")
        return EXIT_BAD_INPUT
    except (TraceFormatError, AmbiguousExecution) as exc:
        errors.write(f"trace: {exc}\n")
        return EXIT_BAD_INPUT
    except (ExecutionNotFound, _NoMatch) as exc:
        errors.write(f"trace: {exc}\n")
        return EXIT_NO_MATCH


def main(
    argv: Sequence[str] | None = None, stream: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run ``troupe trace`` standalone: ``argv`` is what follows ``trace``."""
    parser = argparse.ArgumentParser(
        prog="troupe trace",
        description="Read Troupe actor traces (JSON lines, see docs/trace-format.md).",
    )
    configure_trace_parser(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    return run_trace(args, stream, err)


if __name__ == "__main__":
    sys.exit(main())
