"""The ``troupe daemon`` process: an Engine on a store, served over HTTP, until a signal.

    code = run_daemon(flags, os.environ)     # what `troupe daemon` returns as its exit code

The life of the process: the settings (:mod:`runtime.daemon.settings`) are read and a
non-loopback address without a token is refused (exit 2, before anything binds); the log
becomes JSON lines on stdout; the store is opened and an :class:`~runtime.engine.Engine`
started on it; uvicorn binds and serves the app (:func:`runtime.server.app.create_app`);
``engine.recover()`` continues what the last process left unfinished; then the server is
marked ready (``/readyz``) and systemd told ``READY=1``.

Signals (handled in the event loop):

- SIGTERM or SIGINT: drain. New executions are refused (503), the engine starts no new
  attempt (``Engine.hold``), the running ones may finish for up to ``drain_timeout``
  seconds, then the engine closes (every execution not finished stays unfinished in the
  store, for the next start's recovery) and the server stops: exit 0.
- a second SIGTERM or SIGINT while draining: the engine closes at once (the journal writes
  what it holds) and the process exits 1 without waiting for anything else.
- SIGHUP: the config is read again (its log level applies at once) and the workflows
  directory reloaded (files added, changed or removed); settings that only a restart changes
  (store, listen, token, actions, the workflows and trace directories) are logged as such.

Misuse: one daemon per store (the engine's rule); run it in the foreground under a
supervisor (systemd: docs/troupe.service), not backgrounded by itself.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sys
from collections.abc import Mapping
from typing import Any

import structlog
import uvicorn

from runtime.daemon import logs
from runtime.daemon.actions import load_actions
from runtime.daemon.security import check_exposure
from runtime.daemon.settings import DaemonSettings, load_settings
from runtime.daemon.systemd import notify, reloading
from runtime.engine import Engine
from runtime.errors import ConfigError, TroupeError

__all__ = ["run_daemon"]

log = structlog.get_logger("troupe.daemon")

RESTART_ONLY = ("store", "host", "port", "token", "actions", "workflows", "trace_dir")
"""Settings a SIGHUP cannot change in a running daemon."""


def run_daemon(flags: Mapping[str, Any], env: Mapping[str, str]) -> int:
    """Run the daemon until it is stopped; its exit code: 0 after a drain, 1 when recovery
    failed or a second signal cut the drain short, 2 for bad settings or a store that does
    not open or an address that cannot be bound."""
    try:
        settings = load_settings(flags, env)
        check_exposure(settings.host, settings.token)
    except ConfigError as exc:
        sys.stderr.write(f"troupe daemon: {exc}\n")
        return 2
    logs.configure(settings.log_level, secrets=[settings.token or ""])
    try:
        engine = _open_engine(settings)
    except (ConfigError, TroupeError) as exc:
        log.error("start_failed", error=str(exc), kind=type(exc).__name__)
        sys.stderr.write(f"troupe daemon: {exc}\n")
        return 2
    return asyncio.run(_Daemon(flags, env, settings, engine).serve())


def _open_engine(settings: DaemonSettings) -> Engine:
    """The engine on the settings' store (which is opened once here, to fail in words)."""
    from runtime.cli_store import opened

    actions = load_actions(settings.actions)
    with opened(settings.store):
        pass
    return Engine(store=settings.store, actions=actions, api_url=api_url(settings),
                  executor=settings.executor,
                  ray_result_threshold=settings.ray_result_threshold)


def api_url(settings: DaemonSettings) -> str | None:
    """The daemon's API as a workflow sees it (``ctx().st2.api_url``); None when the port
    is chosen at bind time (0)."""
    if not settings.port:
        return None
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{host}:{settings.port}/api/v1"


def server_settings(settings: DaemonSettings) -> Any:
    """The HTTP server's settings (:class:`runtime.server.settings.ServerSettings`)."""
    from runtime.server.settings import ServerSettings

    return ServerSettings(workflows_dir=settings.workflows, trace_dir=settings.trace_dir,
                          token=settings.token, drain_timeout=settings.drain_timeout)


