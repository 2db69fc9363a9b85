"""StackStorm's data functions in YAQL as in Jinja, and ``task(name, route=N)`` in both."""

from __future__ import annotations

import json
import textwrap

import pytest

from runtime import start_workflow
from runtime.templating.st2_filters import ST2_FILTERS

pytestmark = pytest.mark.timeout(60)

CALLS = {
    "from_json_string": ("'{\"a\": [1, 2]}'", {"a": [1, 2]}),
    "to_json_string": ("dict(a => 1)", '{"a": 1}'),
    "to_yaml_string": ("dict(a => 1)", "a: 1\n"),
    "from_yaml_string": ("'a: [x]'", {"a": ["x"]}),
    "jsonpath_query": ("dict(a => dict(b => 3)), '$.a.b'", [3]),
    "regex_match": ("'xyz', 'x'", True),
    "regex_replace": ("'xyz', 'x', 'wx'", "wxyz"),
    "regex_search": ("'xyz', 'y'", True),
    "regex_substring": ("'at 668 Infinite Dr', '([0-9]{3} \\w+ Dr)'", "668 Infinite Dr"),
    "to_human_time_from_seconds": ("12345", "3h25m45s"),
    "basename": ("'/a/b.txt'", "b.txt"),
    "dirname": ("'/a/b.txt'", "/a"),
    "version_compare": ("'0.10.0', '0.10.1'", -1),
    "version_bump_minor": ("'0.10.0'", "0.11.0"),
    "version_strip_patch": ("'0.10.3'", "0.10"),
}


def test_every_st2_function_is_called_here_or_named_as_an_alias() -> None:
    """The table covers the catalogue (json_parse is from_json_string under another name)."""
    aliases = {"json_parse", "json_escape", "to_complex", "use_none", "version_more_than",
               "version_less_than", "version_equal", "version_match", "version_bump_major",
               "version_bump_patch"}
    assert set(ST2_FILTERS) == set(CALLS) | aliases


@pytest.mark.parametrize("name", sorted(CALLS))
def test_st2_functions_run_in_yaql(name: str) -> None:
    """Each st2 function evaluates in a YAQL expression at run time, as StackStorm registers
    them for both languages (they passed validation before, and failed when run)."""
    args, expected = CALLS[name]
    expression = json.dumps(f"<% {name}({args}) %>")  # a YAML double-quoted scalar
    text = f"version: 1.0\ntasks:\n  t:\n    action: core.noop\noutput:\n" \
           f"  - got: {expression}\n"
    result = start_workflow(text).wait(timeout=30)
    assert result.status.value == "succeeded", result.errors
    assert result.output == {"got": expected}


SPLIT = textwrap.dedent("""\
    version: 1.0
    tasks:
      a:
        action: core.noop
        next: [{do: join_me}]
      b:
        action: core.noop
        next: [{do: join_me}]
      join_me:
        action: troupe.echo message="<% task().route %>"
    output:
      - yaql: <% [task(join_me, route => 1).result, task(join_me, route => 2).result] %>
      - jinja: "{{ [task('join_me', route=1).route, task('join_me', route=2).route] }}"
    """)


def test_task_takes_a_route_in_both_languages() -> None:
    """A split task runs once per route; ``route`` picks the run."""
    result = start_workflow(SPLIT).wait(timeout=30)
    assert result.status.value == "succeeded", result.errors
    assert [list(result.output["yaql"]), list(result.output["jinja"])] == [[1, 2], [1, 2]]


@pytest.mark.parametrize("route", ["'x'", "-1", "true"])
def test_a_route_that_is_not_a_route_number_is_an_expression_error(route: str) -> None:
    """A bad route is an expression error naming the field, not a crash."""
    text = f"version: 1.0\ntasks:\n  t:\n    action: core.noop\noutput:\n" \
           f"  - got: <% task(t, route => {route}) %>\n"
    result = start_workflow(text).wait(timeout=30)
    assert result.status.value == "failed"
    assert [(e.kind, e.field) for e in result.errors] == [("expression", "output.got")]


def test_an_unknown_route_is_the_task_not_found_error() -> None:
    """A route the execution never had finds no run, as a task that never ran."""
    text = "version: 1.0\ntasks:\n  t:\n    action: core.noop\noutput:\n" \
           "  - got: <% task(t, route => 9) %>\n"
    result = start_workflow(text).wait(timeout=30)
    assert [(e.kind, e.field) for e in result.errors] == [("expression", "output.got")]
