"""Human-readable times and durations for the trace tools' text output.

Misuse: do not parse these strings back (use the JSON output, which keeps seconds as
numbers); do not use them for machine-compared values (rounding differs by magnitude).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

__all__ = ["format_duration", "format_offset", "format_time"]


def format_time(ts: float) -> str:
    """Return ``ts`` (epoch seconds) as ISO-8601 UTC with milliseconds."""
    moment = datetime.fromtimestamp(ts, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def format_duration(seconds: float | None) -> str:
    """Return a short human duration: ``850us``, ``12.3ms``, ``4.567s``, ``3m05.2s``."""
    if seconds is None or math.isnan(seconds):
        return "-"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f}us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f}ms"
    if seconds < 60.0:
        return f"{seconds:.3f}s"
    minutes, rest = divmod(seconds, 60.0)
    if minutes < 60:
        return f"{int(minutes)}m{rest:04.1f}s"
    hours, minutes = divmod(minutes, 60.0)
    return f"{int(hours)}h{int(minutes):02d}m{rest:02.0f}s"


def format_offset(seconds: float | None) -> str:
    """Return an offset from the execution start: ``+1.234s``."""
    if seconds is None:
        return "-"
    return f"+{seconds:.3f}s"