class _Daemon:
    """One run of the daemon: its engine, its server and what the signals do to them."""

    def __init__(self, flags: Mapping[str, Any], env: Mapping[str, str],
                 settings: DaemonSettings, engine: Engine) -> None:
        from runtime.server.app import create_app

        self.flags = flags
        self.env = env
        self.settings = settings
        self.engine = engine
        self.server_settings = server_settings(settings)
        self.app = create_app(engine, self.server_settings)
        self.state = self.app.state.troupe
        self.server = uvicorn.Server(uvicorn.Config(  # serve() not called: no signals
            self.app, host=settings.host, port=settings.port, log_config=None,
            lifespan="on", timeout_graceful_shutdown=5, server_header=False))
        self.recovery: asyncio.Task[None] | None = None
        self.draining: asyncio.Task[None] | None = None
        self.engine_closed = False
        self.exit_code = 0

    async def serve(self) -> int:
        """Bind, recover, serve until a drain ends; the exit code."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_stop, sig)
        loop.add_signal_handler(signal.SIGHUP, self._on_reload)
        config = self.server.config
        config.load()
        self.server.lifespan = config.lifespan_class(config)
        try:
            await self.server.startup()
        except SystemExit:  # uvicorn could not bind: it logged why
            await asyncio.to_thread(self._close_engine, 0.0)
            return 2
        log.info("listening", host=self.settings.host, port=self.server_port(),
                 store=self.engine.url, workflows=str(self.settings.workflows or ""),
                 token=self.settings.token is not None)
        self.recovery = asyncio.create_task(self._recover())
        await self.server.main_loop()
        await self.server.shutdown()
        if self.draining is not None:
            await self.draining
        else:  # pragma: no cover - uvicorn stopped by itself
            await asyncio.to_thread(self._close_engine, self.settings.drain_timeout)
        log.info("stopped", exit_code=self.exit_code)
        return self.exit_code

    def server_port(self) -> int:
        """The port bound (the one asked for, or the one the system chose for 0)."""
        for server in self.server.servers:
            for sock in server.sockets:
                port: int = sock.getsockname()[1]
                return port
        return self.settings.port

    async def _recover(self) -> None:
        """Continue the executions left unfinished, then report ready."""
        try:
            traced = {"trace": self.server_settings.trace_path} if self.settings.trace_dir else {}
            handles = await asyncio.to_thread(self.engine.recover, **traced)
        except Exception as exc:  # whatever it was, the daemon cannot go on
            log.error("recovery_failed", error=str(exc), kind=type(exc).__name__,
                      exc_info=not isinstance(exc, TroupeError))
            self.exit_code = 1
            self._on_stop(signal.SIGTERM)
            return
        if self.draining is not None:
            return
        self.state.ready = True
        log.info("ready", recovered=len(handles), ids=[h.execution_id for h in handles][:50])
        self._notify(self._ready())

    # ---- signals --------------------------------------------------------------------

    def _on_stop(self, sig: int) -> None:
        if self.draining is None:
            log.info("draining", signal=signal.Signals(sig).name,
                     drain_timeout=self.settings.drain_timeout)
            self.state.draining = True
            self.state.ready = False
            self._notify("STOPPING=1")
            self.draining = asyncio.get_running_loop().create_task(self._drain())
            return
        log.warning("stopping_now", signal=signal.Signals(sig).name)
        self._close_engine(0.0)
        logs.flush()
        os._exit(1)

    async def _drain(self) -> None:
        """Start no new attempt, let the running ones finish (up to the drain timeout),
        close (what is left stays durable for the next start), stop serving."""
        if self.recovery is not None:
            await asyncio.wait([self.recovery])
        await asyncio.to_thread(self.engine.hold)
        running = list(self.engine)
        await asyncio.to_thread(self.engine.drained, self.settings.drain_timeout)
        await asyncio.to_thread(self._close_engine, 0.0)
        left = [h.execution_id for h in running if not h.done()]
        log.info("drained", left_unfinished=len(left), ids=left[:50])
        self.server.should_exit = True

    def _close_engine(self, drain_timeout: float) -> None:
        if not self.engine_closed:
            self.engine_closed = True
            self.engine.close(drain_timeout=drain_timeout)

    def _on_reload(self) -> None:
        asyncio.get_running_loop().create_task(self._reload())

    async def _reload(self) -> None:
        """SIGHUP: read the settings again, apply what can change, reload the workflows."""
        self._notify(reloading())
        try:
            fresh = load_settings(self.flags, self.env)
        except ConfigError as exc:
            log.error("reload_failed", source=exc.source, key=exc.key, problem=exc.problem)
            self._notify(self._ready())
            return
        ignored = [k for k in RESTART_ONLY
                   if getattr(fresh, k) != getattr(self.settings, k)]
        if ignored:
            log.warning("reload_needs_restart", settings=ignored)
        logs.set_level(fresh.log_level)
        self.settings = dataclasses.replace(
            fresh, **{key: getattr(self.settings, key) for key in RESTART_ONLY})
        await asyncio.to_thread(self.state.reload)
        log.info("reloaded", workflows=str(fresh.workflows or ""))
        self._notify(self._ready())

    def _ready(self) -> str:
        """``READY=1`` with a status line saying where the daemon serves."""
        host = f"[{self.settings.host}]" if ":" in self.settings.host else self.settings.host
        return f"READY=1\nSTATUS=serving on http://{host}:{self.server_port()}"

    def _notify(self, message: str) -> None:
        try:
            notify(message, self.env)
        except OSError as exc:
            log.warning("notify_failed", socket=self.env.get("NOTIFY_SOCKET"), error=str(exc))
