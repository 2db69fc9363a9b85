"""The crash harness's victim: runs the workload's 20 executions on a store, until killed.

    python -m tests.crash.driver STORE_URL WORKDIR

Writes the workflow files into WORKDIR, starts every execution of
:func:`tests.crash.workload.runs` on one engine, pauses the one marked ``paused`` through
its handle, and waits until every start and that pause are durable (a progress event is
delivered only after the events behind it are committed: the first of each execution, and
the paused one's ``workflow_paused``), then writes ``started.json``
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runtime import Engine

from .workload import actions, runs, write_files

STARTED = "started.json"


def main(url: str, workdir: Path) -> None:
    write_files(workdir)
    began = time.monotonic()
    engine = Engine(store=url, actions=actions(workdir, "run"))
    handles = {}
    told: list[threading.Event] = []
    for run in runs(workdir):
        handle = engine.start_workflow(workdir / run.file, dict(run.parameters),
                                       on_event=_told(told, "workflow_paused" if run.paused
                                                      else None))
        if run.paused:
            handle.pause()
        handles[run.name] = (run, handle)
    for event in told:
        if not event.wait(30):
            raise SystemExit("an execution never told its first progress (or its pause)")
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


def _told(told: list[threading.Event], kind: str | None) -> Callable[[Any], None]:
    """A progress listener setting a new event at its first event (of ``kind``, if given):
    progress is delivered once the events behind it are committed, so the execution's
    start (or pause) is then durable."""
    seen = threading.Event()
    told.append(seen)

    def on_event(event: Any) -> None:
        if kind is None or event.kind == kind:
            seen.set()

    return on_event


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
