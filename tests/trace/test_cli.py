"""The ``trace`` argparse wiring: registration on a caller's parser, flags, exit codes."""

from __future__ import annotations

import argparse
import io

import pytest

from runtime.trace.cli import add_trace_parser, main, run_trace
from tests.trace.conftest import Demo, run_cli

COMMANDS = ["summary", "tree", "timeline", "stats", "why", "follow", "export", "html"]


def test_add_trace_parser_registers_on_the_callers_subparsers(demo: Demo) -> None:
    parser = argparse.ArgumentParser(prog="troupe")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run")
    add_trace_parser(sub)
    args = parser.parse_args(["trace", "summary", str(demo.path), "--json"])
    assert args.command == "trace"
    out = io.StringIO()
    assert run_trace(args, out) == 0
    assert out.getvalue().startswith("[")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_takes_the_common_flags(command: str) -> None:
    parser = argparse.ArgumentParser()
    add_trace_parser(parser.add_subparsers(dest="command"))
    positional = {
        "why": ["F", "E", "T"],
        "tree": ["F", "E"],
        "timeline": ["F", "E"],
        "html": ["F", "E"],
    }.get(command, ["F"])
    args = parser.parse_args(
        [
            "trace",
            command,
            *positional,
            "--json",
            "--execution",
            "e",
            "--task",
            "t",
            "--status",
            "failed",
        ]
    )
    assert (args.json, args.execution, args.task, args.status) == (True, "e", "t", "failed")


def test_usage_errors_exit_2(demo: Demo) -> None:
    err = io.StringIO()
    assert main(["bogus"], io.StringIO(), err) == 2
    assert main(["export", str(demo.path), "--format", "svg"], io.StringIO(), err) == 2
    assert main(["why", str(demo.path)], io.StringIO(), err) == 2


def test_export_to_stdout_and_html_to_stdout(demo: Demo) -> None:
    assert run_cli("export", demo.path).out.startswith('{"traceEvents": [')
    page = run_cli("html", demo.path, "e1")
    assert page.rc == 0
    assert page.out.startswith("<!DOCTYPE html>")
