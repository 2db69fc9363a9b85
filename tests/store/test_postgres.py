"""The PostgreSQL store's own promises: its URL never shows a password; libpq's URLs work."""

from __future__ import annotations

import pytest

from runtime.errors import StoreError
from runtime.store import Batch, PostgresStore, open_store
from runtime.store.postgres import mask_password

from .conftest import pg_dsn, pg_url
from .rows import execution

SECRET = "pa:ss@w%2Frd"


@pytest.mark.parametrize(("url", "shown"), [
    (f"postgresql://troupe:{SECRET}@db.local:5433/flows",
     "postgresql://troupe:***@db.local:5433/flows"),
    ("postgres://troupe:x@h/flows?sslmode=require", "postgres://troupe:***@h/flows?sslmode=require"),
    ("postgresql://troupe@h/flows", "postgresql://troupe@h/flows"),
    ("postgresql://h/flows?user=troupe&password=x", "postgresql://h/flows?user=troupe&password=***"),
    ("postgresql:///flows", "postgresql:///flows"),
])
def test_the_url_shows_no_password(url: str, shown: str) -> None:
    assert mask_password(url) == shown
    assert open_store(url).url == shown


def test_an_unknown_scheme_shows_no_password_either() -> None:
    with pytest.raises(StoreError) as raised:
        open_store(f"postgresq://troupe:{SECRET}@h/db")
    assert SECRET not in str(raised.value)
    assert raised.value.url == "postgresq://troupe:***@h/db"


def test_a_server_that_is_not_there_is_a_store_error_without_the_password() -> None:
    url = f"postgresql://troupe:{SECRET}@127.0.0.1:1/flows?connect_timeout=2"
    store = PostgresStore(url)
    with pytest.raises(StoreError) as raised:
        store.open()
    assert raised.value.url == mask_password(url)
    assert SECRET not in str(raised.value)
    assert "pa:ss@w/rd" not in str(raised.value)


def test_a_wrong_password_is_a_store_error_without_the_password() -> None:
    """(The test server trusts every local user, so this only shows the URL is masked when
    the server answers.)"""
    dsn = pg_dsn()
    store = PostgresStore(pg_url(dsn, "public", password=SECRET, dbname="no_such_database"))
    with pytest.raises(StoreError) as raised:
        store.open()
    assert SECRET not in str(raised.value)
    assert "password=***" in raised.value.url


def test_the_tables_live_in_the_schema_the_url_names() -> None:
    import psycopg

    dsn = pg_dsn()
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("DROP SCHEMA IF EXISTS t_named CASCADE")
        admin.execute("CREATE SCHEMA t_named")
        try:
            store = PostgresStore(pg_url(dsn, "t_named"))
            store.open()
            store.write(Batch(executions=(execution("a"),)))
            store.close()
            rows = admin.execute("SELECT id FROM t_named.executions").fetchall()
            assert rows == [("a",)]
        finally:
            admin.execute("DROP SCHEMA t_named CASCADE")
