"""Every client subcommand against a real daemon app on loopback: output, --json shapes and
the exit codes 0/1/2/3."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.client.conftest import Served, troupe

pytestmark = pytest.mark.timeout(60)


def test_submit_by_name_and_wait_prints_like_run(daemon: Served) -> None:
    done = troupe("submit", "hello", "-p", "name=Ann", "--wait", "--server", daemon.url)
    assert done.code == 0, done.err
    assert done.out == "greeting: Hello, Ann!\n"
    assert done.err.splitlines()[-1].endswith(" succeeded")
    assert done.err.splitlines()[-1].startswith("workflow ")


def test_submit_json_shape_and_get_and_list(daemon: Served) -> None:
    done = troupe("submit", "hello", "--json", "--server", daemon.url)
    assert done.code == 0, done.err
    execution = json.loads(done.out)
    assert {"id", "workflow", "status", "parameters", "tasks", "parent"} <= set(execution)
    waited = troupe("watch", execution["id"], "--server", daemon.url)
    assert waited.code == 0, waited.err
    got = troupe("get", execution["id"], "--json", "--server", daemon.url)
    body = json.loads(got.out)
    assert body["status"] == "succeeded" and body["output"] == {"greeting": "Hello, World!"}
    assert [t["name"] for t in body["tasks"]] == ["greet"]
    text = troupe("get", execution["id"], "--server", daemon.url).out
    assert f"execution: {execution['id']}" in text and "status:    succeeded" in text
    assert "greet" in text.split("tasks:")[1]
    listed = json.loads(troupe("list", "--json", "--server", daemon.url).out)
    assert set(listed) == {"items", "cursor"}
    assert [e["id"] for e in listed["items"]] == [execution["id"]]
    table = troupe("list", "--status", "succeeded", "--server", daemon.url).out
    assert table.splitlines()[0].split() == ["ID", "WORKFLOW", "STATUS", "CREATED", "FINISHED",
                                             "PARENT"]
    assert execution["id"] in table


def test_submit_without_wait_prints_the_id(daemon: Served) -> None:
    done = troupe("submit", "hello", "--server", daemon.url)
    assert done.code == 0
    assert len(done.out.split()) == 1


def test_list_follows_cursors(daemon: Served) -> None:
    ids = {json.loads(troupe("submit", "hello", "--json", "--server", daemon.url).out)["id"]
           for _ in range(5)}
    two = json.loads(troupe("list", "--limit", "2", "--json", "--server", daemon.url).out)
    assert len(two["items"]) == 2 and two["cursor"]
    rest = json.loads(troupe("list", "--cursor", two["cursor"], "--json", "--all",
                             "--server", daemon.url).out)
    assert {e["id"] for e in two["items"] + rest["items"]} == ids
    assert rest["cursor"] is None
    many = json.loads(troupe("list", "--limit", "1000", "--json", "--server", daemon.url).out)
    assert {e["id"] for e in many["items"]} == ids
    assert "more: troupe list --cursor" in troupe("list", "--limit", "2",
                                                  "--server", daemon.url).out


def test_a_failed_execution_exits_1(daemon: Served) -> None:
    done = troupe("submit", "fails", "--wait", "--server", daemon.url)
    assert done.code == 1
    assert "[task boom]" in done.err and done.err.splitlines()[-1].endswith(" failed")


def test_a_local_file_is_sent_as_text(daemon: Served, tmp_path: Path) -> None:
    from tests.server.conftest import HELLO

    local = tmp_path / "mine.yaml"
    local.write_text(HELLO)
    done = troupe("submit", str(local), "-p", "name=Bo", "--wait", "--server", daemon.url)
    assert done.code == 0, done.err
    assert done.out == "greeting: Hello, Bo!\n"


def test_bad_input_exits_2_with_located_diagnostics(daemon: Served, tmp_path: Path) -> None:
    local = tmp_path / "bad.yaml"
    local.write_text("version: 1.0\ntasks:\n  a:\n    action: no.such.action\n")
    done = troupe("submit", str(local), "--server", daemon.url)
    assert done.code == 2
    assert done.err.startswith(f"{local}:4:")  # the daemon's diagnostic, located in the file
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1.0\ntasks:\n  a:\n    next: [{do: b}]\n")
    done = troupe("submit", str(broken), "--server", daemon.url)
    assert done.code == 2 and done.err.startswith(f"{broken}:")
    params = troupe("submit", "typed", "--server", daemon.url)
    assert params.code == 2 and "bad parameters" in params.err and "count" in params.err
    unknown = troupe("submit", "nothere", "--server", daemon.url)
    assert unknown.code == 2 and "unknown_workflow" in unknown.err
    missing = troupe("submit", "./no/such.yaml", "--server", daemon.url)
    assert missing.code == 2 and "no such file" in missing.err
    assert troupe("get", "0000nothere", "--server", daemon.url).code == 2
    bad_p = troupe("submit", "hello", "-p", "novalue", "--server", daemon.url)
    assert bad_p.code == 2 and "KEY=VALUE" in bad_p.err


def test_a_local_file_calling_a_sub_workflow_file_is_refused(daemon: Served,
                                                             tmp_path: Path) -> None:
    from tests.client.conftest import LEAF, MID

    (tmp_path / "leaf.yaml").write_text(LEAF)
    (tmp_path / "mid.yaml").write_text(MID)
    done = troupe("submit", str(tmp_path / "mid.yaml"), "--server", daemon.url)
    assert done.code == 2
    assert "[task inner]" in done.err and "'leaf.yaml'" in done.err
    assert done.err.startswith(f"{tmp_path / 'mid.yaml'}:4:")
    assert json.loads(troupe("list", "--json", "--server", daemon.url).out)["items"] == []


def test_no_daemon_exits_3_saying_so() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    for argv in (("list",), ("get", "x"), ("submit", "hello"), ("watch", "x"), ("top",
                 "--once"), ("logs", "x"), ("cancel", "x")):
        done = troupe(*argv, "--server", url)
        assert done.code == 3, argv
        assert done.err == (f"troupe: cannot reach the Troupe daemon at {url}: connection "
                            "refused; is `troupe daemon` running?\n")


def test_the_server_comes_from_the_environment(daemon: Served,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TROUPE_SERVER", daemon.url)
    assert troupe("list").code == 0


def test_controls_and_their_409(daemon: Served, gate: object) -> None:
    started = json.loads(troupe("submit", "gated", "-p", "n=2", "--json",
                                "--server", daemon.url).out)
    gate.wait_entered(2)  # type: ignore[attr-defined]
    paused = troupe("pause", started["id"], "--json", "--server", daemon.url)
    assert paused.code == 0 and json.loads(paused.out)["status"] == "running"
    again = troupe("resume", started["id"], "--server", daemon.url)
    assert again.code == 0 and again.out.startswith("resume requested: execution ")
    assert troupe("cancel", started["id"], "--server", daemon.url).code == 0
    gate.opened.set()  # type: ignore[attr-defined]
    watched = troupe("watch", started["id"], "--server", daemon.url)
    assert watched.code == 1 and watched.err.splitlines()[-1].endswith(" canceled")
    late = troupe("pause", started["id"], "--server", daemon.url)
    assert late.code == 2
    assert late.err == (f"troupe: cannot pause {started['id']}: the execution is canceled\n")


def test_logs_prints_the_trace_lines(daemon: Served) -> None:
    execution = json.loads(troupe("submit", "hello", "--json", "--server", daemon.url).out)
    assert troupe("watch", execution["id"], "--server", daemon.url).code == 0
    done = troupe("logs", execution["id"], "--server", daemon.url)
    assert done.code == 0
    lines = [json.loads(line) for line in done.out.splitlines()]
    assert lines and all(isinstance(line, dict) for line in lines)


def test_a_draining_daemon_exits_3(daemon: Served) -> None:
    daemon.app.state.troupe.draining = True
    done = troupe("submit", "hello", "--server", daemon.url)
    assert done.code == 3 and "draining" in done.err
    assert troupe("list", "--server", daemon.url).code == 0
