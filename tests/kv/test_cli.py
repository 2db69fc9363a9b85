"""``troupe kv get|set|list|delete``, the key file, and secrets at rest."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.cli import main
from runtime.errors import KvError
from runtime.kv import crypto
from runtime.kv.names import shown, stored_key
from runtime.store import default_store_url, open_store

pytestmark = pytest.mark.timeout(60)


def kv(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["kv", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def default_db() -> Path:
    return Path(default_store_url().removeprefix("sqlite:///"))


def test_set_get_list_delete(capsys: pytest.CaptureFixture[str]) -> None:
    assert kv(capsys, "set", "greeting", "hello")[0] == 0  # system scope by default
    assert kv(capsys, "set", "user.mine", "me")[0] == 0
    assert kv(capsys, "get", "system.greeting") == (0, "hello\n", "")
    assert kv(capsys, "get", "greeting") == (0, "hello\n", "")
    assert kv(capsys, "get", "user.mine") == (0, "me\n", "")
    assert kv(capsys, "get", "mine", "--scope", "user") == (0, "me\n", "")
    code, out, _ = kv(capsys, "list", "--json")
    assert code == 0
    assert [(p["name"], p["scope"], p["key"], p["value"]) for p in json.loads(out)] == [
        ("system.greeting", "system", "greeting", "hello"),
        ("user.mine", "user", "alice:mine", "me")]
    for prefix, names in (("user.", ["user.mine"]), ("mi", ["user.mine"]),
                          ("g", ["system.greeting"]), ("system.g", ["system.greeting"]),
                          ("x", [])):
        code, out, _ = kv(capsys, "list", "--prefix", prefix, "--json")
        assert [p["name"] for p in json.loads(out)] == names, prefix
    assert kv(capsys, "delete", "greeting")[0] == 0
    code, out, err = kv(capsys, "get", "greeting")
    assert (code, out) == (2, "")
    assert "greeting" in err
    assert kv(capsys, "delete", "greeting")[0] == 2


def test_the_cli_writes_the_store_it_is_given(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    assert kv(capsys, "set", "a", "1", "--store", url)[0] == 0
    store = open_store(url)
    store.open()
    try:
        assert store.kv_get("system", "a") is not None
    finally:
        store.close()
    assert not default_db().exists()


def test_a_secret_is_encrypted_at_rest_and_decrypted_only_when_asked(
        private_dirs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key_file = private_dirs / "config" / "troupe" / "kv.key"
    assert kv(capsys, "set", "plain", "not-secret")[0] == 0
    assert not key_file.exists()  # made for the first secret only
    assert kv(capsys, "set", "system.password", "hunter2-secret", "--secret")[0] == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    code, token, _ = kv(capsys, "get", "password")
    assert code == 0 and token.strip() != "hunter2-secret"
    assert kv(capsys, "get", "password", "--decrypt") == (0, "hunter2-secret\n", "")
    code, out, _ = kv(capsys, "list")
    assert "hunter2-secret" not in out and token.strip() not in out
    with sqlite3.connect(default_db()) as connection:
        [(value, secret)] = connection.execute(
            "SELECT value, secret FROM kv WHERE key = 'password'").fetchall()
    assert (value, secret) == (token.strip(), 1)
    for path in default_db().parent.iterdir():  # the file, its WAL: no plaintext anywhere
        assert b"hunter2-secret" not in path.read_bytes()


def test_the_key_file_can_be_named_and_is_never_replaced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    named = tmp_path / "keys" / "my.key"
    monkeypatch.setenv(crypto.KEY_FILE_ENV, str(named))
    token = crypto.encrypt("v")
    first = named.read_bytes()
    crypto.encrypt("w")
    assert named.read_bytes() == first
    assert stat.S_IMODE(os.stat(named).st_mode) == 0o600
    assert crypto.decrypt(token, "k") == "v"
    other = tmp_path / "other.key"
    crypto.encrypt("x", other)
    with pytest.raises(KvError) as caught:
        crypto.decrypt(token, "k", other)
    assert caught.value.key == "k"


def test_a_secret_without_its_key_file_is_a_kv_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert kv(capsys, "set", "s", "v", "--secret")[0] == 0
    monkeypatch.setenv(crypto.KEY_FILE_ENV, str(tmp_path / "missing.key"))
    code, out, err = kv(capsys, "get", "s", "--decrypt")
    assert (code, out) == (2, "")
    assert "key file" in err


@given(st.sampled_from(["system", "user"]),
       st.text(alphabet="abcXYZ._:-%/ 0", min_size=1, max_size=12))
def test_a_shown_name_reads_the_pair_back(scope: str, key: str) -> None:
    stored = (scope, f"alice:{key}" if scope == "user" else key)
    assert stored_key(shown(*stored, "alice"), "alice") == stored
