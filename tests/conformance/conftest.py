"""One summary line for the conformance run: cases, passed, expected divergences, failed.

``pytest_runtest_logreport`` collects the outcome of every conformance case (the
``test_case`` items of ``test_orquesta_conformance.py``); ``pytest_terminal_summary`` prints::

    conformance: 69 cases, 69 passed, 0 expected divergences, 0 failed
"""

from __future__ import annotations

from typing import Any

import pytest

_MODULE = "test_orquesta_conformance.py::test_case["
_OUTCOMES: dict[str, str] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance: a data-driven Orquesta conformance case")


def _case_id(nodeid: str) -> str | None:
    if _MODULE not in nodeid:
        return None
    return nodeid.split(_MODULE, 1)[1].rstrip("]")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    case = _case_id(report.nodeid)
    if case is None:
        return
    if report.failed:
        _OUTCOMES[case] = "failed"  # a failure in any phase (an XPASS(strict) included)
    elif report.when == "call" or (report.when == "setup" and report.skipped):
        if hasattr(report, "wasxfail"):
            _OUTCOMES[case] = "diverged"
        elif report.skipped:
            _OUTCOMES.setdefault(case, "skipped")
        else:
            _OUTCOMES.setdefault(case, "passed")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not _OUTCOMES:
        return
    counts = dict.fromkeys(("passed", "diverged", "failed", "skipped"), 0)
    for outcome in _OUTCOMES.values():
        counts[outcome] += 1
    line = (f"conformance: {len(_OUTCOMES)} cases, {counts['passed']} passed, "
            f"{counts['diverged']} expected divergences, {counts['failed']} failed")
    if counts["skipped"]:
        line += f", {counts['skipped']} skipped"
    terminalreporter.write_line(line)
