"""/metrics, /api/v1/workflows, /api/v1/validate, /openapi.json and the trace endpoint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from runtime import Engine
from runtime.server import ServerSettings, create_app

from .conftest import Gate
from .test_events import _gated, _stream

pytestmark = pytest.mark.timeout(60)


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "")
    match = re.search(rf"^{pattern} (\S+)$", text, re.MULTILINE)
    assert match is not None, f"no sample {name} {labels} in\n{text}"
    return float(match.group(1))


def test_metrics_count_executions_items_mailboxes_journal_and_actions(
        client: TestClient, gate: Gate) -> None:
    running = _gated(client, 2)
    gate.wait_entered(2)
    text = client.get("/metrics").text
    assert _sample(text, "troupe_executions", status="running") == 1
    assert _sample(text, "troupe_items_in_flight") >= 2
    assert _sample(text, "troupe_attempts_in_flight") >= 2  # the two gated attempts
    assert _sample(text, "troupe_attempt_limit") >= 2
    assert _sample(text, "troupe_attempts_queued") >= 0
    assert _sample(text, "troupe_supervisor_mailbox_depth", execution=running) >= 0
    assert _sample(text, "troupe_journal_batch_entries_count") >= 1
    assert _sample(text, "troupe_journal_commit_seconds_count") >= 1
    gate.opened.set()
    _stream(client, running)
    text = client.get("/metrics").text
    assert _sample(text, "troupe_executions", status="succeeded") == 1
    assert _sample(text, "troupe_executions", status="running") == 0
    assert _sample(text, "troupe_action_duration_seconds_count", action="t.gate",
                   outcome="succeeded") == 2
    assert _sample(text, "troupe_journal_commits_total") >= 1
    assert f'execution="{running}"' not in text  # no longer running
    entries = _sample(text, "troupe_journal_entries_total")
    assert _sample(text, "troupe_journal_batch_entries_sum") <= entries


def test_the_workflows_directory_with_each_file_validated(client: TestClient,
                                                          workflows_dir: Path) -> None:
    items = {w["name"]: w for w in client.get("/api/v1/workflows").json()["items"]}
    assert set(items) == {"hello", "secret", "gated", "typed", "broken"}
    assert items["hello"]["valid"] is True and items["hello"]["dialect"] == "orquesta"
    assert items["gated"]["valid"] is True  # t.gate is an action of the engine
    assert items["broken"]["valid"] is False
    assert items["broken"]["diagnostics"][0]["line"] is not None
    (workflows_dir / "later.yml").write_text("version: 1.0\ntasks:\n  a:\n    action: "
                                             "core.noop\n", encoding="utf-8")
    client.app.state.troupe.reload()  # type: ignore[attr-defined]
    names = {w["name"] for w in client.get("/api/v1/workflows").json()["items"]}
    assert "later" in names


def test_validate_answers_the_cli_report(client: TestClient) -> None:
    ok = client.post("/api/v1/validate", json={"workflow": "hello"}).json()
    assert (ok["valid"], ok["dialect"], ok["file"], ok["diagnostics"]) == (
        True, "orquesta", "hello.yaml", [])
    text = "version: 1.0\ntasks:\n  a:\n    action: nope.nothing\n"
    bad = client.post("/api/v1/validate", json={"workflow": text}).json()
    assert bad["valid"] is False
    assert [(d["code"], d["line"], d["task"]) for d in bad["diagnostics"]] == [
        ("T401", 4, "a")]
    assert client.post("/api/v1/validate", json={"workflow": "/etc/passwd"}).status_code == 400
    assert client.post("/api/v1/validate", json={"workflow": "nope"}).status_code == 400


def test_no_trace_without_a_trace_directory(engine: Engine, workflows_dir: Path) -> None:
    app = create_app(engine, ServerSettings(workflows_dir=workflows_dir))
    with TestClient(app) as client:
        execution_id = client.post("/api/v1/executions", json={"workflow": "hello"}).json()[
            "id"]
        answer = client.get(f"/api/v1/executions/{execution_id}/trace")
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "no_trace"


def test_requests_after_the_engine_closed_get_503(store_url: str, workflows_dir: Path) -> None:
    """The daemon stopping: its engine closed, a request gets 503 ``shutting_down``, not a
    500 for a dead journal."""
    engine = Engine(store=store_url)
    app = create_app(engine, ServerSettings(workflows_dir=workflows_dir))
    with TestClient(app) as client:
        engine.close()
        listed = client.get("/api/v1/executions")
        started = client.post("/api/v1/executions", json={"workflow": "hello"})
    assert (listed.status_code, listed.json()["error"]["code"]) == (503, "shutting_down")
    assert (started.status_code, started.json()["error"]["code"]) == (503, "shutting_down")
