"""``troupe daemon``: one process running an Engine behind the HTTP API, until a signal.

- :mod:`runtime.daemon.command`: the subcommand's arguments;
- :mod:`runtime.daemon.settings`: flags, ``TROUPE_*`` and the TOML config, one record;
- :mod:`runtime.daemon.process`: the engine, uvicorn, recovery, signals and drain;
- :mod:`runtime.daemon.security`: no network exposure without a token;
- :mod:`runtime.daemon.actions`: the daemon's own Python actions;
- :mod:`runtime.daemon.logs`: JSON lines on stdout (structlog, uvicorn's too);
- :mod:`runtime.daemon.systemd`: ``sd_notify`` without a library.

Misuse: this is a shell package (it runs a server and handles signals): the pure core never
imports it. docs/daemon.md describes it for users.
"""
