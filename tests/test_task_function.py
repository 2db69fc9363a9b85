"""StackStorm's ``task()`` / ``task(name)`` in YAQL and Jinja, with ``.result`` and ``.status``.

st2 (``st2common`` expressions, as its Orquesta runner registers them) returns the record of
the task's latest execution on the current route (or a parent route before the split):
``task_execution_id``, ``workflow_execution_id``, ``task_name``, ``task_id``, ``route``,
``result``, ``status``, ``start_timestamp``, ``end_timestamp``; a task that did not run is an
evaluation error ("Unable to find task execution").
"""

from __future__ import annotations

from typing import Any

import pytest
from pyrsistent import pmap

from runtime import start_workflow
from runtime.errors import ExpressionError
from runtime.templating import Scope, compile_value
from runtime.values import freeze

pytestmark = pytest.mark.timeout(60)

RECORDS = {"a": pmap({"task_id": "a", "result": freeze({"stdout": "hi"}), "status": "succeeded",
                      "route": 0})}


def render(source: str, **scope: Any) -> Any:
    node = compile_value(source, "orquesta", task="b", field="f")
    return node.render(Scope(pmap(), task="b", task_runs=RECORDS.get, **scope))


@pytest.mark.parametrize("source", [
    "<% task(a).result.stdout %>", "<% task('a').result.stdout %>",
    "{{ task('a').result.stdout }}", "{{ task('a')['result']['stdout'] }}",
])
def test_task_name_reads_the_record_in_both_languages(source: str) -> None:
    assert render(source) == "hi"


@pytest.mark.parametrize("source", ["<% task(a).status %>", "{{ task('a').status }}"])
def test_task_status_field(source: str) -> None:
    assert render(source) == "succeeded"


@pytest.mark.parametrize("source", ["<% task(nowhere) %>", "{{ task('nowhere') }}",
                                    "<% task() %>"])
def test_a_task_that_did_not_run_is_a_located_error(source: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        render(source)
    assert (caught.value.task, caught.value.field) == ("b", "f")


def test_task_without_a_name_is_the_current_task_with_its_result() -> None:
    records = {"b": pmap({"task_id": "b", "result": None, "status": "running"})}
    node = compile_value("<% task().result.n %>", "orquesta")
    scope = Scope(pmap(), task="b", task_runs=records.get, result=freeze({"n": 3}),
                  has_result=True, status="succeeded")
    assert node.render(scope) == 3
    status = compile_value("{{ task().status }}", "orquesta").render(scope)
    assert status == "succeeded"


WORKFLOW = """
version: 1.0
tasks:
  first:
    action: my.produce
    next:
      - when: <% succeeded() %>
        publish:
          - own: <% task().result.value %>
          - own_status: "{{ task().status }}"
        do: second
  second:
    action: core.noop
    next:
      - publish:
          - yaql: <% task(first).result.value %>
          - jinja: "{{ task('first').result.value }}"
          - status: <% task(first).status %>
          - fields: <% task(first).keys().orderBy($) %>
output:
  - own: <% ctx(own) %>
  - own_status: <% ctx(own_status) %>
  - yaql: <% ctx(yaql) %>
  - jinja: <% ctx(jinja) %>
  - status: <% ctx(status) %>
  - fields: <% ctx(fields) %>
  - from_output: <% task(second).status %>
"""


def test_task_records_in_a_running_workflow() -> None:
    result = start_workflow(WORKFLOW, actions={"my.produce": lambda: {"value": 7}}
                            ).wait(timeout=30)
    assert result.status == "succeeded", result.errors
    assert result.output == {
        "own": 7, "own_status": "succeeded", "yaql": 7, "jinja": 7, "status": "succeeded",
        "fields": ["end_timestamp", "result", "route", "start_timestamp", "status",
                   "task_execution_id", "task_id", "task_name", "workflow_execution_id"],
        "from_output": "succeeded",
    }
