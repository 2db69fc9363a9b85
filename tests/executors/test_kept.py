"""Results kept in the object store, without Ray: the reference records, the split where an
attempt runs, ``keep_result_in_ray`` in both dialects, ``ray_result_threshold``, and (with the
stand-in executor) records passing through templates, scopes released when an execution
ends, a fresh scope after recovery, and ``result_lost`` routed like any failure."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime import Engine
from runtime.api import start_workflow
from runtime.errors import ExecutorError
from runtime.executors import ActionOutcome, parse_threshold
from runtime.executors.kept import (
    json_size,
    record_id,
    reference,
    references,
    resolved,
    resolved_payload,
    split,
)
from runtime.executors.running import run_spec, run_split
from runtime.spec import validate
from runtime.status import WorkflowStatus
from runtime.store import MemoryStore

from .conftest import Stand
from .test_specs import json_values

pytestmark = pytest.mark.timeout(60)

ids = st.text("0123456789abcdef", min_size=4, max_size=8)


with_records = st.recursive(
    json_values | st.builds(reference, ids, st.integers(0, 10**9)),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=10)
plain = json_values.filter(lambda v: references(v) == [])


@given(value=with_records, values=st.dictionaries(ids, plain, max_size=4))
def test_resolving_replaces_exactly_the_records_it_has_values_for(
        value: Any, values: dict[str, Any]) -> None:
    found = references(value)
    assert len(found) == len(set(found))
    assert references(resolved(value, values)) == [i for i in found if i not in values]
    assert resolved(value, {}) == json.loads(json.dumps(value))


def test_a_payload_gets_its_values_in_reference_order() -> None:
    payload = {"kind": "python", "input": {"a": [reference("aa", 3), {"b": reference("bb", 9)}],
                                           "c": reference("aa", 3)},
               "request": None}
    assert references([payload["input"], payload["request"]]) == ["aa", "bb"]
    done = resolved_payload(payload, ["A", {"big": 1}])
    assert done["input"] == {"a": ["A", {"b": {"big": 1}}], "c": "A"}
    assert payload["input"]["c"] == reference("aa", 3)  # not modified


def test_a_record_is_exactly_its_two_keys() -> None:
    assert record_id({"$ray": "ab", "size": 2}) == "ab"
    assert record_id({"$ray": "ab", "size": 2, "x": 1}) is None
    assert record_id({"$ray": 5, "size": 2}) is None
    assert record_id(["$ray", "size"]) is None


@pytest.mark.parametrize(("keep_over", "result", "kept"), [
    (None, "x" * 100, False), (10, "x" * 100, True), (102, "x" * 100, False),
    (101, "x" * 100, True), (0, None, False), (0, 1, True)])
def test_split_keeps_a_result_over_the_threshold(keep_over: int | None, result: Any,
                                                 kept: bool) -> None:
    outcome = ActionOutcome(outcome="succeeded", result=result, stdout="o")
    sent, apart = split(outcome, keep_over)
    if kept:
        assert (sent.result, sent.kept, sent.stdout, apart) == (None, json_size(result), "o",
                                                               result)
    else:
        assert (sent, apart) == (outcome, None)


def _spec(message: Any, keep_over: int | None) -> dict[str, Any]:
    return {"kind": "python", "ref": "troupe.echo", "input": {"message": message},
            "call": {"execution_id": "e", "task": "t"}, "keep_over": keep_over}


def test_the_far_side_measures_and_splits_the_result() -> None:
    big = "y" * 5000
    sent, apart = run_split(_spec(big, 1000))
    assert (sent["outcome"], sent["result"], sent["kept"], apart) == (
        "succeeded", None, json_size(big), big)
    sent, apart = run_split(_spec("small", 1000))
    assert (sent["result"], sent["kept"], apart) == ("small", None, None)


def test_the_far_side_puts_the_values_of_records_in_their_place() -> None:
    outcome = run_spec(_spec({"n": reference("cafe", 10)}, None), [1, 2, 3])
    assert outcome["result"] == {"n": [1, 2, 3]}


PLACED = {
    "orquesta": """\
        version: 1.0
        tasks:
          t:
            action: core.noop
            executor: {executor}
            keep_result_in_ray: {keep}
    """,
    "attune": """\
        version: "1.0.0"
        tasks:
          - name: t
            action: core.noop
            executor: {executor}
            keep_result_in_ray: {keep}
        ref: w.x
    """}


@pytest.mark.parametrize("dialect", sorted(PLACED))
def test_both_dialects_read_keep_result_in_ray(dialect: str) -> None:
    text = textwrap.dedent(PLACED[dialect])
    defn, diagnostics = validate(text.format(executor="ray", keep="true"))
    assert diagnostics == [] and defn is not None
    assert defn.task("t").placement.keep_result is True
    _, diagnostics = validate(text.format(executor="ray", keep="yes please"))
    assert [(d.code, d.path) for d in diagnostics] == [("T103", "tasks.t.keep_result_in_ray")]
    _, diagnostics = validate(text.format(executor="local", keep="false"))
    assert [(d.code, d.severity) for d in diagnostics] == [("T106", "warning")]


def test_thresholds() -> None:
    assert [parse_threshold(v) for v in (None, "", 0, 4096, "1MiB")] == [
        None, None, 0, 4096, 2**20]
    for bad in ("lots", -1, True):
        with pytest.raises(ExecutorError):
            parse_threshold(bad)
    with pytest.raises(ExecutorError):
        Engine(store=MemoryStore(), ray_result_threshold="lots").start_workflow(
            "version: 1.0\ntasks: {t: {action: core.noop}}\n")


CHAIN = """\
    version: 1.0
    tasks:
      make:
        action: troupe.echo message=big
        executor: ray
        next: [{do: [use, here], publish: [made: "{{ result() }}"]}]
      use:
        action: troupe.echo
        input: {message: {wrapped: ["{{ ctx('made') }}"]}}
        executor: ray
        keep_result_in_ray: false
        next: [{publish: [used: "{{ result() }}"]}]
      here:
        action: troupe.echo
        input: {message: "{{ ctx('made') }}"}
        next: [{publish: [here: "{{ result() }}"]}]
    output:
      - made: "{{ ctx('made') }}"
      - used: "{{ ctx('used') }}"
      - here: "{{ ctx('here') }}"
