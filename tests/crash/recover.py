"""The crash harness's recovery: continues what the killed driver left, in a new process.

    python -m tests.crash.recover STORE_URL WORKDIR

Opens an engine on the store with the workload's actions, calls ``recover()``, notes the
status of the paused execution as recovered (it must still be paused, or pausing if an
attempt was in flight), resumes it, waits for every execution, and writes ``report.json``:
the ids ``recover()`` returned, the paused execution's status before its resume, and for
each of the 20 executions its status, output and errors (read back from the store for the
ones that finished before the kill).

Misuse: run it once per kill, after the driver is dead (one engine per store).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from runtime import Engine

from .driver import STARTED
from .workload import actions, runs

REPORT = "report.json"


def _outcome(result: Any) -> dict[str, Any]:
    return {
        "status": str(result.status),
        "output": result.output,
        "errors": [{"kind": e.kind, "message": e.message, "task": e.task, "item": e.item,
                    "handled_by": e.handled_by} for e in result.errors],
    }


def main(url: str, workdir: Path) -> None:
    ids: dict[str, str] = json.loads((workdir / STARTED).read_text(encoding="utf-8"))
    paused_id = ids[next(run.name for run in runs(workdir) if run.paused)]
    with Engine(store=url, actions=actions(workdir, "recover")) as engine:
        recovered = {handle.execution_id: handle for handle in engine.recover()}
        paused_status = None
        if paused_id in recovered:
            paused_status = recovered[paused_id].status
            recovered[paused_id].resume()
        outcomes = {}
        for name, execution_id in ids.items():
            handle = recovered.get(execution_id) or engine.get(execution_id)
            outcomes[name] = {"id": execution_id, **_outcome(handle.wait(timeout=60))}
    report = {"recovered": sorted(recovered), "paused_status": paused_status,
              "executions": outcomes}
    (workdir / REPORT).write_text(json.dumps(report, default=str), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
