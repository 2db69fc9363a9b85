"""The pure state machine, driven synchronously with mocked action outcomes."""

from __future__ import annotations

import collections
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.commands import ItemFinished, RunAction, SetTimer, TaskFinished, TaskRetrying
from runtime.driver import mock_outcomes, run_sync
from runtime.events import CancelRequested, PauseRequested, ResumeRequested
from runtime.machine import replay
from runtime.spec import load_workflow
from runtime.status import Outcome, TaskStatus, WorkflowStatus
from runtime.values import thaw

pytestmark = pytest.mark.timeout(30)

FAIL = (Outcome.FAILED, None)


def run(yaml_text: str, params: dict[str, Any] | None = None, table: dict[str, Any] | None = None,
        **kwargs: Any):
    defn = load_workflow(yaml_text)
    return run_sync(defn, params or {}, mock_outcomes(table or {}), **kwargs)


def ran(record) -> collections.Counter[str]:
    return collections.Counter(r.task for r in record.state.runs
                               if r.started_at is not None or r.pseudo)


def test_publish_flows_down_the_chain_and_into_the_output() -> None:
    """Publishes in a transition are visible to the next task and to the output."""
    record = run("""
input: [name]
tasks:
  a:
    action: core.echo message="hi {{ ctx('name') }}"
    next:
      - publish: [{greeting: '{{ result() }}'}]
        do: b
  b:
    action: core.echo message="{{ ctx('greeting') }}!"
    next:
      - publish: final={{ result() }}
output:
  - final: '{{ ctx("final") }}'
""", {"name": "bob"})
    assert record.status is WorkflowStatus.SUCCEEDED
    assert thaw(record.state.output) == {"final": "hi bob!"}


def test_every_matching_transition_fires() -> None:
    """All transitions whose condition holds fire, not only the first."""
    record = run("""
tasks:
  a:
    action: core.noop
    next:
      - when: '{{ succeeded() }}'
        do: b
      - when: '{{ succeeded() }}'
        do: c
      - when: '{{ failed() }}'
        do: d
  b: {action: core.noop}
  c: {action: core.noop}
  d: {action: core.noop}
""")
    assert ran(record) == {"a": 1, "b": 1, "c": 1}


def test_unhandled_failure_fails_fast_and_noop_remediates() -> None:
    """A failure with no handling transition fails the workflow; `noop` handles it."""
    failed = run("tasks:\n  a:\n    action: core.noop\n", table={"a": FAIL})
    assert failed.status is WorkflowStatus.FAILED
    assert [(e.kind, e.task) for e in failed.state.errors] == [("action_failed", "a")]
    handled = run("""
tasks:
  a:
    action: core.noop
    next:
      - when: '{{ failed() }}'
        do: noop
""", table={"a": FAIL})
    assert handled.status is WorkflowStatus.SUCCEEDED


def test_fail_command_runs_cleanup_tasks_of_the_same_completion() -> None:
    """`do: cleanup, fail` fails the workflow but still runs `cleanup` (run-on-fail)."""
    record = run("""
tasks:
  a:
    action: core.noop
    next:
      - when: '{{ failed() }}'
        do: cleanup, fail
  cleanup: {action: core.noop}
""", table={"a": FAIL})
    assert record.status is WorkflowStatus.FAILED
    assert ran(record) == {"a": 1, "cleanup": 1, "fail": 1}


def test_fail_fast_starts_nothing_new_after_an_unhandled_failure() -> None:
    """Once a failure is unhandled, successors of other branches are not started."""
    record = run("""
tasks:
  a: {action: core.noop}
  b:
    action: core.noop
    next: [{do: c}]
  c: {action: core.noop}
""", table={"a": FAIL})
    assert record.status is WorkflowStatus.FAILED
    assert ran(record)["c"] == 0


def test_join_all_waits_for_every_branch_and_merges_contexts() -> None:
    """`join: all` runs once, after both branches, with both branches' publishes."""
    record = run("""
vars: [{x: root}]
tasks:
  start:
    action: core.noop
    next: [{do: [left, right]}]
  left:
    action: core.noop
    next: [{publish: [{l: 1}, {x: left}], do: join}]
  right:
    action: core.noop
    next: [{publish: [{r: 2}], do: join}]
  join:
    join: all
    action: core.noop
output:
  - l: '{{ ctx("l") }}'
  - r: '{{ ctx("r") }}'
  - x: '{{ ctx("x") }}'
""")
    assert ran(record)["join"] == 1
    assert thaw(record.state.output) == {"l": 1, "r": 2, "x": "left"}


