"""Loading and validating workflow files of both dialects into one model.

``load_workflow(source)`` accepts a path, YAML text, or an already parsed mapping (told apart
by one rule, :func:`runtime.spec.source.classify`), detects the dialect (tasks as a mapping:
Orquesta; tasks as a list: Attune; or forced with ``dialect=``), and returns a
:class:`WorkflowDef` or raises :class:`ValidationFailed` listing every problem with file,
line, column, task and code; a path that names no file (or a directory) raises
:class:`runtime.errors.WorkflowFileError`. ``validate(source)`` returns the diagnostics
instead (an unreadable path is one T100).

Misuse: load a definition once and reuse it for many executions (loading compiles every
template); do not pass untrusted paths you would not read yourself.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import Any

from runtime.errors import Diagnostic, ValidationFailed, WorkflowFileError

from .common import report_all_duplicates
from .model import Dialect, TaskDef, WorkflowDef
from .report import CODES, Reporter
from .source import SourceKind, classify, read
from .unavailable_actions import UNAVAILABLE, report_unavailable
from .yamlmarks import Mark, YamlProblem, load_marked, mark_of

__all__ = [
    "CODES",
    "Dialect",
    "TaskDef",
    "WorkflowDef",
    "detect_dialect",
    "load_workflow",
    "validate",
    "validation_report",
]

ActionCheck = Callable[[str], bool]


def _read(source: Any, path: str | os.PathLike[str] | None) -> tuple[Any, str | None, str]:
    """Return (text or mapping, file name, kind); raise WorkflowFileError for a bad path."""
    classified = classify(source)
    name = str(path) if path else None
    if classified.kind is SourceKind.MAPPING:
        return classified.value, name, "mapping"
    if classified.kind is SourceKind.PATH:
        return read(classified), name or str(classified.value), "text"
    return read(classified), name, "text"


def detect_dialect(doc: Any) -> Dialect:
    """Tell the dialect of a parsed document (tasks as a list: Attune)."""
    if isinstance(doc, dict):
        if isinstance(doc.get("tasks"), list):
            return Dialect.ATTUNE
        if "parameters" in doc or "output_map" in doc or "ref" in doc:
            return Dialect.ATTUNE
    return Dialect.ORQUESTA


def validate(
    source: Any,
    *,
    path: str | os.PathLike[str] | None = None,
    dialect: Dialect | str | None = None,
    action_exists: ActionCheck | None = None,
    actions_optional: bool = False,
) -> tuple[WorkflowDef | None, list[Diagnostic]]:
    """Load ``source`` and return (definition or None, all diagnostics in file order).

    ``actions_optional`` reports an unknown action as the warning T404 instead of the
    error T401 (StackStorm packs are resolved where the workflow runs)."""
    try:
        raw, file, kind = _read(source, path)
    except WorkflowFileError as exc:
        return None, [exc.diagnostic(str(path) if path else None)]
    return _validate_read(raw, file, kind, dialect=dialect, action_exists=action_exists,
                          actions_optional=actions_optional)


def validation_report(source: Any, *, path: str | os.PathLike[str] | None = None,
                      dialect: Dialect | str | None = None,
                      action_exists: ActionCheck | None = None,
                      actions_optional: bool = False) -> dict[str, Any]:
    """What ``troupe validate --json`` prints for one workflow: ``file``, ``valid``,
    ``dialect`` and every diagnostic (as :meth:`Diagnostic.to_json`)."""
    defn, diagnostics = validate(source, path=path, dialect=dialect,
                                 action_exists=action_exists,
                                 actions_optional=actions_optional)
    errors = [d for d in diagnostics if d.severity == "error"]
    return {"file": None if path is None else str(path),
            "valid": not errors and defn is not None,
            "dialect": defn.dialect.value if defn else None,
            "diagnostics": [d.to_json() for d in diagnostics]}


def _validate_read(
    raw: Any,
    file: str | None,
    kind: str,
    *,
    dialect: Dialect | str | None,
    action_exists: ActionCheck | None,
    actions_optional: bool = False,
) -> tuple[WorkflowDef | None, list[Diagnostic]]:
    reporter = Reporter(file)
    if kind == "text":
        try:
            doc = load_marked(raw)
        except YamlProblem as exc:
            reporter.report(exc.code, exc.message, mark=exc.mark)
            return None, reporter.sorted()
    else:
        doc = raw
    if not isinstance(doc, dict):
        reporter.report("T101", "a workflow is a YAML mapping (with at least 'tasks')", doc,
                        mark=mark_of(doc) or Mark(1, 1))
        return None, reporter.sorted()
    chosen = Dialect(dialect) if dialect is not None else detect_dialect(doc)
    if chosen is not Dialect.ATTUNE:
        reporter.duplicates = "warning"  # StackStorm's YAML keeps the last one silently
    if chosen is Dialect.ATTUNE:
        from .attune import load_attune

        defn = load_attune(doc, reporter)
    else:
        from .orquesta import load_orquesta

        defn = load_orquesta(doc, reporter)
    report_all_duplicates(reporter, doc)
    if defn is not None:
        report_unavailable(defn, reporter, partial(_task_container, doc.get("tasks")))
    if defn is not None and action_exists is not None:
        _check_actions(defn, reporter, action_exists, doc, optional=actions_optional)
    return (None if reporter.failed else defn), reporter.sorted()


def _check_actions(defn: WorkflowDef, reporter: Reporter, exists: ActionCheck, doc: Any, *,
                   optional: bool = False) -> None:
    tasks_doc = doc.get("tasks")
    code, severity = ("T404", "warning") if optional else ("T401", "error")
    for name in defn.task_order:
        task = defn.task(name)
        if task.action_ref is None or task.action_ref in UNAVAILABLE:
            continue  # an unavailable one is T405 (report_unavailable)
        if exists(task.action_ref):
            continue
        container = _task_container(tasks_doc, name)
        reporter.report(code, f"unknown action {task.action_ref!r}", container, "action",
                        task=name, path=f"tasks.{name}.action", severity=severity)


def _task_container(tasks_doc: Any, name: str) -> Any:
    if isinstance(tasks_doc, dict):
        return tasks_doc.get(name)
    if isinstance(tasks_doc, list):
        for entry in tasks_doc:
            if isinstance(entry, dict) and entry.get("name") == name:
                return entry
    return None


def load_workflow(
    source: Any,
    *,
    path: str | os.PathLike[str] | None = None,
    dialect: Dialect | str | None = None,
    action_exists: ActionCheck | None = None,
) -> WorkflowDef:
    """Load and validate a workflow; raise :class:`ValidationFailed` with every problem."""
    if isinstance(source, WorkflowDef):
        return source
    try:
        raw, file, kind = _read(source, path)  # a missing file or a directory raises here
    except WorkflowFileError as exc:
        if exc.line is None:
            raise
        raise ValidationFailed([exc.diagnostic(str(path) if path else None)]) from None
    defn, diagnostics = _validate_read(raw, file, kind, dialect=dialect,
                                       action_exists=action_exists)
    if defn is None:
        raise ValidationFailed(diagnostics)
    return defn
