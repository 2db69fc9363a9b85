"""The actor runtime through the public API: start_workflow, handles, actions, actors."""

from __future__ import annotations

import os
import select
import threading
from pathlib import Path
from typing import Any

import pytest

from runtime import ActionFailed, ParameterError, ValidationFailed, start_workflow

pytestmark = pytest.mark.timeout(60)

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


def _wait_for_exit(pid: int, timeout: float = 15.0) -> bool:
    """Block until process ``pid`` has terminated (pidfd: no polling)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([fd], [], [], timeout)
        return bool(readable)
    finally:
        os.close(fd)


def test_hello_example_succeeds_with_its_output() -> None:
    """The README's example runs and returns its output and task records."""
    result = start_workflow(EXAMPLES / "hello.yaml").wait(timeout=20)
    assert result.status == "succeeded"
    assert result.output == {"greeting": "Hello, World!", "loud": "HELLO, WORLD!"}
    assert [(t.name, t.status, t.attempts) for t in result.tasks] == [
        ("greet", "succeeded", 1), ("shout", "succeeded", 1)]
    assert all(t.started_at and t.finished_at for t in result.tasks)


@pytest.mark.parametrize("example,params", [
    ("fanout_shell.yaml", {}),
    ("attune_deploy.yaml", {"build": "9.9"}),
])
def test_examples_succeed(example: str, params: dict[str, Any]) -> None:
    """Every example in examples/ runs to success."""
    result = start_workflow(EXAMPLES / example, params).wait(timeout=30)
    assert result.status == "succeeded", result.errors


def test_ten_thousand_items_run_with_a_bounded_number_of_threads() -> None:
    """10,000 items at concurrency 32 succeed with at most about 32 + 10 threads alive."""
    peak = [threading.active_count()]

    def sample(_event: Any) -> None:
        peak[0] = max(peak[0], threading.active_count())

    handle = start_workflow("""
tasks:
  fan:
    with: {items: '{{ range(10000) | list }}', concurrency: 32}
    action: core.noop
""", on_event=sample)
    result = handle.wait(timeout=120)
    assert result.status == "succeeded"
    assert len(result.tasks[0].result) == 10_000
    assert peak[0] <= 32 + 10


def test_a_hung_shell_command_times_out_and_its_process_group_is_killed(tmp_path: Path) -> None:
    """A task past its timeout is timed out, and its whole process group is gone."""
    fifo = tmp_path / "pids"
    os.mkfifo(fifo)
    handle = start_workflow(f"""
version: "1.0.0"
tasks:
  - name: hang
    action: core.local
    timeout: 1
    input:
      cmd: "sleep 300 & echo $$ $! > {fifo}; wait"
""")
    with fifo.open() as pipe:
        shell_pid, child_pid = (int(x) for x in pipe.read().split())
    result = handle.wait(timeout=30)
    assert result.status == "failed"
    assert result.tasks[0].status == "timed_out"
    assert [e.kind for e in result.errors] == ["action_timed_out"]
    assert _wait_for_exit(shell_pid)
    assert _wait_for_exit(child_pid)


def test_cancel_stops_running_shell_commands(tmp_path: Path) -> None:
    """Cancelling a running workflow kills its shell commands and ends it canceled."""
    fifo = tmp_path / "pid"
    os.mkfifo(fifo)
    handle = start_workflow(f"""
tasks:
  work:
    action: core.local
    input:
      cmd: "echo $$ > {fifo}; exec sleep 300"
""")
    with fifo.open() as pipe:
        pid = int(pipe.read())
    handle.cancel()
    result = handle.wait(timeout=20)
    assert result.status == "canceled"
    assert _wait_for_exit(pid)


def test_action_failed_result_is_seen_by_failure_transitions() -> None:
    """`raise ActionFailed(result=...)` fails the task; result() sees that result."""

    def deploy(host: str) -> dict[str, Any]:
        raise ActionFailed("no route", result={"host": host, "code": 7})

    result = start_workflow("""
tasks:
  deploy:
    action: my.deploy host=web1
    next:
      - when: '{{ failed() }}'
        publish: [{code: '{{ result().code }}'}]
        do: noop
output: [{code: '{{ ctx("code") }}'}]
""", actions={"my.deploy": deploy}).wait(timeout=20)
    assert result.status == "succeeded"
    assert result.output == {"code": 7}
    assert result.errors[0].kind == "action_failed"
    assert result.errors[0].task == "deploy"


