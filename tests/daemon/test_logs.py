"""The daemon's log: JSON lines for structlog's events and the standard library's alike, and
the token never in them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from runtime.daemon import logs


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.mark.usefixtures("restore_logging")
def test_every_record_is_a_json_line_without_the_token() -> None:
    out = io.StringIO()
    token = 'tok"en\\value'
    logs.configure("info", secrets=[token], stream=out)
    structlog.get_logger("troupe.daemon").info("listening", port=8765, header=f"Bearer {token}")
    logging.getLogger("uvicorn.access").info('%s - "%s %s" %d', "127.0.0.1:5", "GET",
                                             f"/x?t={token}", 200)
    logging.getLogger("uvicorn.error").debug("not at info")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(line["logger"], line["level"]) for line in lines] == [
        ("troupe.daemon", "info"), ("uvicorn.access", "info")]
    assert lines[0]["port"] == 8765
    assert lines[0]["header"] == "Bearer ********"
    assert "127.0.0.1:5" in lines[1]["event"]
    assert token not in out.getvalue() and json.dumps(token)[1:-1] not in out.getvalue()
    assert all(line["timestamp"].endswith("Z") for line in lines)


@pytest.mark.usefixtures("restore_logging")
def test_the_level_changes_at_once() -> None:
    out = io.StringIO()
    logs.configure("warning", stream=out)
    structlog.get_logger("troupe.daemon").info("hidden")
    logs.set_level("debug")
    structlog.get_logger("troupe.daemon").debug("shown")
    assert [json.loads(line)["event"] for line in out.getvalue().splitlines()] == ["shown"]
