"""The inquiry endpoints: list, show, respond (200, 400 invalid_response, 409, 404), and the
``inquiry`` progress event on the execution's event stream."""

from __future__ import annotations

import queue
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from runtime import Engine
from runtime.inquiries import Inquiry
from runtime.inquiry_rows import inquiry_row
from runtime.progress import ProgressEvent
from runtime.server import create_app
from runtime.store import Batch, ExecutionRow, MemoryStore
from tests.server.conftest import settings_for

pytestmark = pytest.mark.timeout(60)

ASK = textwrap.dedent("""\
    version: 1.0
    tasks:
      ask:
        action: core.ask
        input:
          schema:
            type: object
            properties: {approved: {type: boolean}}
            required: [approved]
          users: [alice]
        next:
          - publish: [approved: '{{ result().response.approved }}']
    output:
      - approved: '{{ ctx("approved") }}'
    """)


def _ask(engine: Engine) -> tuple[str, str]:
    """Start ASK; (execution id, inquiry id) once the inquiry opened."""
    events: queue.SimpleQueue[ProgressEvent] = queue.SimpleQueue()
    handle = engine.start_workflow(ASK, on_event=events.put)
    while True:
        event = events.get(timeout=30)
        if event.kind == "inquiry":
            assert event.inquiry is not None
            return handle.execution_id, event.inquiry


def test_list_show_and_answer_an_inquiry(engine: Engine, client: TestClient) -> None:
    execution_id, inquiry_id = _ask(engine)
    listed = client.get("/api/v1/inquiries").json()
    assert listed["cursor"] is None
    [item] = listed["items"]
    assert item == {**item, "id": inquiry_id, "execution_id": execution_id, "task": "ask",
                    "route": 0, "item": None, "status": "pending", "users": ["alice"],
                    "roles": [], "assigned_to": [], "response": None, "answered_at": None,
                    "prompt": None}
    assert item["schema"]["required"] == ["approved"]
    opened, expires = (datetime.fromisoformat(item[k]) for k in ("opened_at", "expires_at"))
    assert (expires - opened).total_seconds() == pytest.approx(1440 * 60, abs=0.002)
    assert client.get(f"/api/v1/inquiries?execution={execution_id}").json()["items"] == [item]
    assert client.get("/api/v1/inquiries?execution=other").json()["items"] == []
    assert client.get(f"/api/v1/inquiries/{inquiry_id}").json() == item
    paused = client.get(f"/api/v1/executions/{execution_id}").json()
    assert paused["status"] == "paused"
    assert [t["status"] for t in paused["tasks"]] == ["pending"]

    refused = client.post(f"/api/v1/inquiries/{inquiry_id}/respond",
                          json={"response": {"approved": "yes"}})
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "invalid_response"
    assert [e["path"] for e in error["errors"]] == [["approved"]]
    assert client.get(f"/api/v1/inquiries/{inquiry_id}").json()["status"] == "pending"

    answered = client.post(f"/api/v1/inquiries/{inquiry_id}/respond",
                           json={"response": {"approved": True}})
    assert answered.status_code == 200
    assert answered.json()["status"] == "answered"
    assert answered.json()["response"] == {"approved": True}
    assert engine.get(execution_id).wait(30).output == {"approved": True}
    again = client.post(f"/api/v1/inquiries/{inquiry_id}/respond",
                        json={"response": {"approved": True}})
    assert again.status_code == 409
    assert again.json()["error"] == {**again.json()["error"], "code": "inquiry_closed",
                                     "status": "answered"}
    assert client.get("/api/v1/inquiries").json()["items"] == []
    assert [i["status"] for i in client.get("/api/v1/inquiries?status=answered")
            .json()["items"]] == ["answered"]
    kinds = [(e["kind"], e.get("status"), e.get("inquiry")) for e in client.get(
        f"/api/v1/executions/{execution_id}/events").json()["items"]
        if e["kind"] == "inquiry"]
    assert kinds == [("inquiry", "pending", inquiry_id), ("inquiry", "answered", inquiry_id)]


