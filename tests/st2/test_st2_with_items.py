"""With-items as StackStorm workflows write it: literal item lists, and ``task(name).result``
of a with-items task as st2's ``{items: [{status, result}, ...]}``."""

from __future__ import annotations

import textwrap

import pytest

from runtime import start_workflow
from runtime.actions import ActionFailed
from runtime.spec import validate

pytestmark = pytest.mark.timeout(60)

LITERAL = textwrap.dedent("""\
    version: 1.0
    tasks:
      bare:
        with: [3, 1, 2]
        action: troupe.echo message=<% item() * 10 %>
      mapped:
        with:
          items: ["a", "b"]
          concurrency: 1
        action: troupe.echo message="<% item() %>!"
    output:
      - bare: <% task(bare).result.items.select($.result) %>
      - mapped: "{{ task('mapped').result['items'] | map(attribute='result') | list }}"
    """)


def test_a_literal_list_is_the_items() -> None:
    """``with: [..]`` and ``with: {items: [..]}`` iterate the list as written."""
    result = start_workflow(LITERAL).wait(timeout=30)
    assert result.status.value == "succeeded", result.errors
    assert result.output == {"bare": [30, 10, 20], "mapped": ["a!", "b!"]}


@pytest.mark.parametrize("value", ["{a: 1}", "7", "true"])
def test_items_that_are_neither_an_expression_nor_a_list_are_refused(value: str) -> None:
    """Anything else stays the located T103 it was."""
    text = f"version: 1.0\ntasks:\n  t:\n    with: {value}\n    action: core.noop\n"
    defn, diagnostics = validate(text)
    assert defn is None
    assert {(d.code, d.task) for d in diagnostics} >= {("T103", "t")}


def fail_odd(n: int) -> int:
    """Fail for odd numbers, return the number otherwise."""
    if n % 2:
        raise ActionFailed("odd", result={"n": n})
    return n


def test_task_result_of_a_with_items_task_has_one_entry_per_item() -> None:
    """Each entry is the item's status and result, in item order, failed ones included."""
    text = textwrap.dedent("""\
        version: 1.0
        tasks:
          fan:
            with: <% range(0, 4) %>
            action: t.fail_odd n=<% item() %>
            next:
              - when: <% failed() %>
                publish:
                  - seen: <% task(fan).result.items %>
        output:
          - seen: <% ctx(seen) %>
        """)
    result = start_workflow(text, actions={"t.fail_odd": fail_odd}).wait(timeout=30)
    seen = result.output["seen"]
    assert [entry["status"] for entry in seen] == ["succeeded", "failed", "succeeded", "failed"]
    assert [entry["result"] for entry in seen] == [0, {"n": 1}, 2, {"n": 3}]
