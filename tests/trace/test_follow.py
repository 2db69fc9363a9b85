"""``troupe trace follow``: live tailing through inotify, filters, stop conditions."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runtime.trace import follow as follow_module
from runtime.trace.follow import follow, format_event
from runtime.trace.reader import TraceFilter, TraceFormatError
from tests.trace.conftest import OTHER, ROOT, Demo

REPO = Path(__file__).resolve().parents[2]


def _follower(path: Path, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-m", "runtime.trace.cli", "follow", str(path), "--json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )


def _lines(demo: Demo) -> list[str]:
    return demo.path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_format_event_is_compact_and_has_key_fields() -> None:
    ev: dict[str, Any] = {
        "event": "task.finished",
        "ts": 1_700_000_000.25,
        "mono": 1.0,
        "execution": ROOT,
        "actor": "wf",
        "task": "build",
        "route": 0,
        "item": None,
        "attempt": 2,
        "run": 3,
        "status": "failed",
        "attempts": 2,
        "duration": 1.5,
        "error": "boom here",
    }
    assert format_event(ev) == (
        "22:13:20.250  e1000000  wf  task.finished  build@0  attempt=2  run=3  status=failed"
        '  attempts=2  duration=1.500s  error="boom here"'
    )
    sent = {
        "event": "message.sent",
        "mono": 2.0,
        "execution": "abc",
        "actor": "wf",
        "msg": "RunItem",
        "msg_id": 7,
        "to": "wf/f@0/w1",
        "item": 4,
    }
    assert (
        format_event(sent)
        == "2.000  abc  wf  message.sent  item=4  msg=RunItem  msg_id=7  to=wf/f@0/w1"
    )


def test_from_start_until_finished_prints_everything_and_stops(demo: Demo) -> None:
    out = io.StringIO()
    count = follow(demo.path, stream=out, from_start=True, until_finished=True)
    assert count == demo.lines
    assert len(out.getvalue().splitlines()) == demo.lines


def test_filters_apply_to_followed_lines(demo: Demo) -> None:
    out = io.StringIO()
    filt = TraceFilter(execution="e1", task="fanout", status="succeeded")
    follow(demo.path, stream=out, filt=filt, from_start=True, until_finished=True, json_output=True)
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {ev["event"] for ev in events} == {"item.finished", "task.finished"}
    assert len(events) == demo.items + 1
    assert all(ev["task"] == "fanout" and ev["execution"] == ROOT for ev in events)


def test_max_lines_stops_exactly(demo: Demo) -> None:
    out = io.StringIO()
    assert follow(demo.path, stream=out, from_start=True, max_lines=5) == 5
    assert len(out.getvalue().splitlines()) == 5


def test_malformed_lines_are_reported_while_following(tmp_path: Path, demo: Demo) -> None:
    lines = _lines(demo)
    path = tmp_path / "bad.jsonl"
    path.write_text(lines[0] + "garbage\n" + "".join(lines[1:]), encoding="utf-8")
    problems: list[TraceFormatError] = []
    out = io.StringIO()
    follow(path, stream=out, from_start=True, until_finished=True, on_error=problems.append)
    assert [p.line for p in problems] == [2]
    with pytest.raises(TraceFormatError):
        follow(path, stream=io.StringIO(), from_start=True, until_finished=True, max_errors=0)


def test_skip_to_end_keeps_a_partial_tail(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": 2}\n{"c"')
    with open(path, "rb") as handle:
        lines, partial = follow_module._skip_to_end(handle)
        assert (lines, partial) == (2, 4)
        assert handle.read() == b'{"c"'


@pytest.mark.timeout(60)
def test_follow_prints_lines_as_they_are_appended(tmp_path: Path, demo: Demo) -> None:
    lines = _lines(demo)
    path = tmp_path / "live.jsonl"
    path.write_text("".join(lines[:20]), encoding="utf-8")
    proc = _follower(path, "--from-start", "--max-lines", "40")
    assert proc.stdout is not None
    got = [proc.stdout.readline() for _ in range(20)]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("".join(lines[20:30]))
        handle.write(lines[30][:15])  # half a line: must wait for the rest
        handle.flush()
        got += [proc.stdout.readline() for _ in range(10)]
        handle.write(lines[30][15:])
        handle.write("".join(lines[31:50]))
    rest, err = proc.communicate(timeout=30)
    got += rest.splitlines(keepends=True)
    assert proc.returncode == 0, err
    assert [json.loads(line) for line in got] == [json.loads(line) for line in lines[:40]]


@pytest.mark.timeout(60)
def test_follow_until_finished_stops_when_the_execution_finishes(
    tmp_path: Path, demo: Demo
) -> None:
    lines = _lines(demo)
    finish = next(
        i for i, line in enumerate(lines) if '"workflow.finished"' in line and ROOT in line
    )
    path = tmp_path / "live.jsonl"
    path.write_text("".join(lines[:finish]), encoding="utf-8")
    expected = [json.loads(line) for line in lines if f'"execution": "{ROOT}"' in line]
    proc = _follower(path, "--from-start", "--until-finished", "--execution", "e1")
    assert proc.stdout is not None
    got = [proc.stdout.readline() for _ in range(len(expected) - 1)]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("".join(lines[finish:]))
    rest, err = proc.communicate(timeout=30)
    got += rest.splitlines(keepends=True)
    assert proc.returncode == 0, err
    assert [json.loads(line) for line in got] == expected
    assert all(json.loads(line)["execution"] != OTHER for line in got)


def test_select_fallback_waits_and_notices_deletion(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text("")
    waiter = follow_module._SelectTimeout(str(path), timeout=0.01)
    assert waiter.wait() is True
    path.unlink()
    assert waiter.wait() is False


def test_inotify_waiter_wakes_on_write_and_on_delete(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text("")
    waiter = follow_module._Inotify(str(path))
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("x\n")
        assert waiter.wait() is True  # the event is queued already: returns at once
        path.unlink()
        assert waiter.wait() is False
    finally:
        waiter.close()


def test_follow_missing_file_exits_2(tmp_path: Path) -> None:
    from tests.trace.conftest import run_cli

    result = run_cli("follow", tmp_path / "nope.jsonl")
    assert result.rc == 2
