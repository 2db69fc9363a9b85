"""``troupe inquiries`` and ``troupe respond`` against a daemon app on loopback, and the
inquiry's line in ``troupe watch``."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from tests.client.conftest import Ran, Seen, Served, troupe

pytestmark = pytest.mark.timeout(60)

ASK = """\
version: 1.0
tasks:
  ask:
    action: core.ask
    input:
      schema:
        type: object
        properties: {ok: {type: boolean}, note: {type: string}}
        required: [ok]
    next:
      - publish: [said: '{{ result().response }}']
output:
  - said: '{{ ctx("said") }}'
"""


def test_watch_inquiries_and_respond(daemon: Served, workflows_dir: Path) -> None:
    (workflows_dir / "ask.yaml").write_text(ASK, encoding="utf-8")
    started = json.loads(troupe("submit", "ask", "--json", "--server", daemon.url).out)
    err = Seen()
    asked = err.when("? ask waits for an answer: troupe respond ")
    ran: list[Ran] = []
    watcher = threading.Thread(target=lambda: ran.append(
        troupe("watch", started["id"], "--server", daemon.url, err=err)))
    watcher.start()
    assert asked.wait(timeout=30), err.getvalue()
    inquiry_id = f"{started['id']}.inquiry.0"
    assert f"troupe respond {inquiry_id}" in err.getvalue()
    assert "⏸ workflow paused" in err.getvalue()

    listed = troupe("inquiries", "--server", daemon.url)
    assert listed.code == 0 and listed.out.split()[:4] == [
        inquiry_id, "pending", started["id"], "ask"]
    as_json = json.loads(troupe("inquiries", "--json", "--execution", started["id"],
                                "--server", daemon.url).out)
    assert [i["id"] for i in as_json["items"]] == [inquiry_id]

    bad = troupe("respond", inquiry_id, "-p", "ok=maybe", "--server", daemon.url)
    assert bad.code == 2 and "  ok: 'maybe' is not of type 'boolean'" in bad.err
    nothing = troupe("respond", inquiry_id, "--server", daemon.url)
    assert nothing.code == 2 and "--json" in nothing.err
    not_json = troupe("respond", inquiry_id, "--json", "{nope", "--server", daemon.url)
    assert not_json.code == 2
    done = troupe("respond", inquiry_id, "--json", '{"note": "fine"}', "-p", "ok=true",
                  "--server", daemon.url)
    assert done.code == 0, done.err
    assert done.out == (f"answered: inquiry {inquiry_id} (execution {started['id']}, "
                        "task ask)\n")
    watcher.join(timeout=30)
    assert ran and ran[0].code == 0, err.getvalue()
    assert "? ask inquiry answered" in err.getvalue()
    assert sorted(ran[0].out.splitlines()) == ["  note: fine", "  ok: true", "said:"]

    again = troupe("respond", inquiry_id, "-p", "ok=false", "--server", daemon.url)
    assert again.code == 2 and "is answered" in again.err
    unknown = troupe("respond", "nope", "-p", "ok=false", "--server", daemon.url)
    assert unknown.code == 2
    assert troupe("inquiries", "--server", daemon.url).out == "no inquiries\n"
    every = troupe("inquiries", "--status", "all", "--server", daemon.url).out
    assert f"{inquiry_id}  answered" in every
