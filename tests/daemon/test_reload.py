"""SIGHUP reloads the workflows directory and the config; systemd hears READY, RELOADING,
STOPPING; a config the daemon cannot read any more keeps the old settings."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest

from tests.daemon.harness import Daemon, Notifications

pytestmark = pytest.mark.timeout(180)

HELLO = """\
version: 1.0
input: [name]
tasks:
  say:
    action: core.echo message="hello {{ ctx().name }}"
"""


def _names(http: httpx.Client) -> set[str]:
    answer = http.get("/api/v1/workflows")
    assert answer.status_code == 200, answer.text
    return {item["name"] for item in answer.json()["items"]}


def _reload(daemon: Daemon, notes: Notifications) -> list[str]:
    daemon.proc.send_signal(signal.SIGHUP)
    return notes.until("READY=1")


def test_sighup_reloads_workflows_and_config(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "hello.yaml").write_text(HELLO)
    config = tmp_path / "troupe.toml"
    config.write_text('workflows = "flows"\ndrain_timeout = 5\n')
    with Notifications() as notes:
        daemon = Daemon.start(tmp_path, notes, args=["--config", str(config)])
        with httpx.Client(base_url=daemon.url, timeout=30) as http:
            assert _names(http) == {"hello"}
            assert http.get("/readyz").status_code == 200
            (flows / "second.yaml").write_text(HELLO)
            seen = _reload(daemon, notes)
            assert seen[0].startswith("RELOADING=1\nMONOTONIC_USEC=")
            assert seen[-1].startswith(f"READY=1\nSTATUS=serving on {daemon.url}")
            assert _names(http) == {"hello", "second"}

            config.write_text('workflows = "flows"\ndrain_timeout = 5\ntrace_dir = "logs"\n')
            _reload(daemon, notes)
            assert daemon.logged("reload_needs_restart")[-1]["settings"] == ["trace_dir"]

            config.write_text('workflows = "flows"\ndrain_timeout = "later"\n')
            (flows / "third.yaml").write_text(HELLO)
            _reload(daemon, notes)
            failed = daemon.logged("reload_failed")[-1]
            assert (failed["source"], failed["key"]) == (str(config), "drain_timeout")
            assert _names(http) == {"hello", "second"}  # a failed reload changes nothing
            assert http.get("/healthz").status_code == 200
        daemon.proc.send_signal(signal.SIGTERM)
        assert notes.until("STOPPING=1")[-1] == "STOPPING=1"
        assert daemon.proc.wait(timeout=60) == 0
    assert daemon.logged("reloaded")


def test_flags_win_over_the_environment_and_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "from_file.yaml").write_text(HELLO)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "from_env.yaml").write_text(HELLO)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "from_flag.yaml").write_text(HELLO)
    config = tmp_path / "troupe.toml"
    config.write_text('workflows = "a"\nlog_level = "warning"\n')
    env = {"TROUPE_CONFIG": str(config), "TROUPE_WORKFLOWS": str(tmp_path / "b")}
    with Notifications() as notes:
        daemon = Daemon.start(tmp_path, notes, env=env)
        with httpx.Client(base_url=daemon.url, timeout=30) as http:
            assert _names(http) == {"from_env"}
        assert daemon.stop() == 0
        assert daemon.logged("listening") == []  # log_level warning, from the file

        flagged = Daemon.start(tmp_path, notes, env=env,
                               args=["--workflows", str(tmp_path / "c"), "--log-level", "info"])
        with httpx.Client(base_url=flagged.url, timeout=30) as http:
            assert _names(http) == {"from_flag"}
        assert flagged.stop() == 0
