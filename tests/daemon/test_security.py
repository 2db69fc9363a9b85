"""The daemon is not exposed without a token: a non-loopback bind without one is refused at
start, and with one every request but /healthz needs it. Non-loopback addresses are used only
inside a network namespace this test makes (``unshare --net``), never on a real interface."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from runtime.daemon.security import check_exposure, is_loopback
from runtime.errors import ConfigError
from tests.daemon.harness import PYTHON, ROOT, env_for

ADDRESS = "10.89.0.1"


def _netns_or_skip() -> None:
    """Skip when no network namespace can be made here; under CI that is a failure."""
    usable = shutil.which("unshare") and shutil.which("ip") and subprocess.run(
        ["unshare", "--net", "true"], capture_output=True, check=False).returncode == 0
    if not usable:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI runs as root: `unshare --net` must work there")
        pytest.skip("cannot make a network namespace here (unshare --net needs root or "
                    "user namespaces)")


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("10.0.0.1", False), ("example.org", False),
])
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    if loopback:
        check_exposure(host, None)
    else:
        with pytest.raises(ConfigError) as caught:
            check_exposure(host, None)
        assert caught.value.key == "token"
        check_exposure(host, "a-token")


@pytest.mark.timeout(120)
def test_a_non_loopback_bind_without_a_token_is_refused(tmp_path: Path) -> None:
    _netns_or_skip()
    script = (f"ip link set lo up && ip addr add {ADDRESS}/32 dev lo && "
              f"exec {PYTHON} -m runtime.cli daemon --listen {ADDRESS}:8765 "
              f"--store sqlite:///{tmp_path / 't.db'}")
    done = subprocess.run(["unshare", "--net", "sh", "-c", script], capture_output=True,
                          text=True, cwd=ROOT, env=env_for(), timeout=100, check=False)
    assert done.returncode == 2, done.stderr
    assert "not a loopback address" in done.stderr
    assert not (tmp_path / "t.db").exists()  # refused before the store was even opened


@pytest.mark.timeout(180)
def test_with_a_token_a_request_without_it_gets_401(tmp_path: Path) -> None:
    _netns_or_skip()
    token = tmp_path / "token"
    token.write_text("s3cret-token-value\n")
    done = subprocess.run(
        ["unshare", "--net", PYTHON, "-m", "tests.daemon.netns_probe", str(tmp_path), ADDRESS,
         "--token-file", str(token)],
        capture_output=True, text=True, cwd=ROOT, env=env_for(), timeout=170, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["url"].startswith(f"http://{ADDRESS}:")
    assert (report["no_token"], report["bad_token"], report["token"], report["healthz"]) == (
        401, 401, 200, 200)
    assert report["exit"] == 0
    assert report["token_logged"] is False
