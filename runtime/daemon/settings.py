"""The daemon's settings: one frozen record, read from flags, ``TROUPE_*`` and a TOML file.

    settings = load_settings(flags, os.environ)     # flags: {"store": ..., "listen": ...}

Each setting comes from the first of: its command-line flag, its environment variable, its
key in the config file (``--config``, else ``$TROUPE_CONFIG``), its default. The keys:

    =====================  ===========================  ==================================
    config key             environment                  flag
    =====================  ===========================  ==================================
    store                  TROUPE_STORE                 --store URL
    listen                 TROUPE_LISTEN                --listen HOST:PORT
    workflows              TROUPE_WORKFLOWS             --workflows DIR
    trace_dir              TROUPE_TRACE_DIR             --trace-dir DIR
    token_file             TROUPE_TOKEN_FILE            --token-file F
    (none: not in a file)  TROUPE_TOKEN                 (none: not on a command line)
    drain_timeout          TROUPE_DRAIN_TIMEOUT         --drain-timeout S
    actions (list)         TROUPE_ACTIONS (a,b)         --actions MODULE:NAME (repeatable)
    log_level              TROUPE_LOG_LEVEL             --log-level LEVEL
    executor               TROUPE_EXECUTOR              --executor local|ray|ray://H:P|H:P
    ray_address            TROUPE_RAY_ADDRESS           --ray-address ADDR
    ray_result_threshold   TROUPE_RAY_RESULT_THRESHOLD  --ray-result-threshold BYTES
    =====================  ===========================  ==================================

The token is ``--token-file``'s, else ``$TROUPE_TOKEN``, else ``$TROUPE_TOKEN_FILE``'s, else
the config file's ``token_file``'s (the file's content without surrounding whitespace).
Relative paths in the config file are relative to the file's directory. A wrong value, an
unknown key or an unreadable file is a :class:`~runtime.errors.ConfigError` naming where it
came from and which key.

Misuse: never log or print a :class:`DaemonSettings`' token (its ``repr`` leaves it out);
:func:`load_settings` reads files (the config, the token file): call it at start and on
SIGHUP, not per request.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from runtime.errors import ConfigError, ExecutorError, StoreError
from runtime.executors import LOCAL, ExecutorChoice, parse_executor, parse_threshold
from runtime.records import record
from runtime.store import default_store_url
from runtime.store.sqlite import parse_sqlite_url

__all__ = ["DEFAULT_LISTEN", "LOG_LEVELS", "DaemonSettings", "default_trace_dir", "load_settings",
           "parse_listen"]

DEFAULT_LISTEN = "127.0.0.1:8765"
LOG_LEVELS = ("debug", "info", "warning", "error")


@record
class DaemonSettings:
    """What ``troupe daemon`` runs with (see the module docstring for where each comes from)."""

    store: str
    host: str
    port: int
    workflows: Path | None = None
    trace_dir: Path | None = None
    token: str | None = dataclasses.field(default=None, repr=False)
    drain_timeout: float = 30.0
    actions: tuple[str, ...] = ()
    log_level: str = "info"
    config_file: Path | None = None
    executor: ExecutorChoice = LOCAL
    """Where attempts run unless a task says (:mod:`runtime.executors`)."""
    ray_result_threshold: int | None = None
    """Bytes over which a Ray attempt's result stays in the object store (None: off;
    :mod:`runtime.executors.kept`)."""


class _Source:
    """Where one raw value came from: its words for errors, and its base for paths."""

    __slots__ = ("base", "words")

    def __init__(self, words: str, base: Path | None = None) -> None:
        self.words = words
        self.base = base


def parse_listen(value: str, source: str = "--listen", key: str = "listen") -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8765`` for IPv6) as ``(host, port)``."""
    host, sep, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(source=source, key=key, problem="expected HOST:PORT (PORT 0-65535)")
    return host, int(port)


