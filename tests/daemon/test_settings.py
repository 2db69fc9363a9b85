"""The daemon's settings: flags > TROUPE_* > config file > defaults, and located errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.daemon.settings import DaemonSettings, load_settings, parse_listen
from runtime.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
NONE = {"store": None, "listen": None, "workflows": None, "trace_dir": None, "config": None,
        "token_file": None, "drain_timeout": None, "actions": None, "log_level": None}


def _flags(**given: object) -> dict[str, object]:
    return {**NONE, **given}


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    settings = load_settings(_flags(), {"XDG_DATA_HOME": str(tmp_path)})
    assert (settings.host, settings.port, settings.workflows, settings.token) == (
        "127.0.0.1", 8765, None, None)
    assert settings.store == f"sqlite:///{tmp_path / 'troupe' / 'troupe.db'}"
    assert (settings.drain_timeout, settings.actions, settings.log_level) == (30.0, (), "info")
    assert settings.trace_dir == tmp_path / "troupe" / "traces"  # troupe logs works by default
    beside = load_settings(_flags(store=f"sqlite:///{tmp_path / 'db' / 'x.db'}"), {})
    assert beside.trace_dir == tmp_path / "db" / "traces"


def test_flags_win_over_env_which_wins_over_the_file(tmp_path: Path) -> None:
    config = tmp_path / "troupe.toml"
    config.write_text('store = "sqlite:///file.db"\nlisten = "127.0.0.1:1000"\n'
                      'workflows = "flows"\ndrain_timeout = 5\nlog_level = "debug"\n'
                      'actions = ["a.b:C"]\n')
    env = {"TROUPE_LISTEN": "127.0.0.2:2000", "TROUPE_DRAIN_TIMEOUT": "7.5",
           "TROUPE_STORE": "sqlite:///env.db"}
    settings = load_settings(_flags(config=str(config), store="sqlite:///flag.db"), env)
    assert settings.store == "sqlite:///flag.db"                 # flag
    assert (settings.host, settings.port) == ("127.0.0.2", 2000)  # env
    assert settings.drain_timeout == 7.5                          # env
    assert settings.workflows == tmp_path / "flows"               # file, relative to it
    assert (settings.log_level, settings.actions) == ("debug", ("a.b:C",))
    assert settings.config_file == config


def test_the_config_file_can_come_from_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('listen = "[::1]:9000"\n')
    settings = load_settings(_flags(), {"TROUPE_CONFIG": str(config)})
    assert (settings.host, settings.port) == ("::1", 9000)


def test_token_sources_and_the_repr_leaves_it_out(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("  from-file\n")
    config = tmp_path / "c.toml"
    config.write_text('token_file = "token"\n')
    assert load_settings(_flags(config=str(config)), {}).token == "from-file"
    env = {"TROUPE_TOKEN": "from-env"}
    assert load_settings(_flags(config=str(config)), env).token == "from-env"
    flag = load_settings(_flags(token_file=str(token_file)), env)
    assert flag.token == "from-file"
    assert "from-file" not in repr(flag)
    assert isinstance(flag, DaemonSettings)


@pytest.mark.parametrize(("text", "key"), [
    ('nope = 1\n', "nope"),
    ('listen = "no-port"\n', "listen"),
    ('listen = 8765\n', "listen"),
    ('drain_timeout = -1\n', "drain_timeout"),
    ('drain_timeout = "soon"\n', "drain_timeout"),
    ('actions = ["nocolon"]\n', "actions"),
    ('log_level = "loud"\n', "log_level"),
    ('store = [1]\n', "store"),
    ('listen = \n', "(file)"),
    ('token_file = "missing"\n', "token_file"),
])
def test_a_bad_config_file_is_a_located_error(tmp_path: Path, text: str, key: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(_flags(config=str(config)), {})
    assert caught.value.key == key
    assert str(tmp_path) in caught.value.source


def test_bad_environment_and_flag_values_name_their_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_flags(), {"TROUPE_DRAIN_TIMEOUT": "x"})
    assert (caught.value.source, caught.value.key) == ("$TROUPE_DRAIN_TIMEOUT", "drain_timeout")
    with pytest.raises(ConfigError) as caught:
        load_settings(_flags(listen="127.0.0.1:99999"), {})
    assert (caught.value.source, caught.value.key) == ("--listen", "listen")
    with pytest.raises(ConfigError) as caught:
        load_settings(_flags(config=str(tmp_path / "absent.toml")), {})
    assert caught.value.key == "(file)"


@given(st.sampled_from(["127.0.0.1", "10.1.2.3", "localhost", "::1", "[::1]"]),
       st.integers(min_value=0, max_value=65535))
def test_listen_addresses_parse(host: str, port: int) -> None:
    assert parse_listen(f"{host}:{port}") == (host.strip("[]"), port)


def test_bad_config_exits_2_with_the_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('drain_timeout = "later"\n')
    done = subprocess.run([sys.executable, "-m", "runtime.cli", "daemon", "--config",
                           str(config), "--store", f"sqlite:///{tmp_path / 't.db'}"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 2
    assert f"{config}: drain_timeout:" in done.stderr
