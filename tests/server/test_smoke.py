"""The first endpoints end to end through the test client."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

pytestmark = pytest.mark.timeout(60)


def test_start_show_and_events(client: TestClient) -> None:
    answer = client.post("/api/v1/executions", json={"workflow": "hello",
                                                     "parameters": {"name": "Ann"}})
    assert answer.status_code == 201, answer.text
    execution = answer.json()
    assert execution["workflow"] == "hello"
    with client.stream("GET", f"/api/v1/executions/{execution['id']}/events",
                       headers={"Accept": "text/event-stream"}) as stream:
        text = "".join(stream.iter_text())
    assert "event: end" in text
    shown = client.get(f"/api/v1/executions/{execution['id']}").json()
    assert shown["status"] == "succeeded"
    assert shown["output"] == {"greeting": "Hello, Ann!"}
    events = client.get(f"/api/v1/executions/{execution['id']}/events").json()
    assert events["finished"] is True
    assert [e["id"] for e in events["items"]] == list(range(1, len(events["items"]) + 1))
    assert events["items"][-1]["kind"] == "workflow_finished"
