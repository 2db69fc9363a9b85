"""What the crash harness checks after each kill and recovery.

:func:`read_store` takes a snapshot of the store (every execution's record and journal):
once right after the kill (what the driver made durable), once after the recovery. The
checks compare the two snapshots with the recovery's report and the files the actions
appended to (:mod:`tests.crash.workload`); each returns a list of problems (empty: fine),
so that one failing kill point reports everything it broke.

Misuse: snapshot the store after the kill only once the driver is dead (``wait()`` on it),
and before the recovery starts.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.events import ActionCompleted
from runtime.machine import replay
from runtime.spec import load_workflow
from runtime.status import WORKFLOW_DONE, WorkflowStatus
from runtime.store import ExecutionRow, open_store
from runtime.store.codec import decode
from runtime.store.entries import AttemptStarted, InquiryOpened, TimerArmed, TimerCleared
from runtime.store.replaying import read_journal

from .workload import CALLS, EFFECTS, LOCAL, Run

Attempt = tuple[str, int, int | None, int]
"""(execution id, run, item, attempt): one attempt, as the journal names it."""
CallKey = tuple[str, str, int, int | None, int]
"""(execution id, task, route, item, attempt): one attempt, as its ``Call`` names it."""

_NOT_EVENTS = (AttemptStarted, TimerArmed, TimerCleared, InquiryOpened)
"""The journal's own entries, never fed to the machine."""

