"""The ``troupe daemon`` subcommand: its arguments, handed to :mod:`runtime.daemon.process`.

    troupe daemon [--store URL] [--listen HOST:PORT] [--workflows DIR] [--trace-dir DIR]
                  [--config FILE] [--token-file F] [--drain-timeout S] [--actions MODULE:NAME]...
                  [--log-level LEVEL] [--executor local|ray|ADDR] [--ray-address ADDR]
                  [--ray-result-threshold BYTES]

Every flag defaults to None, so that :func:`runtime.daemon.settings.load_settings` can tell
a flag given from one left out (flags > ``TROUPE_*`` > config file > defaults).

Misuse: importing this module must stay cheap (it builds part of every ``troupe`` command
line): the server, the engine and uvicorn are imported when the daemon runs, not here.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from runtime.daemon.settings import DEFAULT_LISTEN, LOG_LEVELS

__all__ = ["register"]

_FLAGS = ("store", "listen", "workflows", "trace_dir", "config", "token_file", "drain_timeout",
          "actions", "log_level", "executor", "ray_address", "ray_result_threshold")


def register(sub: Any) -> None:
    """Add ``daemon`` to the ``troupe`` subcommands (``sub``: argparse's subparsers)."""
    daemon = sub.add_parser("daemon", help="run the engine as a long-running HTTP service")
    daemon.add_argument("--store", metavar="URL", help=(
        "the store (sqlite:///PATH, postgresql://...); $TROUPE_STORE; default: the SQLite "
        "file in the user's data directory"))
    daemon.add_argument("--listen", metavar="HOST:PORT", help=(
        f"where to listen ($TROUPE_LISTEN; default {DEFAULT_LISTEN}); an address other "
        "than loopback needs a token"))
    daemon.add_argument("--workflows", metavar="DIR",
                        help="the workflows directory, whose files are submitted by name")
    daemon.add_argument("--trace-dir", metavar="DIR", help=(
        "write each execution's trace there (ID.jsonl), for `troupe logs ID`"))
    daemon.add_argument("--config", metavar="FILE", help="a TOML config file ($TROUPE_CONFIG)")
    daemon.add_argument("--token-file", metavar="F", help=(
        "a file holding the bearer token every request must carry (or $TROUPE_TOKEN)"))
    daemon.add_argument("--drain-timeout", metavar="S", help=(
        "on SIGTERM, how long running executions may go on before the engine stops (30)"))
    daemon.add_argument("--actions", metavar="MODULE:NAME", action="append", help=(
        "a mapping of action reference to Python callable, for the engine (repeatable)"))
    daemon.add_argument("--log-level", choices=LOG_LEVELS, help="from which level to log")
    daemon.add_argument("--executor", metavar="EXECUTOR", help=(
        "where actions run: local (default), ray, ray://HOST:PORT or HOST:PORT "
        "($TROUPE_EXECUTOR; docs/executors.md)"))
    daemon.add_argument("--ray-address", metavar="ADDR", help=(
        "the Ray cluster to connect to with --executor ray ($TROUPE_RAY_ADDRESS)"))
    daemon.add_argument("--ray-result-threshold", metavar="BYTES", help=(
        "Ray results bigger than this (bytes, or 1MiB) stay in Ray's object store, with a "
        "reference in the context ($TROUPE_RAY_RESULT_THRESHOLD; default: off)"))
    daemon.set_defaults(main=_main)


def _main(args: argparse.Namespace) -> int:
    from runtime.daemon.process import run_daemon

    return run_daemon({name: getattr(args, name) for name in _FLAGS}, dict(os.environ))
