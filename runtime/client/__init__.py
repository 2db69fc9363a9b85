"""The CLI client of ``troupe daemon``: ``troupe submit/list/get/watch/cancel/pause/resume/
logs/top`` against the HTTP API of docs/api.md, on httpx.

:mod:`runtime.client.http` (the :class:`Client` and its errors), :mod:`runtime.client.sse`
(the server-sent event stream, resumed after a drop), :mod:`runtime.client.render` (JSON to
text, pure), :mod:`runtime.client.watch` (following an execution tree),
:mod:`runtime.client.top` (the live view), :mod:`runtime.client.commands` (the subcommands).

Misuse: nothing here runs an engine or opens a store; it only speaks HTTP to a daemon.
"""

from runtime.client.http import Client, DaemonRefused, DaemonUnreachable

__all__ = ["Client", "DaemonRefused", "DaemonUnreachable"]
