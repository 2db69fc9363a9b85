"""What the HTTP server is configured with (the daemon builds one from its options).

Misuse: a settings record is read-only; the daemon builds a new app to change most of it
(``ServerState.reload()`` re-reads the workflows directory only).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["ServerSettings"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerSettings:
    """The server's configuration."""

    workflows_dir: Path | None = None
    """Where ``{"workflow": NAME}`` is looked up (``NAME.yaml``/``NAME.yml``); None: only
    YAML text is accepted."""
    token: str | None = None
    """When set, every request but ``GET /healthz`` needs ``Authorization: Bearer TOKEN``."""
    drain_timeout: float = 30.0
    """Seconds running actions may take to finish on SIGTERM (the daemon's)."""
    trace_dir: Path | None = None
    """Where each execution started through the API writes its trace (``ID.jsonl``, at
    the ``info`` level; ``GET .../trace`` reads it); None: no traces."""
    max_body_bytes: int = 1 << 20
    """Larger request bodies get 413."""
    keepalive: float = 15.0
    """Seconds between ``: ping`` comments on a quiet event stream."""
    page_limit: int = 100
    """The default and largest page of ``GET /api/v1/executions``."""
    cached_logs: int = 256
    """How many finished executions' progress logs stay in memory."""

    def trace_path(self, execution_id: str) -> Path | None:
        """Where the trace of ``execution_id`` (a top-level execution) is written, if any:
        the daemon gives ``Engine.recover(trace=settings.trace_path)`` the same rule."""
        return None if self.trace_dir is None else self.trace_dir / f"{execution_id}.jsonl"