def test_unknown_inquiries_and_bad_requests(engine: Engine, client: TestClient) -> None:
    assert client.get("/api/v1/inquiries/nope").json()["error"]["code"] == "not_found"
    missing = client.post("/api/v1/inquiries/nope/respond", json={"response": {}})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    bad = client.post("/api/v1/inquiries/nope/respond", json={"response": [1]})
    assert (bad.status_code, bad.json()["error"]["field"]) == (400, "response")
    status = client.get("/api/v1/inquiries?status=bogus")
    assert (status.status_code, status.json()["error"]["parameter"]) == (400, "status")


SECRET_ASK = ASK.replace("properties: {approved: {type: boolean}}",
                         "properties: {approved: {type: boolean}, "
                         "pin: {type: string, secret: true}}")


def test_inquiries_are_paged_and_secret_answers_masked(engine: Engine,
                                                       client: TestClient) -> None:
    first = _ask(engine)
    second = _ask(engine)
    page = client.get("/api/v1/inquiries?limit=1").json()
    assert [i["id"] for i in page["items"]] == [first[1]] and page["cursor"]
    rest = client.get(f"/api/v1/inquiries?limit=1&cursor={page['cursor']}").json()
    assert ([i["id"] for i in rest["items"]], rest["cursor"]) == ([second[1]], None)
    bad = client.get("/api/v1/inquiries?cursor=nonsense")
    assert (bad.status_code, bad.json()["error"]["parameter"]) == (400, "cursor")
    for _, inquiry_id in (first, second):
        client.post(f"/api/v1/inquiries/{inquiry_id}/respond",
                    json={"response": {"approved": True}})
    execution_id, inquiry_id = _ask_workflow(engine, SECRET_ASK)
    answered = client.post(f"/api/v1/inquiries/{inquiry_id}/respond",
                           json={"response": {"approved": True, "pin": "8642"}}).json()
    assert answered["response"] == {"approved": True, "pin": "***"}
    assert engine.get(execution_id).wait(30).output == {"approved": True}
    shown = client.get(f"/api/v1/inquiries/{inquiry_id}").json()
    assert shown["response"] == {"approved": True, "pin": "***"}
    listed = client.get("/api/v1/inquiries?status=answered").json()["items"]
    assert [i["response"].get("pin") for i in listed] == [None, None, "***"]


def _ask_workflow(engine: Engine, text: str) -> tuple[str, str]:
    events: queue.SimpleQueue[ProgressEvent] = queue.SimpleQueue()
    handle = engine.start_workflow(text, on_event=events.put)
    while True:
        event = events.get(timeout=30)
        if event.kind == "inquiry":
            assert event.inquiry is not None
            return handle.execution_id, event.inquiry


@pytest.mark.parametrize(("execution_status", "code"), [
    ("failed", "inquiry_closed"), ("paused", "inquiry_not_live")])
def test_an_answer_no_execution_can_take_is_a_409_with_its_reason(
        execution_status: str, code: str, workflows_dir: Path, tmp_path: Path) -> None:
    store = MemoryStore()
    now = time.time()
    store.write(Batch(
        executions=(ExecutionRow(id="gone", workflow="w", text="version: 1.0", text_hash="0",
                                 parameters="{}", status=execution_status, created_at=now,
                                 updated_at=now),),
        inquiries=(inquiry_row(Inquiry(id="gone.inquiry.0", execution_id="gone", task="ask",
                                       route=0, run=0, opened_at=now), now),)))
    with Engine(store=store) as engine:
        app = create_app(engine, settings_for(workflows_dir, tmp_path))
        app.state.troupe.ready = True
        with TestClient(app) as client:
            refused = client.post("/api/v1/inquiries/gone.inquiry.0/respond",
                                  json={"response": {"continue": True}})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert (error["code"], error["execution_status"]) == (code, execution_status)
    assert error["reason"]