UNKNOWN_PREFIX = "outcome unknown"
DONE = frozenset(status.value for status in WORKFLOW_DONE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """The store at one moment: records and decoded journals, by execution id."""

    rows: Mapping[str, ExecutionRow]
    journals: Mapping[str, tuple[Any, ...]]
    raw: Mapping[str, tuple[Any, ...]]

    def completed(self) -> dict[Attempt, ActionCompleted]:
        return {(eid, e.run, e.item, e.attempt): e for eid, entries in self.journals.items()
                for e in entries if isinstance(e, ActionCompleted)}

    def started(self) -> set[Attempt]:
        return {(eid, e.run, e.item, e.attempt) for eid, entries in self.journals.items()
                for e in entries if isinstance(e, AttemptStarted)}

    def runs(self) -> dict[tuple[str, int], tuple[str, int]]:
        """(execution id, run id) -> (task, route), from each journal replayed."""
        found = {}
        for eid, row in self.rows.items():
            state = read_journal(load_workflow(row.text), self.raw[eid]).state
            for run in state.runs:
                found[(eid, run.id)] = (run.task, run.route)
        return found


def read_store(url: str) -> Snapshot:
    """Every execution of the store and its journal (the store opened and closed here)."""
    store = open_store(url)
    store.open()
    try:
        rows: dict[str, ExecutionRow] = {}
        cursor = None
        while True:
            page = store.executions(limit=1000, cursor=cursor)
            rows.update((row.id, row) for row in page.executions)
            if page.cursor is None:
                break
            cursor = page.cursor
        raw = {eid: store.entries(eid) for eid in rows}
    finally:
        store.close()
    journals = {eid: tuple(decode(e.kind, e.body) for e in entries)
                for eid, entries in raw.items()}
    return Snapshot(rows=rows, journals=journals, raw=raw)


def is_unknown(completed: ActionCompleted) -> bool:
    """An attempt ended as outcome unknown (the kind once it exists, else the message)."""
    return str(completed.outcome) == "unknown" or (completed.error or "").startswith(
        UNKNOWN_PREFIX)


SUB_FAILED = re.compile(r"sub-workflow (\S+) failed: ")


def _error_is_unknown(error: Mapping[str, Any], final: Snapshot) -> bool:
    """An unknown outcome, or a sub-workflow's failure whose errors are all unknown."""
    if error["kind"] == "outcome_unknown" or str(error["message"]).startswith(UNKNOWN_PREFIX):
        return True
    sub = SUB_FAILED.match(str(error["message"]))
    row = final.rows.get(sub.group(1)) if sub else None
    if row is None or row.result is None:
        return False
    errors = json.loads(row.result)["errors"]
    return bool(errors) and all(_error_is_unknown(e, final) for e in errors)


def check_outcomes(runs: Iterable[Run], report: Mapping[str, Any],
                   final: Snapshot) -> list[str]:
    """Every execution ended; the idempotent ones (and the one retrying an unknown outcome)
    succeeded with the right output; a failed one failed only of unknown outcomes (its own
    or its sub-workflow's)."""
    problems = []
    executions = report["executions"]
    for run in runs:
        got = executions[run.name]
        status, output = got["status"], got["output"]
        if status not in DONE:
            problems.append(f"{run.name}: ended {status}")
        elif run.idempotent or run.must_succeed or status == WorkflowStatus.SUCCEEDED:
            if (status, output) != (WorkflowStatus.SUCCEEDED, run.expected):
                problems.append(f"{run.name}: {status} with {output} (errors {got['errors']})"
                                f", expected succeeded with {run.expected}")
        elif not got["errors"] or not all(_error_is_unknown(e, final)
                                                   for e in got["errors"]):
            problems.append(f"{run.name}: failed of something else than an unknown outcome: "
                            f"{got['errors']}")
    return problems


def check_recovery(runs: Iterable[Run], report: Mapping[str, Any], killed: Snapshot,
                   final: Snapshot) -> list[str]:
    """Recovery continued exactly the roots left unfinished; the paused one stayed paused;
    nothing is left unfinished in the store."""
    problems = []
    left = sorted(eid for eid, row in killed.rows.items()
                  if row.parent is None and row.status not in DONE)
    if report["recovered"] != left:
        problems.append(f"recover() returned {report['recovered']}, the store had {left}")
    paused = next(run for run in runs if run.paused)
    paused_id = report["executions"][paused.name]["id"]
    if killed.rows[paused_id].status != WorkflowStatus.PAUSED:
        problems.append(f"{paused.name}: stored {killed.rows[paused_id].status} at the kill")
    if report["paused_status"] != WorkflowStatus.PAUSED:
        problems.append(f"{paused.name}: recovered {report['paused_status']}, not paused")
    unfinished = {eid: row.status for eid, row in final.rows.items() if row.status not in DONE}
    if unfinished:
        problems.append(f"unfinished in the store after recovery: {unfinished}")
    return problems


def check_journal(killed: Snapshot, final: Snapshot) -> list[str]:
    """An attempt ends outcome unknown exactly when its start was durable at the kill and
    its completion was not; no attempt completed before the kill was completed again."""
    problems = []
    before, after = killed.completed(), final.completed()
    in_flight = killed.started() - set(before)
    unknown = {key for key, completed in after.items() if is_unknown(completed)}
    if unknown - in_flight:
        problems.append(f"outcome unknown for attempts not in flight at the kill: "
                        f"{sorted(unknown - in_flight, key=str)}")
    if in_flight - unknown:
        problems.append(f"started non-idempotent attempts in flight at the kill that did not "
                        f"end outcome unknown: {sorted(in_flight - unknown, key=str)}")
    for key, completed in before.items():
        if after.get(key) != completed:
            problems.append(f"attempt {key} completed before the kill, then {after.get(key)}")
    for eid, entries in final.journals.items():
        counts = Counter((e.run, e.item, e.attempt) for e in entries
                         if isinstance(e, ActionCompleted))
        twice = [key for key, n in counts.items() if n > 1]
        if twice:
            problems.append(f"{eid}: attempts completed twice in the journal: {twice}")
    return problems


def check_replays(*snapshots: Snapshot) -> list[str]:
    """Every journal (at the kill, after the recovery) replays to the same state with the
    replay's shortcut (reported item inputs not rendered again) and without it."""
    problems = []
    for snapshot in snapshots:
        for eid, entries in snapshot.journals.items():
            defn = load_workflow(snapshot.rows[eid].text)
            events = [e for e in entries if not isinstance(e, _NOT_EVENTS)]
            if replay(defn, events) != replay(defn, events, shortcut=False):
                problems.append(f"{eid}: the replay's shortcut rebuilt another state")
    return problems


def read_calls(workdir: Path) -> list[dict[str, Any]]:
    path = workdir / CALLS
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _duplicates(path: Path) -> list[str]:
    if not path.exists():
        return []
    counts = Counter(path.read_text(encoding="utf-8").splitlines())
    return sorted(line for line, n in counts.items() if n > 1)


def check_calls(workdir: Path, killed: Snapshot, final: Snapshot) -> list[str]:
    """No key twice in the append files; no attempt of a non-idempotent action called
    twice; no attempt completed before the kill (or started non-idempotent) called after."""
    problems = []
    for name in (EFFECTS, LOCAL):
        twice = _duplicates(workdir / name)
        if twice:
            problems.append(f"{name}: lines appended twice: {twice}")
    calls = read_calls(workdir)
    effect_keys = Counter(c["key"] for c in calls if c["action"] == "crash.effect")
    twice = sorted(key for key, n in effect_keys.items() if n > 1)
    if twice:
        problems.append(f"non-idempotent attempts called twice: {twice}")
    runs = final.runs()

    def call_key(attempt: Attempt) -> CallKey:
        eid, run, item, number = attempt
        task, route = runs[(eid, run)]
        return (eid, task, route, item, number)

    settled = {call_key(a) for a in killed.completed()} | {call_key(a)
                                                          for a in killed.started()}
    again = sorted({(c["execution_id"], c["task"], c["route"], c["item"], c["attempt"])
                    for c in calls if c["phase"] == "recover"} & settled, key=str)
    if again:
        problems.append(f"attempts completed (or started non-idempotent) before the kill "
                        f"called again by the recovery: {again}")
    return problems
