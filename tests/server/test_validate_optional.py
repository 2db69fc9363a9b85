"""POST /api/v1/validate with ``"actions_optional": true``: an unknown action is the
warning T404 and the report says valid (``troupe validate --actions-optional``)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.st2.test_actions_optional import PACKED

pytestmark = pytest.mark.timeout(60)


def test_api_validate_takes_actions_optional(client: TestClient) -> None:
    strict = client.post("/api/v1/validate", json={"workflow": PACKED}).json()
    assert strict["valid"] is False
    lenient = client.post("/api/v1/validate",
                          json={"workflow": PACKED, "actions_optional": True}).json()
    assert lenient["valid"] is True
    assert [(d["code"], d["severity"], d["task"]) for d in lenient["diagnostics"]] == [
        ("T404", "warning", "create")]
    bad = client.post("/api/v1/validate", json={"workflow": PACKED, "actions_optional": "yes"})
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "actions_optional"
    schema = client.get("/openapi.json").json()["paths"]["/api/v1/validate"]["post"]
    body = schema["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["actions_optional"] == {"type": "boolean"}

