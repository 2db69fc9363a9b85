"""The engine and the reference interpreter agree on generated workflows of both dialects.

Each example is run by the engine (``start_workflow`` with a mock action that fails where
the workflow's injected failures say) and then by the reference, which is given the order
in which the engine ended its attempts (from the progress events), so both see the same
interleaving. They must agree on the status, the output, the errors (task, item, kind) and
the multiset of task runs (task, status, attempts). 200 examples, 5,000 under
``TROUPE_LONG=1``; derandomized under ``CI=true`` (tests/conftest.py); a failure prints the
workflow's YAML, the blob that reproduces it, and the seed of the run
(``TROUPE_SEED=N pytest tests/reference`` runs the same examples again).
"""

from __future__ import annotations

import os
import random
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, note, seed, settings

from runtime import ActionFailed, ValidationFailed, start_workflow
from runtime.actions import Call
from tests.reference.interpreter import Outcome, Step, reference
from tests.reference.model import Workflow, mock_result
from tests.reference.render import ACTION, to_yaml
from tests.reference.strategies import workflows

pytestmark = pytest.mark.timeout(900)

EXAMPLES = 5000 if os.environ.get("TROUPE_LONG") == "1" else 200
REFUSED = {"T204", "T205", "T207"}
"""Validation codes of generated shapes the engine refuses on purpose (see strategies)."""


def _mock(fails: frozenset[Any]) -> Any:
    def act(*, call: Call, **_inputs: Any) -> Any:
        result = mock_result(call.task, call.item, call.attempt)
        if (call.task, call.item, call.attempt) in fails:
            raise ActionFailed("injected", result=result)
        return result
    return act


def run_engine(wf: Workflow) -> tuple[Outcome, list[Step]]:
    """Run ``wf`` in the engine: its outcome and the order its attempts ended in."""
    events: list[Any] = []
    with tempfile.TemporaryDirectory() as tmp:
        text = to_yaml(wf, Path(tmp))
        note(text)
        try:
            handle = start_workflow(text, actions={ACTION: _mock(wf.fails)},
                                    on_event=events.append)
        except ValidationFailed as refused:
            assume(not {d.code for d in refused.diagnostics} & REFUSED)
            raise
        result = handle.wait(timeout=60)
    routes = {r.route: r.route_path for r in result.sequence}
    nth = {r.run: sum(o.name == r.name and o.route == r.route and o.run < r.run
                      for o in result.tasks) for r in result.tasks}
    itemized = {t.name for t in wf.tasks if t.items is not None}
    names = {t.name for t in wf.tasks}
    order: list[Step] = []
    for e in events:
        if e.task not in names or e.pseudo:
            continue
        ends = (e.kind in ("task_retrying", "item_finished")
                or (e.kind == "task_finished" and e.task not in itemized))
        if ends:
            canceled = e.status == "canceled"
            order.append(((e.task, tuple(routes[e.route]), nth[e.run], e.item), canceled))
    outcome = Outcome(
        status=str(result.status.value),
        output=result.output,
        errors=[(e.task or "", e.item, e.kind) for e in result.errors],
        runs=[(t.name, str(t.status.value), None if t.items is not None else t.attempts)
              for t in result.tasks])
    return outcome, order


def check(wf: Workflow) -> None:
    """Run both and compare."""
    engine, order = run_engine(wf)
    note(f"engine order: {order}")
    ref = reference(wf, order)
    assert engine.status == ref.status, (engine, ref)
    assert engine.output == ref.output, (engine, ref)
    assert Counter(engine.errors) == Counter(ref.errors), (engine, ref)
    assert Counter(engine.runs) == Counter(ref.runs), (engine, ref)


SEED = int(os.environ.get("TROUPE_SEED") or random.SystemRandom().randrange(2**32))
"""This run's seed (ignored under the derandomized CI profile, whose examples are fixed)."""


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@SETTINGS
@seed(SEED)
@given(workflows("orquesta"))
def test_orquesta_engine_agrees_with_the_reference(wf: Workflow) -> None:
    note(f"seed: TROUPE_SEED={SEED} reproduces this run")
    check(wf)


@SETTINGS
@seed(SEED)
@given(workflows("attune"))
def test_attune_engine_agrees_with_the_reference(wf: Workflow) -> None:
    note(f"seed: TROUPE_SEED={SEED} reproduces this run")
    check(wf)
