"""The key-value tests' environment: every test gets its own data and config directories
(so the default store, ``$XDG_DATA_HOME/troupe/troupe.db``, and the key file are the test's),
and the current user is ``alice``. The store suite's ``backend`` fixture (memory, SQLite,
PostgreSQL when ``ENGINE_TEST_PG_DSN`` is set) is reused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.store.conftest import backend, durable

__all__ = ["backend", "durable"]


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's own XDG directories and user; the key file's default place."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("TROUPE_KV_KEY_FILE", raising=False)
    monkeypatch.delenv("TROUPE_STORE", raising=False)
    monkeypatch.setenv("TROUPE_USER", "alice")
    return tmp_path