def test_partially_satisfied_join_fails_as_unreachable() -> None:
    """A join that can never be satisfied fails the workflow with unreachable_join."""
    record = run("""
tasks:
  start:
    action: core.noop
    next: [{do: [left, right]}]
  left:
    action: core.noop
    next: [{when: '{{ succeeded() }}', do: join}, {when: '{{ failed() }}', do: noop}]
  right:
    action: core.noop
    next: [{when: '{{ succeeded() }}', do: join}]
  join: {join: all, action: core.noop}
""", table={"left": FAIL})
    assert record.status is WorkflowStatus.FAILED
    assert ("unreachable_join", "join") in [(e.kind, e.task) for e in record.state.errors]


def test_a_split_task_runs_once_per_arrival_on_its_own_route() -> None:
    """A non-join task reached by two transitions runs twice, on two routes."""
    record = run("""
tasks:
  a:
    action: core.noop
    next: [{do: [b, c]}]
  b:
    action: core.noop
    next: [{do: d}]
  c:
    action: core.noop
    next: [{do: d}]
  d: {action: core.noop}
""")
    d_runs = [r for r in record.state.runs if r.task == "d"]
    assert len(d_runs) == 2
    assert len({r.route for r in d_runs}) == 2


def test_a_cycle_runs_until_its_condition_stops_it() -> None:
    """A loop re-runs its tasks while a counter in the context says so."""
    record = run("""
vars: [{n: 0}]
tasks:
  init:
    action: core.noop
    next: [{do: step}]
  step:
    action: core.noop
    next:
      - publish: [{n: '{{ ctx("n") + 1 }}'}]
        when: '{{ ctx("n") < 4 }}'
        do: step
      - when: '{{ ctx("n") >= 4 }}'
        do: done
  done: {action: core.noop}
output: [{n: '{{ ctx("n") }}'}]
""")
    assert ran(record)["step"] == 5
    assert thaw(record.state.output) == {"n": 4}


def test_with_items_results_are_in_item_order_and_concurrency_is_respected() -> None:
    """Results come back in item order; never more than `concurrency` items are active."""
    defn = load_workflow("""
tasks:
  fan:
    with: {items: 'x in {{ range(10) | list }}', concurrency: 3}
    action: core.echo message={{ item("x") * 10 }}
    next: [{publish: 'out={{ result() }}'}]
output: [{out: '{{ ctx("out") }}'}]
""")
    record = run_sync(defn, {}, mock_outcomes({}))
    assert thaw(record.state.output) == {"out": [i * 10 for i in range(10)]}
    active = peak = 0
    for command in record.commands:
        if isinstance(command, RunAction):
            active += 1
            peak = max(peak, active)
        elif type(command).__name__ == "ItemFinished":
            active -= 1
    assert peak == 3


def test_with_items_zip_form_names_each_field() -> None:
    """`a, b in zip(...)` gives each item as a mapping of the names."""
    record = run("""
tasks:
  t:
    with: h, c in {{ zip(["x", "y"], ["1", "2"]) }}
    action: core.echo message="{{ item('h') }}={{ item('c') }}"
    next: [{publish: 'out={{ result() }}'}]
output: [{out: '{{ ctx("out") }}'}]
""")
    assert thaw(record.state.output) == {"out": ["x=1", "y=2"]}


def test_with_items_stops_releasing_items_after_a_failure() -> None:
    """After an item fails, no new item is started and the task fails."""
    defn = load_workflow("""
tasks:
  fan:
    with: {items: '{{ range(6) | list }}', concurrency: 1}
    action: core.echo message={{ item() }}
""")

    def outcome(cmd: RunAction):
        return (Outcome.FAILED, None) if cmd.item == 2 else (Outcome.SUCCEEDED, cmd.item)

    record = run_sync(defn, {}, outcome)
    run_ = record.state.runs[0]
    assert run_.status is TaskStatus.FAILED
    assert thaw(run_.result) == [0, 1, None, None, None, None]
    assert sum(isinstance(c, RunAction) for c in record.commands) == 3


