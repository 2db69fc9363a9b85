"""The daemon end to end, through the CLI client: two batches of with-items workflows, one
watched to its end, the daemon SIGKILLed in the middle of the second batch and started
again; every execution ends with the right output and ``troupe list`` shows them all.

The issue's size (2 x 100 workflows of 100 items) runs with ``TROUPE_LONG=1``; the default
suite runs 2 x 20 workflows of 20 items, the same steps.
"""

from __future__ import annotations

import json
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.daemon.harness import Daemon, Notifications, finished, troupe

LONG = os.environ.get("TROUPE_LONG") == "1"
BATCH, ITEMS = (100, 100) if LONG else (20, 20)
SLEEP = 20 / ITEMS
"""Each item's sleep: the sleeping task takes ~2 s (10 at a time), so that the last
executions submitted before the SIGKILL are still running when it comes."""

pytestmark = pytest.mark.timeout(3600 if LONG else 600)

ITEMS_WORKFLOW = """\
version: 1.0
input: [n, k, s]
tasks:
  fan:
    with: {items: 'i in {{ range(ctx().n) }}', concurrency: 10}
    action: core.sleep
    input: {seconds: '{{ ctx().s }}'}
    next: [{publish: [slept: '{{ result() | length }}'], do: scale}]
  scale:
    with: {items: 'i in {{ range(ctx().n) }}', concurrency: 10}
    action: troupe.echo
    input: {message: '{{ item("i") * ctx().k }}'}
    next: [{publish: [values: '{{ result() }}'], do: total}]
  total:
    action: troupe.echo
    input: {message: '{{ ctx().values | sum }}'}
    next: [{publish: [total: '{{ result() }}']}]
output:
  - slept: '{{ ctx().slept }}'
  - total: '{{ ctx().total }}'
"""


def _expected(k: int) -> dict[str, int]:
    return {"slept": ITEMS, "total": k * ITEMS * (ITEMS - 1) // 2}


def _submit(server: str, k: int) -> str:
    """``troupe submit`` one execution (by name from the workflows directory); its id."""
    done = troupe("submit", "items", "-p", f"n={ITEMS}", "-p", f"k={k}", "-p", f"s={SLEEP}",
                  "--json",
                  "--server", server)
    assert done.returncode == 0, done.stdout + done.stderr
    execution_id: str = json.loads(done.stdout)["id"]
    return execution_id


def _submit_all(server: str, ks: range) -> dict[str, int]:
    with ThreadPoolExecutor(4) as pool:
        return dict(zip(pool.map(lambda k: _submit(server, k), ks), ks, strict=True))


def _listed(server: str) -> set[str]:
    """Every execution ``troupe list`` shows, page after page."""
    done = troupe("list", "--all", "--json", "--server", server)
    assert done.returncode == 0, done.stdout + done.stderr
    return {item["id"] for item in json.loads(done.stdout)["items"]}


def test_batches_a_watch_and_a_kill(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "items.yaml").write_text(ITEMS_WORKFLOW)
    args = ["--workflows", str(flows), "--drain-timeout", "5"]
    with Notifications() as notes:
        daemon = Daemon.start(tmp_path, notes, args=args)
        first = _submit_all(daemon.url, range(BATCH))
        watched = next(iter(first))
        watch = troupe("watch", watched, "--server", daemon.url, timeout=300)
        assert watch.returncode == 0, watch.stdout + watch.stderr

        half = BATCH // 2
        second = _submit_all(daemon.url, range(BATCH, BATCH + half))
        daemon.kill()  # SIGKILL, the last ones submitted still running
        again = Daemon.start(tmp_path, notes, args=args)
        assert again.logged("ready")[0]["recovered"] >= 1
        second.update(_submit_all(again.url, range(BATCH + half, 2 * BATCH)))

        expected = {**first, **second}
        assert len(expected) == 2 * BATCH
        with httpx.Client(base_url=again.url, timeout=60) as http:
            ends = {i: finished(http, i, timeout=600) for i in expected}
        assert {i: (e["status"], e["output"]) for i, e in ends.items()} == {
            i: ("succeeded", _expected(k)) for i, k in expected.items()}
        assert _listed(again.url) == set(expected)
        assert again.stop(signal.SIGTERM) == 0
