"""The actor tree JSON (runtime.actor_view.live_node), by plain calls on states of the
synchronous driver: workers under their runs, with-items counts, sub-workflow nodes under
the run that started them, finished runs beyond the cap counted, not listed."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from runtime.actor_view import KEEP_FINISHED, WorkerView, live_node
from runtime.driver import mock_outcomes, run_sync
from runtime.spec import load_workflow

pytestmark = pytest.mark.timeout(60)

FAN = textwrap.dedent("""\
    version: 1.0
    tasks:
      first:
        action: core.noop
        next: [{do: fan}]
      fan:
        with:
          items: i in {{ range(10) }}
          concurrency: 3
        action: core.noop
    """)


def _state(text: str) -> Any:
    defn = load_workflow(text)
    return run_sync(defn, action=mock_outcomes({}), execution_id="e1").state


def test_workers_sit_under_their_run_and_the_rest_are_counts() -> None:
    state = _state(FAN)
    fan = next(run for run in state.runs if run.task == "fan")
    workers = [WorkerView(run=fan.id, item=i, path=f"wf/fan@0/w{i}", mailbox=i)
               for i in range(3)]
    sub = {"path": "e1.fan.1/wf", "kind": "subworkflow", "name": "child", "status": "running",
           "mailbox": 0, "execution": "e1.fan.1", "children": []}
    root = live_node(state, kind="supervisor", workflow="fan", mailbox=4, workers=workers,
                     waiting={fan.id: 5}, subs={fan.id: [sub]})
    assert (root["kind"], root["name"], root["mailbox"], root["execution"]) == (
        "supervisor", "fan", 4, "e1")
    assert [(n["name"], n["kind"], n["status"]) for n in root["children"]] == [
        ("first", "task", "succeeded"), ("fan", "task", "succeeded")]
    node = root["children"][1]
    assert node["items"] == {"total": 10, "done": 10, "failed": 0, "running": 0,
                             "waiting": 5, "shown": 3}
    assert [(c["kind"], c["name"], c["mailbox"]) for c in node["children"]] == [
        ("item", "#0", 0), ("item", "#1", 1), ("item", "#2", 2), ("subworkflow", "child", 0)]
    assert root["children"][0]["mailbox"] is None and "items" not in root["children"][0]
    assert root["omitted"] == 0


def test_a_prefix_keeps_a_sub_workflows_paths_apart() -> None:
    state = _state(FAN)
    root = live_node(state, kind="subworkflow", workflow="fan", mailbox=0, workers=(),
                     waiting={}, subs={}, prefix="e9/")
    assert [n["path"] for n in root["children"]] == ["e9/wf/first@0", "e9/wf/fan@0"]
    assert root["path"] == "e9/wf" and root["kind"] == "subworkflow"


def test_a_long_loop_keeps_the_latest_finished_runs() -> None:
    loops = KEEP_FINISHED + 20
    state = _state(textwrap.dedent(f"""\
        version: 1.0
        vars: [n: 0]
        tasks:
          enter:
            action: core.noop
            next: [{{do: again}}]
          again:
            action: core.noop
            next:
              - when: '{{{{ ctx().n < {loops - 1} }}}}'
                publish: [n: '{{{{ ctx().n + 1 }}}}']
                do: again
        """))
    assert len([r for r in state.runs if r.task == "again"]) == loops
    root = live_node(state, kind="supervisor", workflow="loop", mailbox=0, workers=(),
                     waiting={}, subs={})
    assert len(root["children"]) == KEEP_FINISHED and root["omitted"] == 21  # enter too
    assert root["children"][-1]["run"] == max(r.id for r in state.runs)
