"""An Attune task's ``wait_for: {inquiry: {prompt, schema, assigned_to, timeout}}``.

The task's action runs once a person answered the inquiry (:mod:`runtime.inquiries`); its
answer is ``inquiry.<task>.response`` in expressions, and a ``timeout`` (seconds) that
passes unanswered ends the task as timed out (its ``timed_out()`` transitions fire). Each
part may be a template, rendered when the task starts. A constant ``schema`` is checked to
be a JSON schema here; ``assigned_to`` is a user name or a list of them.

Misuse: only :mod:`runtime.spec.attune_tasks` calls :func:`load_wait_for`, with the marked
task mapping, so that every diagnostic has a line.
"""

from __future__ import annotations

from typing import Any

from runtime.inquiries import schema_problem
from runtime.templating.analysis import referenced_keys
from runtime.templating.callables import template_strings

from .bounds import SECONDS, numeric_field
from .common import check_keys, compile_or_report
from .model import AskDef, Dialect, TaskDef
from .report import Reporter

__all__ = ["INQUIRY_KEYS", "check_inquiry_names", "load_wait_for"]

D = Dialect.ATTUNE.value
INQUIRY_KEYS = ("prompt", "schema", "assigned_to", "timeout")


def load_wait_for(name: str, body: Any, reporter: Reporter) -> AskDef | None:
    """The task's inquiry, or None (absent, or reported as bad)."""
    if "wait_for" not in body:
        return None
    path = f"tasks.{name}.wait_for"
    value = body["wait_for"]
    if not isinstance(value, dict):
        reporter.report("T103", "wait_for must be a mapping {inquiry: {prompt, schema, "
                        "assigned_to, timeout}}", body, "wait_for", task=name, path=path)
        return None
    check_keys(reporter, value, ("inquiry",), task=name, path=path, required=("inquiry",))
    inquiry = value.get("inquiry")
    if inquiry is None:
        return None
    path += ".inquiry"
    if not isinstance(inquiry, dict):
        reporter.report("T106", "wait_for.inquiry must be a mapping {prompt, schema, "
                        "assigned_to, timeout}: the task asks its own question (an inquiry "
                        "made elsewhere cannot be named)", value, "inquiry", task=name,
                        path=path)
        return None
    check_keys(reporter, inquiry, INQUIRY_KEYS, task=name, path=path)
    ok = True
    parts: dict[str, Any] = {}
    for key, check in _PARTS.items():
        if inquiry.get(key) is None:
            continue
        if not check(name, inquiry, key, reporter, f"{path}.{key}"):
            ok = False
            continue
        node = compile_or_report(reporter, inquiry[key], D, inquiry, key, task=name,
                                 field=f"wait_for.inquiry.{key}")
        ok = ok and node is not None
        parts[key] = node
    if inquiry.get("timeout") is not None:
        parts["timeout"] = numeric_field(reporter, inquiry, "timeout", SECONDS, D, task=name,
                                         path=f"{path}.timeout",
                                         field="wait_for.inquiry.timeout")
        ok = ok and parts["timeout"] is not None
    return AskDef(**parts) if ok else None


def check_inquiry_names(reporter: Reporter, tasks: dict[str, TaskDef],
                        containers: dict[str, Any], doc: Any) -> None:
    """Report T305 for each ``inquiry.<name>`` whose ``name`` is no task with a
    ``wait_for`` (it could only fail when evaluated), where the expression is."""
    asking = {name for name, task in tasks.items() if task.wait_for is not None}
    sites: list[tuple[str | None, Any, str]] = [
        (name, body, f"tasks.{name}") for name, body in containers.items()]
    if isinstance(doc.get("output_map"), dict):
        sites.append((None, doc, ""))
    for task, body, path in sites:
        for key, value in body.items():
            if task is None and key != "output_map":
                continue
            for inner, at, suffix, source in template_strings(value):
                for name in sorted(referenced_keys(source, "inquiry") - asking):
                    where = (body, key) if inner is None else (inner, at)
                    reporter.report("T305", f"inquiry.{name}: no task {name!r} waits for an "
                                    "inquiry (wait_for)", *where, task=task,
                                    path=f"{path}.{key}{suffix}".lstrip("."))


def _prompt(name: str, inquiry: Any, key: str, reporter: Reporter, path: str) -> bool:
    if isinstance(inquiry[key], str):
        return True
    reporter.report("T103", "prompt must be a string", inquiry, key, task=name, path=path)
    return False


def _schema(name: str, inquiry: Any, key: str, reporter: Reporter, path: str) -> bool:
    value = inquiry[key]
    if isinstance(value, str):
        return True  # a template yielding the schema
    if not isinstance(value, dict):
        reporter.report("T103", "schema must be a JSON-schema mapping", inquiry, key,
                        task=name, path=path)
        return False
    problem = schema_problem(value) if "{{" not in repr(value) else None
    if problem is not None:
        reporter.report("T106", f"schema is not a JSON schema: {problem}", inquiry, key,
                        task=name, path=path)
        return False
    return True


def _assigned_to(name: str, inquiry: Any, key: str, reporter: Reporter, path: str) -> bool:
    value = inquiry[key]
    if isinstance(value, str) or (isinstance(value, list)
                                  and all(isinstance(v, str) for v in value)):
        return True
    reporter.report("T103", "assigned_to must be a user name or a list of them", inquiry,
                    key, task=name, path=path)
    return False


_PARTS = {"prompt": _prompt, "schema": _schema, "assigned_to": _assigned_to}
"""The parts compiled as they are, and how each is checked first (``timeout`` is numeric)."""