def test_empty_with_items_succeeds_with_an_empty_list() -> None:
    """A with-items task over nothing succeeds with []."""
    record = run("""
tasks:
  t:
    with: '{{ [] }}'
    action: core.noop
""")
    assert record.status is WorkflowStatus.SUCCEEDED
    assert thaw(record.state.runs[0].result) == []


def test_retry_repeats_until_count_and_keeps_one_run() -> None:
    """retry count N gives N+1 attempts in one task run, with the delay as a timer."""
    record = run("""
tasks:
  t:
    action: core.noop
    retry: {count: 2, delay: 5}
""", table={"t": FAIL})
    assert record.status is WorkflowStatus.FAILED
    assert len(record.state.runs) == 1
    assert record.state.runs[0].attempt == 3
    assert [c.delay for c in record.commands if isinstance(c, SetTimer)] == [5.0, 5.0]


def test_retry_when_can_retry_after_success() -> None:
    """A retry condition is evaluated whatever the status (here: on a success)."""
    calls = []

    def flaky(cmd: RunAction):
        calls.append(cmd.attempt)
        return Outcome.SUCCEEDED, {"code": 200 if cmd.attempt == 3 else 503}

    record = run("""
tasks:
  t:
    action: core.http url=http://x
    retry: {count: 5, when: '{{ result().code != 200 }}'}
""", table={"t": flaky})
    assert record.status is WorkflowStatus.SUCCEEDED
    assert calls == [1, 2, 3]


def test_attune_retry_backoff_is_exponential_and_capped() -> None:
    """Attune exponential backoff doubles the delay and stops at max_delay."""
    record = run("""
version: "1.0.0"
tasks:
  - name: t
    action: core.noop
    retry: {count: 4, delay: 2, backoff: exponential, max_delay: 5}
""", table={"t": FAIL})
    delays = [c.delay for c in record.commands if isinstance(c, TaskRetrying)]
    assert delays == [2.0, 4.0, 5.0, 5.0]


def test_delay_sets_a_timer_before_the_first_attempt() -> None:
    """`delay` postpones dispatch through a timer."""
    record = run("tasks:\n  t:\n    action: core.noop\n    delay: 3\n")
    timers = [c for c in record.commands if isinstance(c, SetTimer)]
    assert [(t.key.kind.value, t.delay) for t in timers] == [("delay", 3.0)]
    assert record.status is WorkflowStatus.SUCCEEDED


def test_timeout_ends_an_attempt_as_timed_out_and_attune_sees_timed_out() -> None:
    """A task that outlives its timeout is timed out; `timed_out()` routes it (Attune)."""
    defn = load_workflow("""
version: "1.0.0"
tasks:
  - name: slow
    action: core.sleep
    timeout: 2
    on_timeout: cleanup
  - name: cleanup
    action: core.noop
""")
    record = run_sync(defn, {}, lambda cmd: (None, None) if cmd.task == "slow"
                      else (Outcome.SUCCEEDED, None))
    slow = record.state.runs[0]
    assert slow.status is TaskStatus.TIMED_OUT
    assert ran(record)["cleanup"] == 1
    assert record.status is WorkflowStatus.SUCCEEDED


def test_output_is_rendered_on_failure_for_orquesta() -> None:
    """Orquesta renders outputs whatever the final status."""
    record = run("""
vars: [{m: before}]
tasks:
  a: {action: core.noop}
output: [{m: '{{ ctx("m") }}'}]
""", table={"a": FAIL})
    assert record.status is WorkflowStatus.FAILED
    assert thaw(record.state.output) == {"m": "before"}


def test_input_defaults_may_use_earlier_inputs_and_required_inputs_are_enforced() -> None:
    """Defaults render in order; a required input that is missing fails at the start."""
    record = run("""
input:
  - a: 2
  - b: '{{ ctx("a") * 3 }}'
tasks:
  t: {action: core.noop}
output: [{b: '{{ ctx("b") }}'}]
""")
    assert thaw(record.state.output) == {"b": 6}
    missing = run("input:\n  - token: {required: true}\ntasks:\n  t: {action: core.noop}\n")
    assert missing.status is WorkflowStatus.FAILED
    assert [e.kind for e in missing.state.errors] == ["parameters"]


def test_expression_errors_name_the_task_and_the_field() -> None:
    """A failing expression records an error with its task and field."""
    record = run("""
vars: [{x: 1}]
tasks:
  t:
    action: core.echo
    input: {message: '{{ ctx("x") / 0 }}'}
""")
    assert record.status is WorkflowStatus.FAILED
    (error,) = record.state.errors
    assert (error.kind, error.task, error.field) == ("expression", "t", "input.message")