def _string(value: Any, source: _Source, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(source=source.words, key=key, problem="expected a non-empty string")
    return value.strip()


def _path(value: Any, source: _Source, key: str) -> Path:
    path = Path(_string(value, source, key)).expanduser()
    return source.base / path if source.base is not None and not path.is_absolute() else path


def _seconds(value: Any, source: _Source, key: str) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value < 0:
        raise ConfigError(source=source.words, key=key,
                          problem="expected a number of seconds >= 0")
    return float(value)


def _actions(value: Any, source: _Source, key: str) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
        raise ConfigError(source=source.words, key=key, problem="expected MODULE:NAME strings")
    refs = tuple(i.strip() for i in items if i.strip())
    for ref in refs:
        module, sep, name = ref.partition(":")
        if not sep or not module or not name:
            raise ConfigError(source=source.words, key=key,
                              problem=f"{ref!r}: expected MODULE:NAME")
    return refs


def _level(value: Any, source: _Source, key: str) -> str:
    level = _string(value, source, key).lower()
    if level not in LOG_LEVELS:
        raise ConfigError(source=source.words, key=key,
                          problem=f"expected one of {', '.join(LOG_LEVELS)}")
    return level


def _listen(value: Any, source: _Source, key: str) -> tuple[str, int]:
    return parse_listen(_string(value, source, key), source.words, key)


def _threshold(value: Any, source: _Source, key: str) -> int | None:
    try:
        return parse_threshold(value)
    except ExecutorError as exc:
        raise ConfigError(source=source.words, key=key, problem=exc.problem) from None


_KEYS: dict[str, tuple[str, Callable[[Any, _Source, str], Any]]] = {
    "store": ("TROUPE_STORE", _string),
    "listen": ("TROUPE_LISTEN", _listen),
    "workflows": ("TROUPE_WORKFLOWS", _path),
    "trace_dir": ("TROUPE_TRACE_DIR", _path),
    "token_file": ("TROUPE_TOKEN_FILE", _path),
    "drain_timeout": ("TROUPE_DRAIN_TIMEOUT", _seconds),
    "actions": ("TROUPE_ACTIONS", _actions),
    "log_level": ("TROUPE_LOG_LEVEL", _level),
    "executor": ("TROUPE_EXECUTOR", _string),
    "ray_address": ("TROUPE_RAY_ADDRESS", _string),
    "ray_result_threshold": ("TROUPE_RAY_RESULT_THRESHOLD", _threshold),
}
"""Config key -> its environment variable and the parser of its raw value."""


def _read_file(path: Path) -> dict[str, Any]:
    """The config file's table; a :class:`ConfigError` for what is wrong with it."""
    try:
        with path.open("rb") as stream:
            table = tomllib.load(stream)
    except OSError as exc:
        raise ConfigError(source=str(path), key="(file)",
                          problem=exc.strerror or "cannot be read") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source=str(path), key="(file)", problem=f"not TOML: {exc}") from None
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise ConfigError(source=str(path), key=unknown[0], problem=(
            f"unknown key (known: {', '.join(_KEYS)})"))
    return table


def _layers(flags: Mapping[str, Any], env: Mapping[str, str], config: Path | None
            ) -> dict[str, Any]:
    """Every key's value from the first layer that sets it, parsed."""
    table = _read_file(config) if config is not None else {}
    file_source = _Source(str(config), config.parent) if config is not None else None
    values: dict[str, Any] = {}
    for key, (variable, parse) in _KEYS.items():
        flag = flags.get(key)
        if flag not in (None, (), []):
            values[key] = parse(flag, _Source(f"--{key.replace('_', '-')}"), key)
        elif env.get(variable):
            values[key] = parse(env[variable], _Source(f"${variable}"), key)
        elif key in table and file_source is not None:
            values[key] = parse(table[key], file_source, key)
    return values


def _token(flags: Mapping[str, Any], env: Mapping[str, str], values: Mapping[str, Any]
           ) -> str | None:
    """The token: ``--token-file``'s, ``$TROUPE_TOKEN``, else a token file's from env/file."""
    path = values.get("token_file")
    if env.get("TROUPE_TOKEN") and not flags.get("token_file"):
        return env["TROUPE_TOKEN"].strip()
    if path is None:
        return None
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        problem = getattr(exc, "strerror", None) or "cannot be read"
        raise ConfigError(source=str(path), key="token_file", problem=problem) from None
    if not token:
        raise ConfigError(source=str(path), key="token_file", problem="the file is empty")
    return token


def default_trace_dir(store: str | None) -> Path:
    """Where the traces go when no ``trace_dir`` is set: ``traces/`` beside a SQLite store's
    file, else in the user's data directory (``troupe logs`` has something to show)."""
    try:
        database = parse_sqlite_url(store or default_store_url()).path
    except StoreError:  # not SQLite (or not a good URL: the store's own check says so)
        database = parse_sqlite_url(default_store_url()).path
    return database.parent / "traces"


def load_settings(flags: Mapping[str, Any], env: Mapping[str, str]) -> DaemonSettings:
    """The settings from ``flags`` (config key -> the flag's value, None when not given;
    ``config`` the config file's path), ``env`` and the config file."""
    raw_config = flags.get("config") or env.get("TROUPE_CONFIG")
    config = Path(raw_config).expanduser() if raw_config else None
    values = _layers(flags, env, config)
    host, port = values.get("listen") or parse_listen(DEFAULT_LISTEN)
    return DaemonSettings(
        store=values.get("store") or default_store_url(), host=host, port=port,
        workflows=values.get("workflows"),
        trace_dir=values.get("trace_dir") or default_trace_dir(values.get("store")),
        token=_token(flags, env, values),
        drain_timeout=values.get("drain_timeout", 30.0), actions=values.get("actions", ()),
        log_level=values.get("log_level", "info"), config_file=config,
        executor=_executor(values), ray_result_threshold=values.get("ray_result_threshold"))


def _executor(values: Mapping[str, Any]) -> ExecutorChoice:
    """The executor and Ray address settings, together (a Ray address needs ``ray``)."""
    try:
        return parse_executor(values.get("executor"), values.get("ray_address"))
    except ExecutorError as exc:
        key = "ray_address" if exc.executor == "local" else "executor"
        raise ConfigError(source="settings", key=key, problem=exc.problem) from None
