"""StackStorm's semantic-version filters (``version_compare``, ``version_bump_minor``...).

They parse with the ``semver`` package (the library StackStorm uses): ``"0.10.1"`` is
major.minor.patch, with optional pre-release and build parts. ``version_compare`` returns
-1, 0 or 1; ``version_match`` takes a comparison such as ``">=0.9.0"``.

Misuse: these are not PEP 440 versions (``1.0`` and ``1.0.0rc1`` are not semver and raise
an :class:`ExpressionError`); compare Python package versions otherwise.
"""

from __future__ import annotations

from typing import Any

from semver import Version

from runtime.errors import ExpressionError

__all__ = ["VERSION_FILTERS"]


def _parse(value: Any) -> Version:
    try:
        return Version.parse(str(value))
    except (TypeError, ValueError) as exc:
        raise ExpressionError(f"not a semantic version: {value!r} ({exc})",
                              expression="") from None


def version_compare(value: Any, other: Any) -> int:
    """-1, 0 or 1 as ``value`` is older than, the same as or newer than ``other``."""
    return _parse(value).compare(_parse(other))


def version_match(value: Any, condition: str) -> bool:
    """Tell whether ``value`` satisfies ``condition`` (``">0.9.0"``, ``"<=1.0.0"``...)."""
    try:
        return _parse(value).match(condition)
    except ValueError as exc:
        raise ExpressionError(f"version_match: {exc}", expression="") from None


VERSION_FILTERS: dict[str, Any] = {
    "version_compare": version_compare,
    "version_more_than": lambda value, other: version_compare(value, other) == 1,
    "version_less_than": lambda value, other: version_compare(value, other) == -1,
    "version_equal": lambda value, other: version_compare(value, other) == 0,
    "version_match": version_match,
    "version_bump_major": lambda value: str(_parse(value).bump_major()),
    "version_bump_minor": lambda value: str(_parse(value).bump_minor()),
    "version_bump_patch": lambda value: str(_parse(value).bump_patch()),
    "version_strip_patch": lambda value: f"{_parse(value).major}.{_parse(value).minor}",
}
