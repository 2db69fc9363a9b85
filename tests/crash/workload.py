"""The crash harness's workload: 20 workflows, their actions, and what each must output.

The driver (:mod:`tests.crash.driver`) starts them all on one SQLite store, the test kills
it, and :mod:`tests.crash.recover` continues them in a new process with the same actions.

Every Python action logs its call (one JSON line in ``calls.log``: the phase, the
execution, task, route, item and attempt) before doing anything, so the test can tell which
attempts ran again after the kill. The non-idempotent one (``crash.effect``) also appends
its idempotency key to ``effects.log`` (its "side effect": a key there twice is an attempt
run twice); the ``core.local`` items append a deterministic line to ``local.log``. Each line
is one ``write`` on a file opened with ``O_APPEND``, so a kill never leaves half a line.

Misuse: the driver and the recovery must build the actions with the same ``workdir`` (the
workflows name their files through parameters, which are stored with the execution).
"""

from __future__ import annotations

import json
import os
import textwrap
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime import ActionFailed
from runtime.actions import idempotent
from runtime.actions.call import Call

from .workflows import FILES

CALLS = "calls.log"
EFFECTS = "effects.log"
LOCAL = "local.log"
STEP_SECONDS = 0.12
"""How long each Python action takes (a run of the whole workload then takes ~1-2 s)."""


def call_key(call: Call) -> str:
    """The attempt's idempotency key (the same after a crash)."""
    return call.idempotency_key


def append_line(path: Path, line: str) -> None:
    """Append one line in one write (atomic for a kill)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def actions(workdir: Path, phase: str) -> dict[str, Any]:
    """The Python actions of the workload; ``phase`` tells the calls log who called."""

    def log(call: Call) -> None:
        append_line(workdir / CALLS, json.dumps({
            "phase": phase, "execution_id": call.execution_id, "task": call.task,
            "route": call.route, "item": call.item, "attempt": call.attempt,
            "action": call.action, "key": call_key(call)}))

    def step(value: int, *, call: Call) -> int:
        """Idempotent: value + 1."""
        log(call)
        time.sleep(STEP_SECONDS)
        return value + 1

    def effect(value: int, *, call: Call) -> int:
        """Not idempotent: appends its key to the effects file; value * 2."""
        log(call)
        time.sleep(STEP_SECONDS / 2)
        append_line(workdir / EFFECTS, call_key(call))
        time.sleep(STEP_SECONDS / 2)
        return value * 2

    def flaky(value: int, *, call: Call) -> int:
        """Idempotent: fails its first two attempts, then returns value + attempt."""
        log(call)
        time.sleep(STEP_SECONDS / 2)
        if call.attempt < 3:
            raise ActionFailed(f"attempt {call.attempt} fails")
        return value + call.attempt

    return {"crash.step": idempotent(step), "crash.effect": effect,
            "crash.flaky": idempotent(flaky)}




@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """One of the 20 executions: its workflow file, parameters and expected output."""

    name: str
    file: str
    parameters: Mapping[str, Any]
    idempotent: bool
    """Only idempotent actions: it must succeed with ``expected`` whatever the kill."""
    expected: Mapping[str, Any] | None = None
    """The output on success (for any execution that succeeds)."""
    must_succeed: bool = False
    """It routes ``outcome_unknown`` (a retry) and must succeed."""
    paused: bool = False
    """Paused right after its start, resumed only by the recovery."""


def _chain(n: int) -> dict[str, Any]:
    return {"z": n + 3}


def _items(n: int) -> dict[str, Any]:
    values = [i + 1 for i in range(n)]
    return {"values": values, "total": sum(values) + 1}


def _parent(n: int) -> dict[str, Any]:
    x = n + 2  # before, then the child's first step
    return {"z": sum(x + i + 1 for i in range(3)) + 1}


def runs(workdir: Path) -> tuple[Run, ...]:
    """The 20 executions of the workload."""
    effects = {"values": [2 * i for i in range(6)]}
    local = {"n": 5, "file": str(workdir / LOCAL)}
    return (
        Run(name="chain-0", file="o_chain.yaml", parameters={"n": 0}, idempotent=True,
            expected=_chain(0)),
        Run(name="chain-10", file="o_chain.yaml", parameters={"n": 10}, idempotent=True,
            expected=_chain(10)),
        Run(name="join-1", file="o_join.yaml", parameters={"n": 1}, idempotent=True,
            expected={"total": 2 * 1 + 5}),
        Run(name="join-7", file="o_join.yaml", parameters={"n": 7}, idempotent=True,
            expected={"total": 2 * 7 + 5}),
        Run(name="items-8", file="o_items.yaml", parameters={"n": 8}, idempotent=True,
            expected=_items(8)),
        Run(name="parent-effects", file="o_parent_fx.yaml", parameters={"n": 4},
            idempotent=False, expected={"got": [2 * i for i in range(4)]}),
        Run(name="items-16", file="o_items.yaml", parameters={"n": 16}, idempotent=True,
            expected=_items(16)),
        Run(name="effects-a", file="o_effects.yaml", parameters={"n": 6}, idempotent=False,
            expected=effects),
        Run(name="effects-b", file="o_effects.yaml", parameters={"n": 6}, idempotent=False,
            expected=effects),
        Run(name="effects-retry", file="o_effects_retry.yaml", parameters={"n": 6},
            idempotent=False, expected=effects, must_succeed=True),
        Run(name="local-a", file="o_local.yaml", parameters={**local, "tag": "local-a"},
            idempotent=False, expected={}),
        Run(name="local-b", file="o_local.yaml", parameters={**local, "tag": "local-b"},
            idempotent=False, expected={}),
        Run(name="retry-3", file="o_retry.yaml", parameters={"n": 3}, idempotent=True,
            expected={"got": 6}),
        Run(name="retry-5", file="o_retry.yaml", parameters={"n": 5}, idempotent=True,
            expected={"got": 8}),
        Run(name="parent-1", file="o_parent.yaml", parameters={"n": 1}, idempotent=True,
            expected=_parent(1)),
        Run(name="parent-4", file="o_parent.yaml", parameters={"n": 4}, idempotent=True,
            expected=_parent(4)),
        Run(name="paused", file="o_chain.yaml", parameters={"n": 100}, idempotent=True,
            expected=_chain(100), paused=True),
        Run(name="attune-chain", file="a_chain.yaml", parameters={"n": 30}, idempotent=True,
            expected=_chain(30)),
        Run(name="attune-items", file="a_items.yaml", parameters={"n": 9}, idempotent=True,
            expected={"values": [i + 1 for i in range(9)]}),
        Run(name="attune-effects", file="a_effects.yaml", parameters={"n": 5},
            idempotent=False, expected={"values": [2 * i for i in range(5)]}),
    )


def write_files(workdir: Path) -> None:
    """Write the workflow files into ``workdir`` (sub-workflows resolve from there)."""
    for name, text in FILES.items():
        (workdir / name).write_text(textwrap.dedent(text), encoding="utf-8")

