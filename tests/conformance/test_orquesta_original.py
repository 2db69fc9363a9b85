"""The Orquesta conformance suite in its original form: each case's ``workflow_original``.

The suite's cases carry, beside the Jinja ``workflow`` Troupe's suite runs, the fixture's
original text (``workflow_original``: YAQL ``<% %>`` for most of them). Each original is run
through the same driver and compared the same way as the Jinja form
(:mod:`tests.conformance.test_orquesta_conformance`); a case Troupe deliberately differs on is
a strict xfail with the same reason as its Jinja form.
"""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from tests.conformance.runner import Case, compare, run_case
from tests.conformance.test_orquesta_conformance import (
    CASE_TIMEOUT,
    DIVERGENCES,
    EXTRA_CASES,
    SUITE_CASES,
)


def _original(case: Case) -> Case:
    text = str(case.data["workflow_original"])
    return dataclasses.replace(case, data={**case.data, "workflow": text},
                               spec=yaml.safe_load(text))


ORIGINAL_CASES: list[Case] = [
    _original(case) for case in SUITE_CASES + EXTRA_CASES if case.data.get("workflow_original")
]


def _params() -> list[object]:
    params = []
    for case in ORIGINAL_CASES:
        marks: list[pytest.MarkDecorator] = [pytest.mark.timeout(CASE_TIMEOUT)]
        if case.name in DIVERGENCES:
            marks.append(pytest.mark.xfail(strict=True, reason=DIVERGENCES[case.name]))
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


@pytest.mark.conformance
@pytest.mark.parametrize("case", _params())
def test_original_case(case: Case) -> None:
    """The original (YAQL) workflow does what the case expects, as its Jinja form does."""
    seen = run_case(case)
    comparison = compare(case, seen)
    assert comparison.ok, comparison.render()


def test_most_originals_are_yaql() -> None:
    """The original form is a real second form: most originals hold YAQL."""
    yaql = [case for case in ORIGINAL_CASES if "<%" in case.workflow]
    assert len(ORIGINAL_CASES) >= 50
    assert len(yaql) >= len(ORIGINAL_CASES) // 2
