"""A daemon with a token: the client without one, or with a wrong one, exits 2 saying so;
with ``--token-file`` or ``$TROUPE_TOKEN`` it is let in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime import Engine
from tests.client.conftest import Served, make_app, troupe

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def guarded(engine: Engine, workflows_dir: Path, tmp_path: Path) -> Iterator[Served]:
    served = Served(make_app(engine, workflows_dir, tmp_path, token="s3cret-token"))
    yield served
    served.stop()


def test_no_token_exits_2_and_says_a_token_is_needed(guarded: Served,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TROUPE_TOKEN", raising=False)
    done = troupe("list", "--server", guarded.url)
    assert done.code == 2
    assert done.err == (f"troupe: the daemon at {guarded.url} refused the request: it needs "
                        "a token (--token-file F or $TROUPE_TOKEN)\n")


def test_a_wrong_token_exits_2(guarded: Served, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TROUPE_TOKEN", "wrong")
    done = troupe("submit", "hello", "--server", guarded.url)
    assert done.code == 2 and "its token was not accepted" in done.err
    assert "wrong" not in done.err


def test_the_token_from_a_file_or_the_environment(guarded: Served, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TROUPE_TOKEN", raising=False)
    token = tmp_path / "token"
    token.write_text("s3cret-token\n")
    done = troupe("submit", "hello", "--wait", "--token-file", str(token),
                  "--server", guarded.url)
    assert done.code == 0, done.err
    monkeypatch.setenv("TROUPE_TOKEN", "s3cret-token")
    assert troupe("list", "--server", guarded.url).code == 0
    missing = troupe("list", "--token-file", str(tmp_path / "nope"), "--server", guarded.url)
    assert missing.code == 2 and "nope" in missing.err
