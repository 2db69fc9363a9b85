"""An inquiry outlives its daemon: a workflow waiting on ``core.ask`` and one on an Attune
``wait_for``, the daemon SIGKILLed, started again on the same SQLite file; the inquiries are
listed again with their deadlines, answered over HTTP and through ``troupe respond``, and
the executions finish with the answers. ``troupe inquiries`` lists them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.daemon.harness import Daemon, Notifications, finished, submit, troupe

pytestmark = pytest.mark.timeout(300)

ASK = """\
version: 1.0
tasks:
  ask:
    action: core.ask
    input:
      schema: {type: object, properties: {n: {type: integer}}, required: [n]}
    next:
      - publish: [n: '{{ result().response.n }}']
output:
  - n: '{{ ctx("n") }}'
"""

WAIT = """\
version: "1.0.0"
tasks:
  - name: gate
    action: core.noop
    wait_for:
      inquiry:
        prompt: go?
        schema: {type: object, properties: {go: {type: boolean}}, required: [go]}
        timeout: 3600
    next:
      - when: "{{ succeeded() }}"
        publish:
          answer: "{{ inquiry.gate.response.go }}"
output_map:
  answer: "{{ workflow.answer }}"
"""


def _opened(http: httpx.Client, execution_id: str) -> str:
    """The id of the inquiry the execution opens (read from its event stream)."""
    with http.stream("GET", f"/api/v1/executions/{execution_id}/events",
                     headers={"Accept": "text/event-stream"}, timeout=60) as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                event: dict[str, Any] = json.loads(line[6:])
                if event.get("kind") == "inquiry" and event.get("status") == "pending":
                    inquiry: str = event["inquiry"]
                    return inquiry
    raise AssertionError("the stream ended without an inquiry")


def test_inquiries_are_answered_after_a_daemon_restart(tmp_path: Path) -> None:
    with Notifications() as notes:
        daemon = Daemon.start(tmp_path, notes)
        with httpx.Client(base_url=daemon.url, timeout=60) as http:
            ask = submit(http, ASK, {})["id"]
            wait = submit(http, WAIT, {})["id"]
            asked, waited = _opened(http, ask), _opened(http, wait)
            before = {i["id"]: i for i in http.get("/api/v1/inquiries").json()["items"]}
            assert set(before) == {asked, waited}
            assert before[waited]["prompt"] == "go?" and before[asked]["expires_at"]
        daemon.kill()  # SIGKILL: nothing more is journaled
    with Notifications() as notes:
        daemon = Daemon.start(tmp_path, notes)  # the same SQLite file: recovery
        with httpx.Client(base_url=daemon.url, timeout=60) as http:
            after = {i["id"]: i for i in http.get("/api/v1/inquiries").json()["items"]}
            assert after == before  # the same inquiries, the same deadlines
            listed = troupe("inquiries", "--server", daemon.url)
            assert listed.returncode == 0, listed.stderr
            assert asked in listed.stdout and waited in listed.stdout
            refused = troupe("respond", asked, "-p", "n=oops", "--server", daemon.url)
            assert refused.returncode == 2
            assert "n: 'oops' is not of type 'integer'" in refused.stderr
            done = troupe("respond", asked, "-p", "n=7", "--server", daemon.url)
            assert done.returncode == 0, done.stderr
            answered = http.post(f"/api/v1/inquiries/{waited}/respond",
                                 json={"response": {"go": True}})
            assert answered.status_code == 200, answered.text
            assert finished(http, ask)["output"] == {"n": 7}
            assert finished(http, wait)["output"] == {"answer": True}
            closed = troupe("respond", waited, "--json", '{"go": false}',
                            "--server", daemon.url)
            assert closed.returncode == 2 and "answered" in closed.stderr
        assert daemon.stop() == 0
