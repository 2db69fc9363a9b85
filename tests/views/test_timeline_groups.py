"""The with-items lanes of the console's timeline (runtime.trace.timeline_groups): items
of a worker merged while they are of one status and close together, by plain calls."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.trace.records import ItemRecord
from runtime.trace.timeline_groups import item_lanes

pytestmark = pytest.mark.timeout(60)


def _item(index: int, start: float, duration: float, status: str = "succeeded",
          worker: int | None = 0) -> ItemRecord:
    return ItemRecord(index=index, status=status, duration=duration, start_mono=start,
                      worker=worker)


def test_close_items_of_one_status_merge_and_others_do_not() -> None:
    items = (_item(0, 10.0, 1.0), _item(1, 11.05, 1.0), _item(2, 12.1, 0.5, "failed"),
             _item(3, 20.0, 1.0), _item(4, 10.0, 2.0, worker=1), _item(5, 9.0, 1.0, worker=None))
    lanes = item_lanes(items, base=10.0, quantum=0.1)
    assert [lane["worker"] for lane in lanes] == [None, 0, 1]
    assert lanes[0]["spans"] == [[-1.0, 1.0, "succeeded"]]
    spans = lanes[1]["spans"]
    assert [s[2] for s in spans] == ["succeeded", "failed", "succeeded"]
    assert spans[0] == [0.0, pytest.approx(2.05), "succeeded"]
    assert spans[2] == [10.0, 1.0, "succeeded"]
    assert lanes[2]["spans"] == [[0.0, 2.0, "succeeded"]]


def test_timed_out_items_are_drawn_failed() -> None:
    [lane] = item_lanes((_item(0, 0.0, 1.0, "timed_out"),), base=0.0, quantum=0.0)
    assert lane["spans"] == [[0.0, 1.0, "failed"]]


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 5),
                          st.sampled_from(["succeeded", "failed", "canceled"]),
                          st.integers(0, 3)), max_size=80),
       st.floats(0, 2))
@settings(max_examples=200, deadline=None)
def test_spans_cover_every_item_and_never_more_than_items(
        raw: list[tuple[float, float, str, int]], quantum: float) -> None:
    items = tuple(_item(i, start, duration, status, worker)
                  for i, (start, duration, status, worker) in enumerate(raw))
    lanes = item_lanes(items, base=0.0, quantum=quantum)
    assert sum(len(lane["spans"]) for lane in lanes) <= len(items)
    for item in items:
        [lane] = [lane for lane in lanes if lane["worker"] == item.worker]
        status = "failed" if item.status == "failed" else item.status
        assert any(s[2] == status and s[0] <= item.start_mono + 1e-9
                   and item.start_mono + item.duration <= s[0] + s[1] + 1e-9
                   for s in lane["spans"])
