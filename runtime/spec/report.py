"""Collecting diagnostics while a workflow file is loaded.

A :class:`Reporter` knows the file being loaded and turns "this container, this key, this
code" into a :class:`runtime.errors.Diagnostic` with the line and column from the YAML marks.
Loaders report every problem they find and carry on, so one run lists all of a file's errors.

Misuse: do not raise from a loader for a problem in the user's file; report it and skip the
offending part (the loader raises :class:`ValidationFailed` at the end if anything was reported).
"""

from __future__ import annotations

from typing import Any

from runtime.errors import Diagnostic

from .yamlmarks import Mark, mark_of

__all__ = ["CODES", "Reporter"]

CODES = {
    "T100": "YAML syntax error",
    "T101": "document is not a mapping",
    "T102": "unknown key",
    "T103": "wrong type",
    "T104": "missing required key",
    "T105": "duplicate key",
    "T106": "bad value",
    "T107": "aliases expand too far (billion laughs), or an alias inside its own anchor",
    "T108": "mappings and sequences nested too deep",
    "T109": "integer too long to convert",
    "T110": "file is not UTF-8 (nor UTF-16/32 with a byte-order mark)",
    "T201": "undefined transition target",
    "T202": "reserved task name",
    "T203": "with-items task without action",
    "T204": "no start task",
    "T205": "join can never be satisfied",
    "T206": "bad task name",
    "T207": "ambiguous join after nested splits",
    "T208": "duplicate task name",
    "T209": "endless loop: unconditional transitions that never leave a cycle",
    "T301": "expression syntax error (Jinja or YAQL)",
    "T302": "ctx() variable defined nowhere upstream",
    "T303": "YAQL where it cannot be used (mixed with Jinja in one string; Attune)",
    "T304": "unknown filter, test or function",
    "T305": "inquiry.<task> names no task that waits for an inquiry (Attune)",
    "T401": "unknown action",
    "T402": "bad inline action arguments",
    "T403": "parameter schema is not a valid JSON-schema",
    "T404": "unknown action, not checked (--actions-optional): a warning",
    "T405": "a StackStorm action that cannot run under Troupe (core.pause, core.winrm_*, "
            "core.remote to another host)",
}


class Reporter:
    """Accumulates the diagnostics of one file."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.diagnostics: list[Diagnostic] = []
        self.duplicates = "error"
        """The severity of a key written twice (T105): a warning in the Orquesta dialect,
        whose YAML (PyYAML, in StackStorm) keeps the last one silently."""

    def report(
        self,
        code: str,
        message: str,
        container: Any = None,
        key: Any = None,
        *,
        task: str | None = None,
        path: str = "",
        of_key: bool = False,
        mark: Mark | None = None,
        severity: str = "error",
    ) -> None:
        """Record a problem located at ``container[key]`` (or at ``mark``)."""
        where = mark or mark_of(container, key, of_key=of_key)
        self.diagnostics.append(
            Diagnostic(
                code=code,
                message=message,
                file=self.file,
                line=where.line if where else None,
                column=where.column if where else None,
                task=task,
                path=path,
                severity=severity,
            )
        )

    @property
    def failed(self) -> bool:
        """Tell whether an error (not a warning) was reported."""
        return any(d.severity == "error" for d in self.diagnostics)

    def sorted(self) -> list[Diagnostic]:
        """All diagnostics in file order."""
        return sorted(self.diagnostics, key=lambda d: (d.line or 0, d.column or 0, d.code))
