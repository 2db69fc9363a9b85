"""A located problem in a workflow file: :class:`Diagnostic`, what validation reports.

It is the data behind :class:`runtime.errors.ValidationFailed` and :class:`SpecError`
(re-exported by :mod:`runtime.errors`), the lines ``troupe validate`` prints and the
``diagnostics`` of the HTTP API.

Misuse: match on ``code`` (stable), never on ``message`` (wording may change); a diagnostic
holds no values from the workflow's data, only where the problem is and what it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Diagnostic"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnostic:
    """One problem found in a workflow file, with where it is.

    ``code`` is stable across releases (``T1xx`` YAML and structure, ``T2xx`` graph,
    ``T3xx`` expressions, ``T4xx`` actions and parameters), so tools can match on it.
    """

    code: str
    """Stable identifier of the kind of problem, e.g. ``T201``."""
    message: str
    """Human-readable explanation."""
    file: str | None = None
    """Path of the workflow file, or ``None`` for text given inline."""
    line: int | None = None
    """1-based line of the offending node, when known."""
    column: int | None = None
    """1-based column of the offending node, when known."""
    task: str | None = None
    """Name of the task the problem is in, if any."""
    path: str = ""
    """Dotted path to the offending key, e.g. ``tasks.build.next[0].do``."""
    severity: str = "error"
    """``error`` or ``warning``; warnings do not fail validation."""

    def location(self) -> str:
        """Return ``file:line:col`` (parts that are unknown are left out)."""
        parts = [self.file or "<string>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        where = f" [task {self.task}]" if self.task else ""
        return f"{self.location()}: {self.severity} {self.code}{where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        """Return the diagnostic as a JSON-ready dict."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "task": self.task,
            "path": self.path,
        }
