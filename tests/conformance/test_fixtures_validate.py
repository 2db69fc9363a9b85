"""Every Orquesta fixture of the conformance suite validates with ``--actions-optional``.

The suite's cases hold the Orquesta native fixtures (StackStorm/orquesta's
``tests/fixtures/workflows/native``) in both forms: the Jinja ``workflow`` and the original
``workflow_original`` (YAQL for most); Troupe's own cases are added. Each distinct text is
validated as ``troupe validate --actions-optional`` does (the command line's registry: the
built-in actions, unknown ones as the warning T404). ``docs/conformance.md`` reports the
fraction; :data:`NOT_VALID` would list a fixture Troupe rejects, with the reason.
"""

from __future__ import annotations

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
