"""The pure parts of the client: the SSE parser and the JSON-to-text rendering."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from runtime.client.render import bar, diagnostic_lines, event_line, execution_text, list_text
from runtime.client.sse import Sse, SseParser


def test_the_parser_reads_ids_events_data_and_skips_comments() -> None:
    lines = [": ping", "", "id: 1", "event: progress", 'data: {"a": 1}', "",
             "event: end", "data: line one", "data: line two", "", ""]
    assert SseParser().parse(lines) == [
        Sse(event="progress", data='{"a": 1}', id="1"),
        Sse(event="end", data="line one\nline two", id=None)]


@given(st.lists(st.tuples(st.integers(1, 10**6), st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
    max_size=40)), max_size=20))
def test_the_parser_gives_back_what_was_framed(events: list[tuple[int, str]]) -> None:
    lines: list[str] = []
    for number, data in events:
        lines += [f"id: {number}", "event: progress", f"data: {data}", ""]
    assert SseParser().parse(lines) == [Sse(event="progress", data=d, id=str(n))
                                        for n, d in events]


def test_event_lines_match_troupe_run() -> None:
    assert event_line({"kind": "task_started", "task": "a", "total": 3}) == "▶ a (3 items)"
    assert event_line({"kind": "task_started", "task": "a"}) == "▶ a"
    assert event_line({"kind": "task_finished", "task": "a", "status": "succeeded"}) == \
        "✔ a succeeded"
    assert event_line({"kind": "task_finished", "task": "a", "status": "failed",
                       "error": "boom"}) == "✘ a failed: boom"
    assert event_line({"kind": "task_retrying", "task": "a", "attempt": 2}) == \
        "↻ a retry (attempt 2)"
    assert event_line({"kind": "task_finished", "task": "a", "pseudo": True}) is None
    assert event_line({"kind": "item_finished", "task": "a", "done": 1, "total": 2}) is None
    assert bar("fan", 5, 10, width=10) == "fan [#####.....] 5/10"


def test_execution_text_and_list_text() -> None:
    execution = {"id": "e1", "workflow": "w", "status": "failed", "created_at": None,
                 "started_at": "2026-12-02T11:22:31.123Z",
                 "finished_at": "2026-12-02T11:22:33.123Z", "parent": None,
                 "parameters": {"x": 1}, "output": None,
                 "errors": [{"kind": "action", "task": "t", "message": "no", "item": 2}],
                 "tasks": [{"name": "t", "route": 0, "status": "failed", "attempts": 1,
                            "started_at": None, "finished_at": None,
                            "items": {"total": 3, "done": 3, "failed": 1}}]}
    text = execution_text(execution)
    assert "duration:  2.00 s" in text and "parameters:\n  x: 1" in text
    assert "  error action [task t item 2]: no" in text
    assert text.splitlines()[-1].split() == ["t", "0", "failed", "1", "3/3", "(1", "failed)",
                                             "-"]
    assert list_text([], None) == "no executions\n"
    assert "more: troupe list --cursor C" in list_text([{"id": "a", "status": "s"}], "C")


def test_diagnostics_are_located_in_the_local_file() -> None:
    details = {"diagnostics": [{"code": "T401", "message": "unknown action", "line": 4,
                                "column": 13, "task": "a", "severity": "error"}]}
    assert diagnostic_lines(details, "flow.yaml") == [
        "flow.yaml:4:13: error T401 [task a]: unknown action"]


def test_the_live_view_draws_lines_and_a_bar_to_n_of_n() -> None:
    import io

    from runtime.client.views import LiveView
    from runtime.client.watch import Node

    out = io.StringIO()
    view = LiveView(out)
    root, child = Node(id="r", workflow="w", depth=0), Node(id="r.t.0", workflow="c", depth=1)
    view.event(root, {"kind": "task_started", "task": "t"})
    view.event(child, {"kind": "task_started", "task": "fan", "total": 3})
    for done in (1, 2, 3):
        view.event(child, {"kind": "item_finished", "task": "fan", "done": done, "total": 3})
    view.ended(child, {"status": "succeeded"})
    view.close()
    text = out.getvalue()
    assert "▶ t" in text and "  ↳ c r.t.0: ▶ fan (3 items)" in text
    assert "  ↳ c r.t.0: workflow succeeded" in text
    assert "3/3" in text and "1/3" not in text.split("3/3")[-1]
