"""Pieces both dialect loaders share: key checks (unknown, missing, duplicate keys) and
compiling a value with diagnostics (Jinja syntax errors, YAQL).

The other shared checks have their own modules: inline ``key=value`` arguments in
:mod:`runtime.spec.inline`, graph checks in :mod:`runtime.spec.graph_checks`, the upstream
``ctx()`` names in :mod:`runtime.spec.ctx_checks`.

Misuse: loaders call these with the marked containers from :mod:`runtime.spec.yamlmarks`, so
diagnostics get lines; calling them with plain dicts works but loses locations.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from runtime.errors import ExpressionError
from runtime.templating import (
    Node,
    compile_value,
    mixes_languages,
    template_strings,
    unknown_callables,
)

from .inline import parse_inline_args
from .report import Reporter
from .yamlmarks import MarkedDict

__all__ = [
    "check_keys",
    "closest",
    "compile_or_report",
    "parse_inline_args",
    "report_all_duplicates",
    "report_duplicates",
]


def report_duplicates(reporter: Reporter, container: Any, *, task: str | None = None,
                      path: str = "") -> None:
    """Report keys that appear twice in one mapping (YAML would keep only the last), with
    the severity the reporter gives duplicates (:attr:`Reporter.duplicates`)."""
    if isinstance(container, MarkedDict):
        for key, mark in container.duplicates:
            if any(d.code == "T105" and (d.line, d.column) == (mark.line, mark.column)
                   for d in reporter.diagnostics):
                continue  # already reported by an earlier, more specific check
            lenient = reporter.duplicates == "warning"
            reporter.report("T105", f"duplicate key {key!r}" + (
                ": the last one is used, as StackStorm does" if lenient else ""),
                mark=mark, task=task, path=f"{path}.{key}" if path else str(key),
                severity=reporter.duplicates)


def report_all_duplicates(reporter: Reporter, doc: Any) -> None:
    """Report duplicate keys anywhere in a document, naming the task they are in.

    Loaders check the mappings whose keys they know; this sweep catches the rest (inside
    ``input``, ``publish``, parameters...). Duplicates already reported are skipped.
    """
    tasks_doc = doc.get("tasks") if isinstance(doc, dict) else None
    report_duplicates(reporter, doc)
    for key, value in doc.items() if isinstance(doc, dict) else ():
        if value is tasks_doc and isinstance(tasks_doc, dict):
            report_duplicates(reporter, tasks_doc, path="tasks")
            for name, body in tasks_doc.items():
                _sweep(reporter, body, str(name), f"tasks.{name}")
        elif value is tasks_doc and isinstance(tasks_doc, list):
            for index, body in enumerate(tasks_doc):
                name = body.get("name") if isinstance(body, dict) else None
                label = name if isinstance(name, str) else None
                _sweep(reporter, body, label, f"tasks.{label}" if label else f"tasks[{index}]")
        else:
            _sweep(reporter, value, None, str(key))


def _sweep(reporter: Reporter, value: Any, task: str | None, path: str) -> None:
    if isinstance(value, dict):
        report_duplicates(reporter, value, task=task, path=path)
        for key, item in value.items():
            _sweep(reporter, item, task, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _sweep(reporter, item, task, f"{path}[{index}]")


def check_keys(
    reporter: Reporter,
    mapping: Mapping[str, Any],
    allowed: Iterable[str],
    *,
    task: str | None = None,
    path: str = "",
    required: Iterable[str] = (),
) -> None:
    """Report unknown and missing keys of ``mapping``."""
    allowed_set = set(allowed)
    report_duplicates(reporter, mapping, task=task, path=path)
    for key in mapping:
        if key not in allowed_set:
            hint = closest(str(key), allowed_set)
            message = f"unknown key {key!r}" + (f" (did you mean {hint!r}?)" if hint else "")
            reporter.report("T102", message, mapping, key, task=task, of_key=True,
                            path=f"{path}.{key}" if path else str(key))
    for key in required:
        if key not in mapping:
            reporter.report("T104", f"missing required key {key!r}", mapping, task=task,
                            path=path)


def closest(word: str, options: set[str]) -> str | None:
    """The option closest to a misspelt ``word``, for a did-you-mean hint, or None."""
    match = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.75)
    return match[0] if match else None


def compile_or_report(
    reporter: Reporter,
    value: Any,
    dialect: str,
    container: Any,
    key: Any,
    *,
    task: str | None,
    field: str,
) -> Node | None:
    """Compile ``value``; report a syntax error and return None if it fails.

    A Jinja or YAQL syntax error is T301; T303 is YAQL where it cannot be: mixed with Jinja in
    one string, or in the Attune dialect.
    """
    path = f"tasks.{task}.{field}" if task else field
    if dialect != "orquesta" and _any_string(value, _has_yaql):
        reporter.report("T303", "YAQL expressions (<% %>) are Orquesta's; use Jinja {{ }}",
                        container, key, task=task, path=path)
        return None
    if _any_string(value, mixes_languages):
        reporter.report("T303", "YAQL <% %> and Jinja {{ }} mixed in one string", container,
                        key, task=task, path=path)
        return None
    if report_unknown_callables(reporter, value, dialect, container, key, task=task, path=path):
        return None
    try:
        return compile_value(value, dialect, task=task, field=field)
    except ExpressionError as exc:
        reporter.report("T301", f"{exc.reason} in {exc.expression!r}", container, key,
                        task=task, path=path)
        return None


def report_unknown_callables(reporter: Reporter, value: Any, dialect: str, container: Any,
                             key: Any, *, task: str | None, path: str) -> bool:
    """Report T304 for each unknown filter, test or function; tell whether compiling would fail.

    An unknown filter or test fails Jinja's compilation; an unknown function would only fail
    when evaluated, so the value still compiles (and its other checks still run).
    """
    fatal = False
    for inner, at, suffix, source in template_strings(value):
        for unknown in unknown_callables(source, dialect):
            where = (container, key) if inner is None else (inner, at)
            reporter.report("T304", f"unknown {unknown.kind} {unknown.name} in {source!r}",
                            *where, task=task, path=path + suffix)
            fatal = fatal or unknown.kind != "function"
    return fatal


def _has_yaql(text: str) -> bool:
    return "<%" in text and "%>" in text


def _any_string(value: Any, test: Callable[[str], bool]) -> bool:
    if isinstance(value, str):
        return test(value)
    if isinstance(value, dict):
        return any(_any_string(k, test) or _any_string(v, test) for k, v in value.items())
    if isinstance(value, list):
        return any(_any_string(v, test) for v in value)
    return False
