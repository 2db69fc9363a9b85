"""The crash harness's victim: runs the workload's 20 executions on a store, until killed.

    python -m tests.crash.driver STORE_URL WORKDIR

Writes the workflow files into WORKDIR, starts every execution of
:func:`tests.crash.workload.runs` on one engine, pauses the one marked ``paused`` through
its handle and waits until its pause is durable (the ``workflow_paused`` progress event is
delivered only after the events behind it are committed), then writes ``started.json``
(name -> execution id) and says ``started`` on its standard output: the test's signal to
pick a kill moment. If nobody kills it, it waits for every execution but the paused one,
says ``done SECONDS`` and exits, leaving the paused one in the store.

Misuse: run it on a fresh store and workdir (the checks read everything in them).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

from runtime import Engine

from .workload import actions, runs, write_files

STARTED = "started.json"


def main(url: str, workdir: Path) -> None:
    write_files(workdir)
    began = time.monotonic()
    paused = threading.Event()

    def on_event(event: Any) -> None:
        if event.kind == "workflow_paused":
            paused.set()

    engine = Engine(store=url, actions=actions(workdir, "run"))
    handles = {}
    for run in runs(workdir):
        options: dict[str, Any] = {"on_event": on_event} if run.paused else {}
        handle = engine.start_workflow(workdir / run.file, dict(run.parameters), **options)
        if run.paused:
            handle.pause()
        handles[run.name] = (run, handle)
    if not paused.wait(30):
        raise SystemExit("the paused execution never paused")
    ids = {name: handle.execution_id for name, (_, handle) in handles.items()}
    temporary = workdir / (STARTED + ".tmp")
    temporary.write_text(json.dumps(ids), encoding="utf-8")
    temporary.replace(workdir / STARTED)
    sys.stdout.write("started\n")
    sys.stdout.flush()
    for run, handle in handles.values():
        if not run.paused:
            handle.wait(timeout=60)
    sys.stdout.write(f"done {time.monotonic() - began:.3f}\n")
    sys.stdout.flush()
    engine.close(drain_timeout=0)  # the paused execution stays in the store


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
