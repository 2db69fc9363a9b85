"""The console's parts built on other features: the views' renderers (graph.js, actors.js,
timeline.js and their endpoints), the rerun control and the inquiry answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Daemon, Problems, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def test_the_graph_actor_tree_and_timeline_are_drawn(
        daemon: Daemon, page: tuple[Any, Problems], artifacts: Path) -> None:
    expect = _expect()
    tab, problems = page
    execution_id = daemon.start("stepped", n=3)
    assert daemon.steps.entered.get(timeout=20) == 0
    sign_in(tab, daemon.url, f"/#/executions/{execution_id}")
    expect(tab.locator("#graph svg").first).to_be_visible()
    for name in ("graph", "actors", "timeline"):
        expect(tab.locator(f"#{name} .panel-body")).not_to_be_empty()
        expect(tab.locator(f"#{name} > p.muted")).to_have_text("")
    daemon.steps.release_all()
    expect(tab.locator("#exec-status")).to_have_text("succeeded")
    screenshot(tab, artifacts, "execution-views")
    assert problems.errors == []


def test_rerun_with_a_task_choice(daemon: Daemon, page: tuple[Any, Problems]) -> None:
    expect = _expect()
    tab, problems = page
    execution_id = daemon.start("flaky")
    assert daemon.engine.get(execution_id).wait(timeout=30).status == "failed"
    sign_in(tab, daemon.url, f"/#/executions/{execution_id}")
    expect(tab.locator("#exec-status")).to_have_text("failed")
    tab.locator("#rerun summary").click()
    tab.get_by_role("checkbox", name="flaky", exact=True).check()
    daemon.flip.ok.set()
    tab.get_by_role("button", name="Rerun").click()
    expect(tab.locator("#exec-status")).to_have_text("succeeded", timeout=20_000)
    assert daemon.flip.calls == 2
    assert problems.errors == []


def test_answering_an_inquiry(daemon: Daemon, page: tuple[Any, Problems]) -> None:
    assert daemon.offers("inquiries") and daemon.offers("respond")
    expect = _expect()
    tab, problems = page
    execution_id = daemon.start("ask")
    sign_in(tab, daemon.url, f"/#/executions/{execution_id}")
    card = tab.locator("#inquiries .card")
    expect(card).to_have_count(1, timeout=20_000)
    card.get_by_label("Response (JSON)").fill("{}")
    card.get_by_role("button", name="Respond").click()
    expect(card.locator(".error li")).not_to_have_count(0)  # refused: approved is required
    card.get_by_label("Response (JSON)").fill('{"approved": true}')
    card.get_by_role("button", name="Respond").click()
    expect(tab.locator("#exec-status")).to_have_text("succeeded", timeout=20_000)
    assert daemon.api.get(f"/api/v1/executions/{execution_id}").json()["output"] == {
        "answer": {"approved": True}}
    # the refused answer's 400 is the one failed request (Chromium logs it too)
    refused = [e for e in problems.errors if "status of 400" in e or e.startswith("response: 400")]
    assert len(refused) == 2
    assert [e for e in problems.errors if e not in refused] == []
