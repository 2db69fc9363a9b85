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
from pathlib import Path

import pytest

from runtime.actions import ActionRegistry
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
"""A directory of upstream workflow files (a checkout's ``orquesta/tests/fixtures/workflows/
native`` or st2's ``contrib/examples/actions/workflows``): each ``*.yaml`` is validated too."""

UPSTREAM_NOT_VALID: dict[str, str] = {
    "with-multi-items-concurrency.yaml": "T301: `item(member), item(message)` is not YAQL "
                                         "(Orquesta's inspect() rejects it too)",
    "orquesta-jinja-expr-in-action-metadata.yaml": "T103: `input` is a string; Orquesta's "
                                                   "schema wants a list",
}
"""Upstream files that are not valid Orquesta either (docs/conformance.md)."""


def test_upstream_workflows_validate_when_given() -> None:
    directory = os.environ.get(UPSTREAM_ENV)
    if not directory:
        pytest.skip(f"${UPSTREAM_ENV} names no directory of upstream workflows")
    registry = ActionRegistry(entry_points=False)
    rejected = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if "version: 1.0" not in text and "version: '1.0'" not in text and \
                'version: "1.0"' not in text:
            continue  # Mistral or ActionChain, not Orquesta
        defn, diagnostics = validate(path, path=str(path), action_exists=registry.has,
                                     actions_optional=True)
        if defn is None or any(d.severity == "error" for d in diagnostics):
            rejected[path.name] = [str(d) for d in diagnostics if d.severity == "error"]
    unexpected = {name: why for name, why in rejected.items() if name not in UPSTREAM_NOT_VALID}
    assert not unexpected, unexpected