def test_callables_receive_the_call_record() -> None:
    """An action with a keyword-only `call` parameter learns task, item and attempt."""
    seen: list[tuple[str, int | None, int]] = []

    def probe(n: int, *, call: Any) -> int:
        seen.append((call.task, call.item, call.attempt))
        return n * 2

    result = start_workflow("""
tasks:
  t:
    with: '{{ [1, 2] }}'
    action: my.probe n={{ item() }}
""", actions={"my.probe": probe}).wait(timeout=20)
    assert result.tasks[0].result == [2, 4]
    assert sorted(seen) == [("t", 0, 1), ("t", 1, 1)]


def test_an_action_raising_systemexit_is_reported_as_a_failure() -> None:
    """Even a BaseException in an action becomes a failed task, not a hang."""

    def boom() -> None:
        raise SystemExit(3)

    result = start_workflow("tasks:\n  t:\n    action: my.boom\n",
                            actions={"my.boom": boom}).wait(timeout=20)
    assert result.status == "failed"
    assert result.tasks[0].status == "failed"


def test_bad_parameters_and_unknown_actions_fail_before_anything_runs() -> None:
    """A missing required input raises ParameterError; an unknown action ValidationFailed."""
    with pytest.raises(ParameterError) as missing:
        start_workflow(EXAMPLES / "attune_deploy.yaml", {})
    assert missing.value.missing == ("build",)
    with pytest.raises(ParameterError) as unknown:
        start_workflow(EXAMPLES / "attune_deploy.yaml", {"build": "1", "typo": 2})
    assert unknown.value.unknown == ("typo",)
    with pytest.raises(ValidationFailed) as bad:
        start_workflow("tasks:\n  t:\n    action: no.such_action\n")
    assert [(d.code, d.task) for d in bad.value.diagnostics] == [("T401", "t")]


def test_subworkflow_output_is_the_task_result(tmp_path: Path) -> None:
    """An action reference naming a workflow file runs it as a child execution."""
    (tmp_path / "child.yaml").write_text("""
input: [x]
tasks:
  double:
    action: troupe.echo message={{ ctx("x") * 2 }}
    next: [{publish: 'y={{ result() }}'}]
output: [{y: '{{ ctx("y") }}'}]
""")
    parent = tmp_path / "parent.yaml"
    parent.write_text("""
tasks:
  call:
    action: child.yaml x=21
    next: [{publish: 'answer={{ result().y }}'}]
output: [{answer: '{{ ctx("answer") }}'}]
""")
    result = start_workflow(parent).wait(timeout=20)
    assert result.status == "succeeded", result.errors
    assert result.output == {"answer": 42}


def test_pause_and_resume_through_the_handle(tmp_path: Path) -> None:
    """A paused workflow starts nothing new until resumed, then finishes."""
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    handle = start_workflow(f"""
tasks:
  first:
    action: core.local cmd="cat {fifo}"
    next: [{{do: second}}]
  second:
    action: core.noop
""", events=True)
    handle.pause()
    with fifo.open("w") as pipe:
        pipe.write("go\n")
    kinds = []
    for event in handle.events(timeout=20):
        kinds.append((event.kind, event.task))
        if event.kind == "workflow_paused":
            assert handle.status == "paused"
            handle.resume()
    assert ("task_finished", "second") in kinds
    assert handle.wait(timeout=20).status == "succeeded"


def test_progress_events_follow_the_execution() -> None:
    """The event stream reports task starts, item completions and the end."""
    handle = start_workflow("""
tasks:
  t:
    with: '{{ [1, 2, 3] }}'
    action: core.noop
""", events=True)
    kinds = [e.kind for e in handle.events(timeout=20)]
    assert kinds[0] == "task_started"
    assert kinds.count("item_finished") == 3
    assert kinds[-2:] == ["task_finished", "workflow_finished"]


