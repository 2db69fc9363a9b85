"""``troupe trace export --format perfetto``: Chrome trace-event JSON, validated."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

from runtime.trace.perfetto import export_perfetto
from runtime.trace.reader import TraceFilter
from tests.trace.conftest import CHILD, OTHER, ROOT, Demo, run_cli


def validate_chrome_trace(doc: Any) -> list[dict[str, Any]]:
    """Check what ui.perfetto.dev needs of a JSON trace; return its events."""
    assert isinstance(doc, dict)
    assert doc.get("displayTimeUnit") == "ms"
    events = doc["traceEvents"]
    assert isinstance(events, list) and events
    named_pids: set[int] = set()
    named_tids: set[tuple[int, int]] = set()
    flows: dict[Any, Counter[str]] = {}
    for ev in events:
        assert isinstance(ev.get("ph"), str), ev
        for key in ("pid", "tid", "ts"):
            assert isinstance(ev.get(key), int | float) and not isinstance(ev[key], bool), ev
        if ev["ph"] == "M":
            assert ev["name"] in {
                "process_name",
                "process_sort_index",
                "thread_name",
                "thread_sort_index",
            }
            if ev["name"] == "process_name":
                assert isinstance(ev["args"]["name"], str)
                named_pids.add(ev["pid"])
            if ev["name"] == "thread_name":
                assert isinstance(ev["args"]["name"], str)
                named_tids.add((ev["pid"], ev["tid"]))
        elif ev["ph"] == "X":
            assert isinstance(ev["dur"], int | float) and ev["dur"] >= 0, ev
            assert isinstance(ev["name"], str)
        elif ev["ph"] in ("s", "f"):
            flows.setdefault(ev["id"], Counter())[ev["ph"]] += 1
            if ev["ph"] == "f":
                assert ev["bp"] == "e"
        else:
            raise AssertionError(f"unexpected phase {ev['ph']!r}")
    for ev in events:
        if ev["ph"] != "M":
            assert ev["pid"] in named_pids, ev
            assert (ev["pid"], ev["tid"]) in named_tids, ev
    for flow_id, phases in flows.items():
        assert phases == Counter({"s": 1, "f": 1}), (flow_id, phases)
    pairs: dict[Any, list[dict[str, Any]]] = {}
    for ev in events:
        if ev["ph"] in ("s", "f"):
            pairs.setdefault(ev["id"], []).append(ev)
    for start, end in pairs.values():
        assert (start["cat"], start["name"]) == (end["cat"], end["name"])
    return list(events)


def _messages(demo: Demo) -> tuple[int, int]:
    """(messages handled, messages both sent and received) in the file."""
    handled, sent, received = 0, set(), set()
    with open(demo.path, encoding="utf-8") as handle:
        for line in handle:
            ev = json.loads(line)
            key = (ev["execution"], ev.get("msg_id"))
            if ev["event"] == "message.handled":
                handled += 1
            elif ev["event"] == "message.sent":
                sent.add(key)
            elif ev["event"] == "message.received":
                received.add(key)
    return handled, len(sent & received)


def test_export_is_valid_and_complete(tmp_path: Path, demo: Demo) -> None:
    out = tmp_path / "trace.json"
    result = run_cli("export", demo.path, "--format", "perfetto", "-o", out, "--json")
    assert result.rc == 0, result.err
    report = result.json()
    assert report["executions"] == [ROOT, CHILD, OTHER]
    events = validate_chrome_trace(json.loads(out.read_text(encoding="utf-8")))
    assert report["events"] == len(events)
    handled, paired = _messages(demo)
    assert sum(1 for ev in events if ev["ph"] == "X" and ev["cat"] == "message") == handled
    assert sum(1 for ev in events if ev["ph"] == "s") == paired == report["flows"]
    processes = {ev["pid"]: ev["args"]["name"] for ev in events if ev["name"] == "process_name"}
    assert len(processes) == 3
    assert processes[1] == "demo.yaml e1000000"
    assert processes[2].startswith("child.yaml c2000000 (sub of e1000000/sub)")
    threads = {
        ev["args"]["name"] for ev in events if ev["name"] == "thread_name" and ev["pid"] == 1
    }
    assert threads == set(demo.root_actors)
    tasks = [ev for ev in events if ev["ph"] == "X" and ev["cat"] == "task"]
    assert len(tasks) == 8 + 2 + 1
    items = [ev for ev in events if ev["ph"] == "X" and ev["cat"] == "item"]
    assert len(items) == demo.items
    tid_names = {
        (ev["pid"], ev["tid"]): ev["args"]["name"] for ev in events if ev["name"] == "thread_name"
    }
    assert {tid_names[(ev["pid"], ev["tid"])] for ev in items} == {
        f"wf/fanout@0/w{k}" for k in range(4)
    }
    start = next(ev for ev in tasks if ev["name"] == "start@0")
    assert start["dur"] == 10000.0
    assert tid_names[(start["pid"], start["tid"])] == "wf/start@0"
    assert start["args"]["status"] == "succeeded"


def test_export_message_span_ends_at_handled_time(demo: Demo) -> None:
    out = io.StringIO()
    export_perfetto(str(demo.path), out, filt=TraceFilter(execution="5e"))
    events = validate_chrome_trace(json.loads(out.getvalue()))
    handled = [json.loads(line) for line in demo.path.read_text().splitlines()]
    handled = [
        ev for ev in handled if ev["event"] == "message.handled" and ev["execution"] == OTHER
    ]
    spans = [ev for ev in events if ev["ph"] == "X" and ev["cat"] == "message"]
    assert len(spans) == len(handled)
    for span, line in zip(sorted(spans, key=lambda e: e["ts"]), handled, strict=True):
        assert abs(span["ts"] + span["dur"] - line["mono"] * 1e6) < 0.01
        assert abs(span["dur"] - line["duration"] * 1e6) < 0.01


def test_export_filters(demo: Demo) -> None:
    sub = run_cli("export", demo.path, "--execution", "e1")
    events = validate_chrome_trace(json.loads(sub.out))
    names = sorted(ev["args"]["name"] for ev in events if ev["name"] == "process_name")
    assert names[0].startswith("child.yaml") and names[1].startswith("demo.yaml")
    by_status = run_cli("export", demo.path, "--status", "succeeded")
    statuses = {
        ev["args"]["name"]
        for ev in json.loads(by_status.out)["traceEvents"]
        if ev["name"] == "process_name"
    }
    assert {name.split()[0] for name in statuses} == {"child.yaml", "other.yaml"}
    one_task = validate_chrome_trace(
        json.loads(run_cli("export", demo.path, "--task", "flaky").out)
    )
    threads = {ev["args"]["name"] for ev in one_task if ev["name"] == "thread_name"}
    assert threads == {"wf", "wf/flaky@0"}
    assert run_cli("export", demo.path, "--execution", "zz").rc == 1


def test_flow_pairs_even_when_the_receive_is_logged_first(tmp_path: Path) -> None:
    base = {"execution": "x", "ts": 1.0}
    lines = [
        {**base, "event": "workflow.started", "mono": 1.0, "actor": "wf", "workflow": "w"},
        {
            **base,
            "event": "message.received",
            "mono": 1.2,
            "actor": "wf/a@0",
            "msg": "M",
            "msg_id": 1,
            "sender": "wf",
            "mailbox_wait": 0.1,
        },
        {
            **base,
            "event": "message.sent",
            "mono": 1.1,
            "actor": "wf",
            "msg": "M",
            "msg_id": 1,
            "to": "wf/a@0",
        },
        {
            **base,
            "event": "message.sent",
            "mono": 1.3,
            "actor": "wf",
            "msg": "M",
            "msg_id": 2,
            "to": "wf/gone@0",
        },
    ]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = io.StringIO()
    report = export_perfetto(str(path), out)
    events = validate_chrome_trace(json.loads(out.getvalue()))
    flow = [ev for ev in events if ev["ph"] in ("s", "f")]
    assert report.flows == 1
    assert [(ev["ph"], ev["ts"]) for ev in flow] == [("s", 1.1e6), ("f", 1.2e6)]
