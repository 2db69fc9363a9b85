"""Run inside a network namespace of its own (``unshare --net``): give the loopback device a
non-loopback address, start a daemon listening on it, and print as JSON what requests with
and without the token got. Used by test_security.py; not a test module itself.

    unshare --net python -m tests.daemon.netns_probe WORKDIR ADDRESS [--token-file F]
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.daemon.harness import Daemon, Notifications


def main(argv: list[str]) -> int:
    workdir, address, *args = argv
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "add", f"{address}/32", "dev", "lo"], check=True)
    report: dict[str, object] = {}
    with Notifications() as notes:
        daemon = Daemon.start(Path(workdir), notes, args=args, listen=f"{address}:0")
        try:
            token = Path(args[args.index("--token-file") + 1]).read_text().strip()
            with httpx.Client(base_url=daemon.url, timeout=30) as http:
                report["url"] = daemon.url
                report["no_token"] = http.get("/api/v1/executions").status_code
                report["bad_token"] = http.get(
                    "/api/v1/executions", headers={"Authorization": "Bearer nope"}).status_code
                report["token"] = http.get(
                    "/api/v1/executions",
                    headers={"Authorization": f"Bearer {token}"}).status_code
                report["healthz"] = http.get("/healthz").status_code
        finally:
            report["exit"] = daemon.stop(signal.SIGTERM)
        report["token_logged"] = token in daemon.log.read_text()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