def test_cancel_stops_everything_and_ends_canceled() -> None:
    """A cancel ends the execution at once as canceled."""
    defn = load_workflow("tasks:\n  t:\n    action: core.sleep\n")
    record = run_sync(defn, {}, lambda cmd: (None, None),
                      interrupt=lambda r: CancelRequested(reason="stop")
                      if r.state.status is WorkflowStatus.RUNNING else None)
    assert record.status is WorkflowStatus.CANCELED
    assert record.state.runs[0].status is TaskStatus.CANCELED


def test_pause_holds_new_tasks_until_resume() -> None:
    """While paused nothing new starts; resume continues where it stopped."""
    defn = load_workflow("tasks:\n  a:\n    action: core.noop\n    next: [{do: b}]\n"
                         "  b: {action: core.noop}\n")
    seen: list[str] = []

    def interrupt(record):
        status = record.state.status
        if not seen:
            seen.append("pause")
            return PauseRequested()
        if status is WorkflowStatus.PAUSED and "resume" not in seen:
            seen.append("resume")
            assert record.state.runs[-1].status is TaskStatus.HELD
            return ResumeRequested()
        return None

    record = run_sync(defn, {}, mock_outcomes({}), interrupt=interrupt)
    assert seen == ["pause", "resume"]
    assert record.status is WorkflowStatus.SUCCEEDED


def test_replaying_the_events_rebuilds_the_same_state() -> None:
    """The final state equals the state rebuilt from the events it consumed."""
    defn = load_workflow("""
tasks:
  a:
    with: {items: '{{ range(5) | list }}', concurrency: 2}
    action: core.echo message={{ item() }}
    retry: {count: 1}
    next: [{publish: 'r={{ result() }}', do: b}]
  b: {action: core.noop}
""")
    record = run_sync(defn, {}, lambda c: (Outcome.FAILED if c.item == 3 and c.attempt == 1
                                           else Outcome.SUCCEEDED, c.item))
    rebuilt = replay(defn, record.events)
    assert rebuilt == record.state


@settings(max_examples=40, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=12), st.integers(1, 5))
def test_with_items_outcome_matches_item_failures(failures: list[bool], concurrency: int) -> None:
    """For any item outcomes and concurrency, the task fails iff an item failed."""
    defn = load_workflow(f"""
tasks:
  fan:
    with: {{items: '{{{{ range({len(failures)}) | list }}}}', concurrency: {concurrency}}}
    action: core.echo message={{{{ item() }}}}
""")
    record = run_sync(defn, {}, lambda c: (Outcome.FAILED if failures[c.item]
                                           else Outcome.SUCCEEDED, c.item))
    expected = TaskStatus.FAILED if any(failures) else TaskStatus.SUCCEEDED
    assert record.state.runs[0].status is expected
    assert record.state.inflight == 0


def test_allow_finish_cancellation_lets_running_actions_end() -> None:
    """Attune's allow_finish: a cancel waits for running actions, starts nothing new."""
    defn = load_workflow("""
version: "1.0.0"
cancellation_policy: allow_finish
tasks:
  - name: a
    action: core.noop
    next: [{do: [b]}]
  - name: b
    action: core.noop
""")
    events: list[str] = []

    def interrupt(record):
        if not events and record.state.inflight:
            events.append("cancel")
            return CancelRequested(reason="stop")
        return None

    record = run_sync(defn, {}, mock_outcomes({}), interrupt=interrupt)
    assert record.status is WorkflowStatus.CANCELED
    statuses = {r.task: r.status for r in record.state.runs}
    assert statuses["a"] is TaskStatus.SUCCEEDED
    assert statuses.get("b") in (None, TaskStatus.CANCELED)


def test_forced_cancellation_ignores_allow_finish() -> None:
    """A forced cancel stops running actions even under allow_finish."""
    defn = load_workflow("""
version: "1.0.0"
tasks:
  - name: a
    action: core.sleep
""")
    record = run_sync(defn, {}, lambda cmd: (None, None),
                      interrupt=lambda r: CancelRequested(force=True)
                      if r.state.status is WorkflowStatus.RUNNING else None)
    assert record.status is WorkflowStatus.CANCELED
    assert record.state.runs[0].status is TaskStatus.CANCELED


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["ok", "fail"]), min_size=2, max_size=10),
       st.integers(1, 4), st.integers(1, 5))
