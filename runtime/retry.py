"""Retry delays: constant, linear or exponential backoff, capped by ``max_delay``.

Misuse: ``attempt`` is the number of the attempt that just ended (1 for the first), not the
number of retries left.
"""

from __future__ import annotations

from runtime.spec.model import Backoff

__all__ = ["retry_delay"]


def retry_delay(backoff: Backoff, base: float, attempt: int, max_delay: float | None) -> float:
    """Seconds to wait before the attempt after ``attempt``."""
    if base <= 0:
        return 0.0
    if backoff is Backoff.LINEAR:
        delay = base * attempt
    elif backoff is Backoff.EXPONENTIAL:
        delay = base * (2 ** (attempt - 1))
    else:
        delay = base
    if max_delay is not None:
        delay = min(delay, max_delay)
    return float(delay)
