"""The store suite's backends: every test taking ``backend`` runs on memory, SQLite and
PostgreSQL.

PostgreSQL runs when ``ENGINE_TEST_PG_DSN`` names a server (a libpq DSN or URL; ``.ci/run``
starts a throwaway one); each store gets a schema of its own (``search_path``), dropped after
the test. Without the variable the PostgreSQL cases are skipped, except under ``CI=true``,
where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest

from runtime.store import MemoryStore, PostgresStore, SqliteStore, Store
from tests.conftest import IN_CI

PG_DSN_VARIABLE = "ENGINE_TEST_PG_DSN"


def pg_dsn() -> str:
    """The test server's DSN; skips (fails under CI) when there is none."""
    dsn = os.environ.get(PG_DSN_VARIABLE, "")
    if not dsn:
        if IN_CI:
            pytest.fail(f"{PG_DSN_VARIABLE} is not set: CI must run the store suite on "
                        "PostgreSQL (.ci/run starts one)")
        pytest.skip(f"{PG_DSN_VARIABLE} is not set")
    return dsn


@dataclass
class Backend:
    """Makes stores of one kind; closes them (and drops what they made) after the test."""

    name: str
    make_url: Callable[[], str]
    cleanup: list[Callable[[], None]] = field(default_factory=list)
    opened: list[Store] = field(default_factory=list)

    @property
    def durable(self) -> bool:
        return self.name != "memory"

    def new(self) -> Store:
        """A fresh, empty store, opened."""
        return self.at(self.make_url())

    def at(self, url: str) -> Store:
        """A store on ``url`` (a new object each time: a reopen), opened."""
        store = open_backend(self.name, url)
        store.open()
        self.opened.append(store)
        return store

    def close(self) -> None:
        for store in self.opened:
            store.close()
        for undo in reversed(self.cleanup):
            undo()


def open_backend(name: str, url: str) -> Store:
    kinds: dict[str, Callable[[str], Store]] = {
        "memory": MemoryStore, "sqlite": SqliteStore, "postgres": PostgresStore}
    return kinds[name](url)


def _sqlite_urls(tmp: Path) -> Callable[[], str]:
    counter = iter(range(1_000_000))
    return lambda: f"sqlite:///{tmp / f'store-{next(counter)}.db'}"


def pg_url(dsn: str, schema: str, **overrides: str) -> str:
    """A URL for the DSN's server whose tables live in ``schema`` (libpq parameters in
    ``overrides`` replace the DSN's)."""
    from psycopg.conninfo import conninfo_to_dict

    params = {k: str(v) for k, v in conninfo_to_dict(dsn).items()}
    params["options"] = f"-csearch_path={schema}"
    params.update(overrides)
    return "postgresql://?" + urlencode(params)


def _pg_urls(backend: Backend) -> Callable[[], str]:
    import psycopg

    dsn = pg_dsn()
    admin = psycopg.connect(dsn, autocommit=True)
    schemas: list[str] = []

    def drop() -> None:
        for schema in schemas:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.close()

    backend.cleanup.append(drop)

    def make() -> str:
        schema = f"t_{uuid.uuid4().hex}"
        admin.execute(f"CREATE SCHEMA {schema}")
        schemas.append(schema)
        return pg_url(dsn, schema)

    return make


def _backend(name: str, tmp_path: Path) -> Backend:
    made = Backend(name=name, make_url=lambda: "memory://")
    if name == "sqlite":
        made.make_url = _sqlite_urls(tmp_path)
    elif name == "postgres":
        made.make_url = _pg_urls(made)
    return made


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each backend in turn."""
    made = _backend(request.param, tmp_path)
    yield made
    made.close()


@pytest.fixture(params=["sqlite", "postgres"])
def durable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each durable backend in turn (SQLite, PostgreSQL)."""
    made = _backend(request.param, tmp_path)
    yield made
    made.close()