def test_advancing_a_batch_equals_advancing_one_event_at_a_time(
    outcomes: list[str], concurrency: int, batch: int
) -> None:
    """advance_many over any split of the event stream gives the states advance gives."""
    from runtime.machine import advance, advance_many, initial_state

    defn = load_workflow(f"""
tasks:
  fan:
    with: {{items: '{{{{ range({len(outcomes)}) | list }}}}', concurrency: {concurrency}}}
    action: core.echo message={{{{ item() }}}}
    retry: {{count: 1}}
    next: [{{publish: 'r={{{{ result() }}}}', do: after}}]
  after: {{action: core.noop}}
""")
    record = run_sync(defn, {}, lambda c: (Outcome.FAILED if outcomes[c.item or 0] == "fail"
                                           and c.attempt == 1 else Outcome.SUCCEEDED, c.item))
    one_by_one = initial_state(defn)
    for event in record.events:
        one_by_one, _ = advance(one_by_one, event)
    batched = initial_state(defn)
    commands_batched = []
    for start in range(0, len(record.events), batch):
        batched, commands = advance_many(batched, record.events[start:start + batch])
        commands_batched.extend(commands)
    assert batched == one_by_one
    assert commands_batched == record.commands
    quiet, commands_quiet = advance_many(initial_state(defn), record.events, item_notices=False)
    assert quiet == one_by_one
    assert list(commands_quiet) == [c for c in record.commands if not isinstance(c, ItemFinished)]


def test_pausing_during_with_items_pauses_once_items_in_flight_end() -> None:
    """A pause while items run: no new item starts, the workflow pauses, resume finishes it."""
    defn = load_workflow("""
tasks:
  fan:
    with: {items: '{{ range(6) | list }}', concurrency: 2}
    action: core.noop
""")
    seen: list[str] = []

    def interrupt(record):
        if not seen and record.state.inflight:
            seen.append("pause")
            return PauseRequested()
        if record.state.status is WorkflowStatus.PAUSED and "resume" not in seen:
            seen.append("resume")
            assert record.state.inflight == 0
            return ResumeRequested()
        return None

    record = run_sync(defn, {}, mock_outcomes({}), interrupt=interrupt)
    assert seen == ["pause", "resume"]
    assert record.status is WorkflowStatus.SUCCEEDED
    assert len(thaw(record.state.runs[0].result)) == 6


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["ok", "fail", "unrenderable"]), min_size=1, max_size=10),
       st.integers(1, 4), st.booleans())
def test_items_whose_input_cannot_render_fail_and_the_run_ends_once(
    kinds: list[str], concurrency: int, retried: bool
) -> None:
    """An item whose input fails to render ends failed without being dispatched; whatever
    the mix, the run finishes exactly once and nothing stays open or in flight."""
    values = [0 if kind == "unrenderable" else 1 for kind in kinds]
    retry = "    retry: {count: 1}\n" if retried else ""
    defn = load_workflow(f"""
tasks:
  fan:
    with: {{items: '{{{{ {values} }}}}', concurrency: {concurrency}}}
    action: core.echo
    input: {{message: '{{{{ 10 / item() }}}}'}}
{retry}""")
    record = run_sync(defn, {}, lambda c: (Outcome.FAILED if kinds[c.item or 0] == "fail"
                                           else Outcome.SUCCEEDED, c.item))
    finished = [c for c in record.commands if isinstance(c, TaskFinished)]
    assert len(finished) == 1
    dispatched = {c.item for c in record.commands if isinstance(c, RunAction)}
    assert not dispatched & {i for i, kind in enumerate(kinds) if kind == "unrenderable"}
    state = record.state
    assert state.open_runs == 0 and state.inflight == 0
    expected = TaskStatus.SUCCEEDED if set(kinds) == {"ok"} else TaskStatus.FAILED
    assert state.runs[0].status is expected
    assert record.status is (WorkflowStatus.SUCCEEDED if expected is TaskStatus.SUCCEEDED
                             else WorkflowStatus.FAILED)
    items = [c for c in record.commands if isinstance(c, ItemFinished)]
    assert sorted(c.item for c in items) == sorted(
        {c.item for c in items})  # each item reported once
