"""runtime.trace.tail: a trace read incrementally gives what reading it whole gives, at any
split into appended chunks (half lines included), and starts over when the file is
truncated or replaced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.trace.model import load_execution
from runtime.trace.tail import TraceTail
from tests.trace.conftest import CHILD, ROOT, write_demo_trace

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def demo_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("demo") / "t.jsonl"
    write_demo_trace(path, items=12, failed_items=(3,), garbage=("{not json",))
    return path.read_bytes()


def _whole(path: Path, execution: str = ROOT) -> object:
    return load_execution(str(path), execution, item_details=True, max_errors=1 << 30,
                          on_error=lambda error: None).records


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.floats(0, 1), max_size=6))
def test_any_split_into_appends_reads_as_the_whole(tmp_path: Path, demo_bytes: bytes,
                                                   cuts: list[float]) -> None:
    path = tmp_path / "split.jsonl"
    path.write_bytes(b"")
    tail = TraceTail(str(path))
    points = [*sorted(int(c * len(demo_bytes)) for c in cuts), len(demo_bytes)]
    written = 0
    for point in points:
        with path.open("ab") as out:
            out.write(demo_bytes[written:point])
        written = point
        tail.catch_up()
        complete = demo_bytes[:written].rfind(b"\n") + 1
        assert tail.offset == complete  # a half line waits for its newline
    assert tail.malformed == 1
    loaded = tail.loaded(ROOT)
    assert loaded is not None and loaded.records == _whole(path)
    child = tail.loaded(CHILD)
    assert child is not None and set(child.records) == {CHILD}


def test_nothing_new_reads_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    write_demo_trace(path)
    tail = TraceTail(str(path))
    assert tail.catch_up() is True and tail.reads == 1
    aggregator = tail.aggregator
    assert tail.catch_up() is False and tail.reads == 1 and tail.aggregator is aggregator
    assert tail.loaded("nobody") is None


def test_a_truncated_file_is_read_again_from_the_top(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    write_demo_trace(path, items=20)
    tail = TraceTail(str(path))
    tail.catch_up()
    inode = path.stat().st_ino
    write_demo_trace(path, items=2, other=False)  # rewritten in place: smaller
    assert path.stat().st_ino == inode
    assert tail.catch_up() is True
    loaded = tail.loaded(ROOT)
    assert loaded is not None and loaded.records == _whole(path)


def test_a_replaced_file_is_read_again_from_the_top(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    write_demo_trace(path, items=2)
    tail = TraceTail(str(path))
    tail.catch_up()
    fresh = tmp_path / "fresh.jsonl"
    write_demo_trace(fresh, items=30)  # larger: only the inode tells
    os.replace(fresh, path)
    assert tail.catch_up() is True
    loaded = tail.loaded(ROOT)
    assert loaded is not None and loaded.records == _whole(path)


def test_a_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        TraceTail(str(tmp_path / "none.jsonl")).catch_up()
