"""The console served by a real ``troupe daemon`` process (with a token, a workflows
directory and its JSON logs): signed in, a workflow started through the API appears and
ends without a reload, and the token is in no URL the browser asked for nor in the log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.daemon.harness import Daemon, Notifications

from .conftest import QUICK, TOKEN, Problems, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def test_the_daemon_serves_the_console(tmp_path: Path, page: tuple[Any, Problems],
                                       artifacts: Path) -> None:
    from playwright.sync_api import expect

    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "quick.yaml").write_text(QUICK, encoding="utf-8")
    tab, problems = page
    urls: list[str] = []
    tab.on("request", lambda request: urls.append(request.url))
    with Notifications() as notes:
        daemon = Daemon.start(tmp_path, notes, args=["--workflows", str(flows),
                                                     "--log-level", "info"],
                              env={"TROUPE_TOKEN": TOKEN})
        try:
            sign_in(tab, daemon.url)
            expect(tab.locator("#list-count")).to_have_text("0 shown of 0 loaded")
            answer = httpx.post(f"{daemon.url}/api/v1/executions", json={"workflow": "quick"},
                                headers={"Authorization": f"Bearer {TOKEN}"}, timeout=20)
            assert answer.status_code == 201
            row = tab.locator(f'tr[data-id="{answer.json()["id"]}"]')
            expect(row.locator(".status")).to_have_text("succeeded")
            screenshot(tab, artifacts, "daemon-list")
        finally:
            assert daemon.stop() == 0
    assert urls and not any(TOKEN in url for url in urls)
    logged = daemon.log.read_text() + daemon.log.with_suffix(".err").read_text()
    assert "/api/v1/events" in logged  # the access log has the console's requests,
    assert TOKEN not in logged and "token=" not in logged  # with no token in them
    assert problems.errors == []
