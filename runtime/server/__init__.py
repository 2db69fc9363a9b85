"""The daemon's HTTP JSON API (``/api/v1``) on Starlette: :func:`create_app` builds it.

The contract (endpoints, JSON shapes, status codes) is ``docs/api.md``. The package is part
of the shell: it drives a :class:`runtime.engine.Engine` from an asyncio event loop, bridging
the engine's threads (its journal's commits) into the loop with ``call_soon_threadsafe``.

Misuse: one app per engine; the engine is the daemon's (the app never closes it).
"""

from runtime.server.app import create_app
from runtime.server.settings import ServerSettings
from runtime.server.state import ServerState

__all__ = ["ServerSettings", "ServerState", "create_app"]