def test_cancel_cascades_to_subworkflows_and_their_commands(tmp_path: Path) -> None:
    """Cancelling a parent cancels its running child workflow and kills the child's shell."""
    fifo = tmp_path / "pid"
    os.mkfifo(fifo)
    (tmp_path / "child.yaml").write_text(f"""
tasks:
  work:
    action: core.local
    input:
      cmd: "echo $$ > {fifo}; exec sleep 300"
""")
    parent = tmp_path / "parent.yaml"
    parent.write_text("tasks:\n  call:\n    action: child.yaml\n")
    handle = start_workflow(parent)
    with fifo.open() as pipe:
        pid = int(pipe.read())
    handle.cancel()
    assert handle.wait(timeout=20).status == "canceled"
    assert _wait_for_exit(pid)


def test_a_worker_whose_supervisor_is_gone_still_finishes_quietly() -> None:
    """A worker reporting to a dead supervisor swallows ActorDeadError and stays usable."""
    import pykka

    from actors.messages import Assignment, Perform
    from actors.tracing import Tracer
    from actors.workers import Worker
    from runtime.actions import ActionRegistry
    from runtime.commands import RunAction

    class Sink(pykka.ThreadingActor):
        pass

    dead = Sink.start()
    dead.stop()
    worker = Worker.start()
    assignment = Assignment(supervisor=dead, path="wf/t@0", kind="task", execution_id="x",
                            tracer=Tracer(None, "x"))
    command = RunAction(run=0, task="t", route=0, attempt=1, action="troupe.echo",
                        input={"message": 1})
    action = ActionRegistry(entry_points=False).resolve("troupe.echo")
    worker.tell(Perform(command=command, assignment=assignment, action=action))
    assert worker.ask("ping", timeout=10) is None


def test_attune_batches_and_timed_retries_run_through_the_actors(tmp_path: Path) -> None:
    """batch_size groups items (index = batch), and a retry waits on a real timer."""
    flag = tmp_path / "flag"
    result = start_workflow(f"""
version: "1.0.0"
tasks:
  - name: batches
    action: troupe.echo
    with_items: "{{{{ range(7) }}}}"
    batch_size: 3
    concurrency: 2
    input: {{message: "{{{{ index }}}}:{{{{ item }}}}"}}
    next:
      - when: "{{{{ succeeded() }}}}"
        publish: {{out: "{{{{ result() }}}}"}}
        do: [flaky]
  - name: flaky
    action: core.local
    input: {{cmd: "test -f {flag} || (touch {flag}; exit 1)"}}
    retry: {{count: 2, delay: 0.1, backoff: linear}}
output_map:
  out: "{{{{ workflow.out }}}}"
""").wait(timeout=20)
    assert result.status == "succeeded", result.errors
    assert result.output == {"out": ["0:[0, 1, 2]", "1:[3, 4, 5]", "2:[6]"]}
    assert result.task("flaky").attempts == 2


def test_pause_during_with_items_then_resume(tmp_path: Path) -> None:
    """Pausing a running with-items task pauses after the items in flight; resume ends it."""
    handle = start_workflow("""
tasks:
  fan:
    with: {items: '{{ range(20) | list }}', concurrency: 2}
    action: core.sleep seconds=0.01
""", events=True)
    handle.pause()
    paused_at = None
    for event in handle.events(timeout=20):
        if event.kind == "workflow_paused":
            paused_at = handle.status
            handle.resume()
    assert paused_at == "paused"
    result = handle.wait(timeout=20)
    assert result.status == "succeeded"
    assert len(result.tasks[0].result) == 20


def test_ten_thousand_parallel_tasks_run_on_the_worker_budget(worker_limit: Any) -> None:
    """A split into 10,000 plain tasks: every attempt holds a permit of the process's budget,
    so threads stay near the budget's limit, not one per task."""
    peak = [threading.active_count()]

    def sample(_event: Any) -> None:
        peak[0] = max(peak[0], threading.active_count())

    names = [f"t{i}" for i in range(10_000)]
    body = "".join(f"  {name}:\n    action: core.noop\n" for name in names)
    workflow = ("version: 1.0\ntasks:\n  start:\n    action: core.noop\n"
                f"    next: [{{do: [{', '.join(names)}]}}]\n{body}")
    worker_limit(16)
    result = start_workflow(workflow, on_event=sample).wait(timeout=300)
    assert result.status == "succeeded"
    assert len(result.tasks) == 10_001
    assert peak[0] <= 16 + 12
