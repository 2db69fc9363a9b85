"""The same idempotency key returns the same execution (200), never a second one:
sequentially, concurrently, and after the daemon restarted on the same store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from runtime import Engine
from runtime.server import create_app

from .conftest import Gate, settings_for

pytestmark = pytest.mark.timeout(60)


def test_a_key_sent_again_answers_its_execution(client: TestClient) -> None:
    body = {"workflow": "hello", "parameters": {"name": "A"}, "idempotency_key": "order-1"}
    first = client.post("/api/v1/executions", json=body)
    assert first.status_code == 201
    again = client.post("/api/v1/executions", json={**body, "parameters": {"name": "B"}})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["parameters"] == {"name": "A"}
    other = client.post("/api/v1/executions", json={**body, "idempotency_key": "order-2"})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert len(client.get("/api/v1/executions").json()["items"]) == 2


def test_a_key_survives_a_restart(store_url: str, gate: Gate, workflows_dir: Path,
                                  tmp_path: Path) -> None:
    body = {"workflow": "hello", "idempotency_key": "k"}
    with Engine(store=store_url) as engine, TestClient(
            create_app(engine, settings_for(workflows_dir, tmp_path))) as client:
        first = client.post("/api/v1/executions", json=body)
        assert first.status_code == 201
    with Engine(store=store_url) as engine, TestClient(
            create_app(engine, settings_for(workflows_dir, tmp_path))) as client:
        again = client.post("/api/v1/executions", json=body)
        assert again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        assert len(client.get("/api/v1/executions").json()["items"]) == 1


def test_concurrent_requests_with_one_key_start_one_execution(engine: Engine,
                                                              workflows_dir: Path,
                                                              tmp_path: Path) -> None:
    app = create_app(engine, settings_for(workflows_dir, tmp_path))

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            body = {"workflow": "gated", "parameters": {"n": 1}, "idempotency_key": "same"}
            return list(await asyncio.gather(*(client.post("/api/v1/executions", json=body)
                                              for _ in range(12))))

    answers = asyncio.run(burst())
    assert sorted(a.status_code for a in answers) == [200] * 11 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(engine.list().executions) == 1


def test_a_failed_start_leaves_the_key_free(client: TestClient) -> None:
    body = {"workflow": "typed", "idempotency_key": "retry-me"}
    assert client.post("/api/v1/executions", json=body).status_code == 400
    fixed = client.post("/api/v1/executions", json={**body, "parameters": {"count": 2}})
    assert fixed.status_code == 201
