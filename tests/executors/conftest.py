"""The ``stand`` fixture: the stand-in executor in place of Ray for one test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from actors import remote

from .stand import Stand


@pytest.fixture
def stand(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stand]:
    made = Stand()
    remote.disconnect()
    monkeypatch.setitem(remote.FACTORIES, "ray", lambda address: made)
    yield made
    remote.disconnect()
