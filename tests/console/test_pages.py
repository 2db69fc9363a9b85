"""The console in headless Chromium against a real daemon app on uvicorn: the list follows
new executions live, an execution's with-items bar advances item by item and cancel ends it
as canceled, the validation page locates diagnostics, both sizes render, no console error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Daemon, Problems, open_page, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def test_a_new_execution_appears_live_its_bar_advances_and_cancel_ends_it(
        daemon: Daemon, page: tuple[Any, Problems], artifacts: Path) -> None:
    expect = _expect()
    tab, problems = page
    sign_in(tab, daemon.url)
    expect(tab.locator("#list-count")).to_have_text("0 shown of 0 loaded")
    tab.evaluate("window.sameDocument = true")
    execution_id = daemon.start("stepped", n=3)
    row = tab.locator(f'tr[data-id="{execution_id}"]')
    expect(row).to_be_visible()  # from the feed: no reload (the marker below survives)
    assert tab.evaluate("window.sameDocument") is True
    expect(row.locator(".status")).to_have_text("running")
    screenshot(tab, artifacts, "list")

    row.get_by_role("link", name=execution_id).click()
    label = tab.locator('tr[data-task="fan"] .bar-label')
    assert daemon.steps.entered.get(timeout=20) == 0
    expect(label).to_have_text("0/3 done · 1 running · 2 waiting")
    daemon.steps.release(0)
    assert daemon.steps.entered.get(timeout=20) == 1
    expect(label).to_contain_text("1/3 done")
    expect(tab.locator('tr[data-task="fan"] [role="progressbar"]')).to_have_attribute(
        "aria-valuenow", "1")
    expect(tab.locator("#exec-status")).to_have_text("running")
    screenshot(tab, artifacts, "execution")

    tab.get_by_role("button", name="Cancel").click()
    expect(tab.locator("#exec-status")).to_have_text("canceled")
    daemon.steps.release_all()
    expect(tab.get_by_role("button", name="Cancel")).to_be_disabled()
    assert daemon.api.get(f"/api/v1/executions/{execution_id}").json()["status"] == "canceled"

    tab.get_by_role("link", name="Executions").click()
    expect(tab.locator(f'tr[data-id="{execution_id}"] .status')).to_have_text("canceled")
    assert problems.errors == []


def test_secrets_are_masked_and_errors_name_their_task(
        daemon: Daemon, page: tuple[Any, Problems]) -> None:
    expect = _expect()
    tab, problems = page
    hidden = daemon.start("secret", password="hunter2-very-secret", user="ada")
    failed = daemon.start("flaky")
    assert daemon.engine.get(failed).wait(timeout=30).status == "failed"
    sign_in(tab, daemon.url, f"/#/executions/{hidden}")
    expect(tab.locator("#exec-status")).to_have_text("succeeded")
    expect(tab.locator("#exec-parameters")).to_contain_text('"password": "***"')
    expect(tab.locator("#exec-parameters")).to_contain_text('"user": "ada"')
    assert "hunter2" not in tab.content()
    tab.evaluate(f"location.hash = '#/executions/{failed}'")
    expect(tab.locator("#exec-status")).to_have_text("failed")
    error = tab.locator("#exec-errors tr").first
    expect(error.locator("td").first).to_have_text("flaky")
    expect(error).to_contain_text("not yet")
    expect(tab.locator('tr[data-task="flaky"] .status')).to_have_text("failed")
    assert problems.errors == []


def test_the_token_stays_in_the_session_and_out_of_urls(
        daemon: Daemon, page: tuple[Any, Problems]) -> None:
    expect = _expect()
    tab, problems = page
    urls: list[str] = []
    tab.on("request", lambda request: urls.append(request.url))
    sign_in(tab, daemon.url)
    expect(tab.locator("#list-count")).to_contain_text("loaded")
    assert tab.evaluate("sessionStorage.getItem('troupe.token')") == "console-token"
    assert not any("console-token" in url for url in urls)
    tab.reload()  # the same session: no login form again
    expect(tab.locator("#list-count")).to_contain_text("loaded")
    expect(tab.locator("#login")).to_be_hidden()
    tab.get_by_role("button", name="Forget token").click()
    expect(tab.locator("#login")).to_be_visible()
    assert tab.evaluate("sessionStorage.getItem('troupe.token')") is None
    assert problems.errors == []


@pytest.mark.parametrize("daemon", [{"page_limit": 5}], indirect=True)
def test_the_list_pages_by_cursor_and_filters(daemon: Daemon, page: tuple[Any, Problems]) -> None:
    expect = _expect()
    tab, problems = page
    ids = [daemon.start("quick") for _ in range(7)]
    for execution_id in ids:
        daemon.engine.get(execution_id).wait(timeout=30)
    stepped = daemon.start("stepped", n=1)
    sign_in(tab, daemon.url)
    expect(tab.locator("#list-count")).to_have_text("5 shown of 5 loaded (more on the server)")
    tab.get_by_role("button", name="Load more").click()
    expect(tab.locator("#list-count")).to_have_text("8 shown of 8 loaded")
    expect(tab.get_by_role("button", name="Load more")).to_be_hidden()
    tab.get_by_label("Status").select_option("running")
    expect(tab.locator("#list-count")).to_have_text("1 shown of 1 loaded")
    expect(tab.locator(f'tr[data-id="{stepped}"]')).to_be_visible()
    tab.get_by_label("Status").select_option("")
    expect(tab.locator("#list-count")).to_contain_text("of 5 loaded")
    tab.get_by_label("Text").fill(ids[-1][:8])
    expect(tab.locator("#list-count")).to_have_text("1 shown of 5 loaded (more on the server)")
    tab.get_by_label("Text").fill("")
    tab.get_by_label("Workflow").fill("stepped")
    tab.get_by_label("Workflow").dispatch_event("change")
    expect(tab.locator("#list-count")).to_have_text("1 shown of 1 loaded")
    assert problems.errors == []


def test_the_validation_page_locates_diagnostics(
        daemon: Daemon, page: tuple[Any, Problems], artifacts: Path) -> None:
    expect = _expect()
    tab, problems = page
    sign_in(tab, daemon.url, "/#/validate")
    tab.get_by_label("Workflow of the daemon").select_option("broken")
    expect(tab.locator("#v-verdict")).to_contain_text("Invalid: 1 error(s)")
    marked = tab.locator(".source .marked")
    expect(marked).to_have_count(1)
    assert marked.get_attribute("data-line") == "5"
    expect(marked.locator("mark")).to_have_text("n")  # column 17: 'nowhere'
    tab.locator("#v-diagnostics button").first.click()
    assert tab.evaluate("document.activeElement.id") == "v-source"
    line_5_start = len("version: 1.0\ntasks:\n  a:\n    action: core.noop\n")
    assert tab.evaluate("document.activeElement.selectionStart") == line_5_start + 16
    screenshot(tab, artifacts, "validate")
    tab.get_by_label("Workflow YAML").fill("version: 1.0\ntasks:\n  a:\n    action: core.noop\n")
    tab.get_by_role("button", name="Validate").click()
    expect(tab.locator("#v-verdict")).to_have_text("Valid (orquesta).")
    expect(tab.locator(".source .marked")).to_have_count(0)
    assert problems.errors == []


def test_a_phone_width_keeps_every_page_inside_the_screen(
        daemon: Daemon, browser: Any, artifacts: Path) -> None:
    expect = _expect()
    tab, problems = open_page(browser, 375, 812)
    try:
        execution_id = daemon.start("stepped", n=2)
        sign_in(tab, daemon.url)
        expect(tab.locator(f'tr[data-id="{execution_id}"]')).to_be_visible()
        for where, name in ((f"#/executions/{execution_id}", "phone-execution"),
                            ("#/validate", "phone-validate"), ("#/", "phone-list")):
            tab.evaluate(f"location.hash = {where!r}")
            expect(tab.locator("#view h1")).to_be_visible()
            if "executions" in where:
                expect(tab.locator('tr[data-task="fan"] .bar-label')).to_be_visible()
            assert tab.evaluate("document.documentElement.scrollWidth") <= 375, name
            screenshot(tab, artifacts, name)
        assert problems.errors == []
    finally:
        tab.context.close()


CONTRAST = """() => {
  const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (node) => {
    for (; node; node = node.parentElement) {
      const colour = rgb(getComputedStyle(node).backgroundColor);
      if (colour.length < 4 || colour[3] > 0.9) return colour;
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const node of document.querySelectorAll("body *")) {
    const own = [...node.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
    if (!own || !node.offsetParent || node.closest("[disabled]")) continue;
    const a = lum(rgb(getComputedStyle(node).color)), b = lum(background(node));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push(`${node.tagName}.${node.className}: ${ratio.toFixed(2)}`);
  }
  return low;
}"""


def test_keyboard_and_labels(daemon: Daemon, page: tuple[Any, Problems]) -> None:
    expect = _expect()
    tab, problems = page
    execution_id = daemon.start("stepped", n=1)
    sign_in(tab, daemon.url)
    expect(tab.locator(f'tr[data-id="{execution_id}"]')).to_be_visible()
    unlabeled = """() => [...document.querySelectorAll('input, select, textarea')]
        .filter((c) => !c.closest('[hidden]') && c.labels.length === 0
                && !c.getAttribute('aria-label')).map((c) => c.outerHTML)"""
    assert tab.evaluate(unlabeled) == []
    assert tab.evaluate(CONTRAST) == []  # WCAG AA for text (disabled controls exempt)
    tab.evaluate("""() => { const probe = document.createElement('p'); probe.id = 'probe';
        probe.className = 'probe'; probe.style.color = '#aaaaaa'; probe.textContent = 'faint';
        document.getElementById('view').append(probe); }""")
    assert tab.evaluate(CONTRAST) == ["P.probe: 2.32"]  # the check sees a faint text
    tab.evaluate("document.getElementById('probe').remove()")
    focused = []
    for _ in range(12):
        tab.keyboard.press("Tab")
        focused.append(tab.evaluate("document.activeElement.id"
                                    " || document.activeElement.textContent"))
        if focused[-1] == execution_id:
            break
    assert {"f-status", "f-workflow", "f-text", execution_id} <= set(focused), focused
    tab.keyboard.press("Enter")
    expect(tab.locator("#exec-status")).to_have_text("running")
    assert tab.evaluate("document.activeElement.tagName") == "H1"
    assert tab.evaluate(unlabeled) == []
    assert tab.evaluate(CONTRAST) == []
    tab.evaluate("location.hash = '#/validate'")
    expect(tab.locator("#v-source")).to_be_visible()
    assert tab.evaluate(unlabeled) == []
    outline = tab.evaluate("""() => { const b = document.getElementById('v-run');
        b.focus(); return getComputedStyle(b).outlineStyle; }""")
    assert outline == "solid"
    tab.get_by_label("Workflow of the daemon").select_option("broken")
    expect(tab.locator(".source .marked")).to_have_count(1)
    assert tab.evaluate(CONTRAST) == []
    assert problems.errors == []