"""


def test_a_record_passes_through_templates_as_data(stand: Stand) -> None:
    record = reference("00ff" * 7, 1_000_002)
    handle = start_workflow(textwrap.dedent(CHAIN), ray_result_threshold=1000)
    made, report = stand.next()
    assert made.keep_over == 1000  # the engine's threshold
    report(ActionOutcome(outcome="succeeded", result=record, kept=1_000_002))
    used, report_used = stand.next()
    assert used.keep_over is None  # keep_result_in_ray: false
    assert used.input == {"message": {"wrapped": [record]}}  # the executor resolves it
    report_used(ActionOutcome(outcome="succeeded", result="value"))
    result = handle.wait(timeout=30)
    assert result.status is WorkflowStatus.SUCCEEDED
    assert result.output == {"made": record, "used": "value", "here": record}  # as is
    scope = stand.scopes.get(timeout=5)
    assert stand.scopes.get(timeout=5) == scope  # one scope for the execution
    assert stand.released.get(timeout=30) == scope  # released when it ended


def test_result_lost_is_a_failure_the_workflow_routes(stand: Stand) -> None:
    wf = textwrap.dedent("""\
        version: 1.0
        tasks:
          t:
            action: troupe.echo message=x
            executor: ray
            next:
              - when: "{{ failed() }}"
                do: noop
    """)
    handle = start_workflow(wf)
    _, report = stand.next()
    report(ActionOutcome(outcome="result_lost", error="result_lost: gone"))
    result = handle.wait(timeout=30)
    assert result.status is WorkflowStatus.SUCCEEDED
    (error,) = result.errors
    assert (error.kind, error.task, error.handled_by) == ("result_lost", "t", "next[0] -> noop")


def test_a_recovered_execution_reads_kept_results_in_a_scope_of_its_own(stand: Stand) -> None:
    store = MemoryStore()
    engine = Engine(store=store, executor="ray")
    handle = engine.start_workflow(textwrap.dedent(CHAIN))
    stand.next()
    first = stand.scopes.get(timeout=5)
    engine.close(drain_timeout=0)  # abandoned with the attempt out
    assert stand.released.get(timeout=30) == first  # its results freed with it
    with Engine(store=store, executor="ray") as again:
        [recovered] = again.recover()
        assert recovered.execution_id == handle.execution_id
        stand.next()  # troupe.echo is idempotent: sent again
        assert stand.scopes.get(timeout=5) != first  # what it kept before is not found
        recovered.cancel(force=True)
        recovered.wait(timeout=30)
