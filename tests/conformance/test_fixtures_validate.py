"""Every Orquesta fixture of the conformance suite validates with ``--actions-optional``.

The suite's cases hold the Orquesta native fixtures (StackStorm/orquesta's
``tests/fixtures/workflows/native``) in both forms: the Jinja ``workflow`` and the original
``workflow_original`` (YAQL for most); Troupe's own cases are added. Each distinct text is
validated as ``troupe validate --actions-optional`` does (the command line's registry: the
built-in actions, unknown ones as the warning T404). ``docs/conformance.md`` reports the
fraction; :data:`NOT_VALID` would list a fixture Troupe rejects, with the reason.
"""

from __future__ import annotations

import os
import queue
import re
from pathlib import Path

import pytest

from runtime import start_workflow
from runtime.actions import ActionRegistry
from runtime.progress import ProgressEvent
from runtime.spec import validate
from tests.conformance.test_orquesta_conformance import EXTRA_CASES, SUITE_CASES

pytestmark = pytest.mark.timeout(120)

NOT_VALID: dict[str, str] = {}
"""Fixture (case name and form) -> why Troupe rejects it (none today)."""


def _fixtures() -> dict[str, str]:
    """Distinct workflow texts, named by the first case and form that holds them."""
    texts: dict[str, str] = {}
    for case in SUITE_CASES + EXTRA_CASES:
        for form in ("workflow", "workflow_original"):
            text = case.data.get(form)
            if isinstance(text, str) and text not in texts.values():
                texts[f"{case.name}:{form}"] = text
    return texts


FIXTURES = _fixtures()


def test_there_are_fixtures_in_both_forms() -> None:
    originals = [name for name, text in FIXTURES.items()
                 if name.endswith(":workflow_original") and "<%" in text]
    assert len(FIXTURES) >= 50 and len(originals) >= 20


def test_every_fixture_validates_with_actions_optional() -> None:
    registry = ActionRegistry(entry_points=False)
    rejected: dict[str, list[str]] = {}
    for name, text in FIXTURES.items():
        defn, diagnostics = validate(text, path=name, action_exists=registry.has,
                                     actions_optional=True)
        errors = [f"{d.code} {d.path}: {d.message}" for d in diagnostics
                  if d.severity == "error"]
        if defn is None or errors:
            rejected[name] = errors
        else:
            assert all(d.code == "T404" for d in diagnostics), (name, diagnostics)
    assert set(rejected) == set(NOT_VALID), rejected


UPSTREAM_ENV = "TROUPE_ST2_WORKFLOWS"
"""A directory of upstream workflow files (a checkout of StackStorm/orquesta or StackStorm/st2,
or a scratch copy of their workflow files): each Orquesta ``*.yaml`` under it (recursively) is
validated, and run when it needs only built-in actions and no input (docs/conformance.md)."""

_NEGATIVE = "an upstream negative fixture: st2's inspection test expects these errors"
_FAILS = "written to fail, in StackStorm too"

UPSTREAM_NOT_VALID: dict[str, str] = {
    "with-multi-items.yaml": "T301: `item(member), item(message)` is not YAQL (yaql, "
                             "Orquesta's parser, rejects it too)",
    "with-multi-items-concurrency.yaml": "T301: the same expression",
    "orquesta-jinja-expr-in-action-metadata.yaml": "T103: `input` is a string; Orquesta's "
                                                   "schema wants a list",
    "fail-inspection.yaml": _NEGATIVE,
    "orquesta-fail-inspection.yaml": _NEGATIVE,
}
"""Upstream files Troupe rejects, and why (docs/conformance.md)."""

UPSTREAM_RUN_FAILS: dict[str, str] = {
    "with-items-remediate.yaml": "Orquesta's test mocks failed items; with real ones the "
                                 "failed() branch never publishes `items`, which output reads",
    "orquesta-fail-manually.yaml": _FAILS,
    "orquesta-remediate-then-fail.yaml": _FAILS,
    "orquesta-output-on-error.yaml": _FAILS,
    "orquesta-fail-input-rendering.yaml": _FAILS,
    "orquesta-test-jinja-task-nonexistent.yaml": _FAILS,
    "orquesta-test-yaql-task-nonexistent.yaml": _FAILS,
    "orquesta-test-with-items-failure.yaml": _FAILS,
    "fail-input-rendering.yaml": _FAILS,
    "fail-output-rendering.yaml": _FAILS,
    "fail-manually.yaml": _FAILS,
    "fail-manually-with-recovery-failure.yaml": _FAILS,
    "fail-task-execution.yaml": _FAILS,
    "sequential_fail.yaml": _FAILS,
    "orquesta-fail-output-rendering.yaml": _FAILS,
    "orquesta-fail-start-task.yaml": _FAILS,
    "orquesta-fail-task-publish.yaml": _FAILS,
    "orquesta-fail-task-transition.yaml": _FAILS,
    "orquesta-fail-vars-rendering.yaml": _FAILS,
    "fail-start-task-action.yaml": _FAILS,
    "fail-start-task-input-expr-eval.yaml": _FAILS,
    "fail-task-action.yaml": _FAILS,
    "fail-task-input-expr-eval.yaml": _FAILS,
    "fail-task-publish.yaml": _FAILS,
    "fail-task-transition.yaml": _FAILS,
    "fail-vars-rendering.yaml": _FAILS,
    "fail-inspection-missing-required-action-param.yaml": "core.echo without its required "
        "message: st2 refuses it at inspection, Troupe when the task runs",
    "fail-inspection-unexpected-action-param.yaml": "core.echo with `messages`: st2 refuses "
        "it at inspection, Troupe when the task runs",
    "sequential_w_context.yaml": "reads ctx().st2.token, st2's API token, which Troupe does "
                                 "not have (Orquesta's test supplies it)",
}
"""Runnable upstream files that end ``failed``, as they do in StackStorm."""

UPSTREAM_RUN_EITHER: dict[str, str] = {
    "yaql-task-functions.yaml": "reads task7 on routes 2 and 3; route 1 is the split at the "
        "`continue` that task1 and task3 both reach, so the numbers hold only when task1 "
        "ends before task4 and task5 (in StackStorm as here: the branches run concurrently)",
}
"""Runnable upstream files whose outcome depends on which concurrent branch ends first."""

UPSTREAM_INPUTS: dict[str, object] = {
    "name": "Stanley", "who": "Stanley", "members": ["Lakshmi", "Lindsay"], "which": "a",
    "a1": "fee fi fo fum", "cmd": "echo hi", "timeout": 30, "delay": 1, "message": "hi",
    "tempfile": "/nonexistent/troupe-upstream",
    "tempfiles": ["/nonexistent/troupe-upstream-1", "/nonexistent/troupe-upstream-2"],
}
"""Values for the inputs without a default that the upstream files declare (by input name);
a file that needs another input is not run."""


UPSTREAM_ANSWER = {"approved": True, "department_id": 7}
"""The answer given to every inquiry an upstream file opens (``core.ask``: the examples ask
for ``approved``, one also for ``department_id``, with StackStorm's property-level
``required: true``)."""


def _run_answering(path: Path, params: dict[str, object]) -> str:
    """Run ``path`` in memory, answering each inquiry it opens; its final status."""
    opened: queue.SimpleQueue[str | None] = queue.SimpleQueue()

    def follow(event: ProgressEvent) -> None:
        if event.kind == "inquiry" and event.status == "pending":
            opened.put(event.inquiry)
        elif event.kind == "workflow_finished":
            opened.put(None)

    handle = start_workflow(path, params, on_event=follow)
    while (inquiry := opened.get(timeout=120)) is not None:
        handle.respond(inquiry, UPSTREAM_ANSWER)
    return str(handle.wait(timeout=120).status.value)


def _upstream_files() -> list[Path]:
    directory = os.environ.get(UPSTREAM_ENV)
    if not directory:
        pytest.skip(f"${UPSTREAM_ENV} names no directory of upstream workflows")
    return [path for path in sorted(Path(directory).rglob("*.yaml"))
            if re.search(r"^version:\s*['\"]?1\.0", path.read_text(encoding="utf-8"), re.M)]


def test_upstream_workflows_validate_when_given() -> None:
    """Every Orquesta file validates but the listed ones (Mistral and ActionChain files,
    which have no ``version: 1.0``, are not Orquesta and are skipped)."""
    registry = ActionRegistry(entry_points=False)
    rejected = {}
    for path in _upstream_files():
        defn, diagnostics = validate(path, path=str(path), action_exists=registry.has,
                                     actions_optional=True)
        if defn is None or any(d.severity == "error" for d in diagnostics):
            rejected[path.name] = [str(d) for d in diagnostics if d.severity == "error"]
    unexpected = {name: why for name, why in rejected.items() if name not in UPSTREAM_NOT_VALID}
    assert not unexpected, unexpected


@pytest.mark.timeout(600)
def test_upstream_workflows_run_when_they_need_only_builtins() -> None:
    """A file that validates with no unknown action, given :data:`UPSTREAM_INPUTS` for its
    inputs without a default, runs to its end: ``succeeded``, but the listed ones, which fail
    as in StackStorm."""
    registry = ActionRegistry(entry_points=False)
    outcomes: dict[str, str] = {}
    for path in _upstream_files():
        defn, diagnostics = validate(path, path=str(path), action_exists=registry.has)
        if defn is None or diagnostics:
            continue
        needed = [p.name for p in defn.inputs if p.default is None]
        if any(name not in UPSTREAM_INPUTS for name in needed):
            continue
        params = {name: UPSTREAM_INPUTS[name] for name in needed}
        outcomes[str(path)] = _run_answering(path, params)
    assert outcomes, "no runnable upstream workflow"
    expected = {name: {"failed"} if Path(name).name in UPSTREAM_RUN_FAILS else
                {"succeeded", "failed"} if Path(name).name in UPSTREAM_RUN_EITHER else
                {"succeeded"} for name in outcomes}
    wrong = {name: status for name, status in outcomes.items() if status not in expected[name]}
    assert not wrong, wrong
