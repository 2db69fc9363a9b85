"""StackStorm's Jinja filters and functions, against StackStorm's documented examples.

Each filter works as a filter and, in the Orquesta dialect, as a function; a couple run
through ``start_workflow``; failures are ExpressionErrors located at the task and field.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from pyrsistent import PMap

from runtime import start_workflow
from runtime.errors import ExpressionError, ValidationFailed
from runtime.spec import validate
from runtime.templating import Scope, compile_value
from runtime.values import freeze, thaw

pytestmark = pytest.mark.timeout(60)

CTX = freeze({
    "data": {"complex": "structure", "foo": ["x", True]},
    "people": {"users": [{"name": "alice", "age": 30}, {"name": "bob", "age": 25}]},
    "address": "Your address is 567 Elsewhere Dr. My address is 123 Somewhere Ave.",
    "nothing": None,
})


def render(source: str, ctx: PMap[str, Any] = CTX) -> Any:
    """Render ``source`` (Orquesta dialect) and return plain data."""
    node = compile_value(source, "orquesta", task="t", field="f")
    return thaw(node.render(Scope(ctx, task="t")))


FILTERS = [
    # StackStorm's default separators are (",", ": "): no space after a list comma
    ("{{ ctx().data | to_json_string(sort_keys=True) }}",
     '{"complex": "structure","foo": ["x",true]}'),
    ("{{ ctx().data | to_json_string(sort_keys=True, indent=1) }}",
     '{\n "complex": "structure",\n "foo": [\n  "x",\n  true\n ]\n}'),
    ("{{ '{\"complex\": \"structure\", \"foo\": [\"x\", true]}' | from_json_string }}",
     {"complex": "structure", "foo": ["x", True]}),
    ("{{ '{\"a\": 1}' | json_parse }}", {"a": 1}),
    ("{{ ctx().data | to_yaml_string }}", "complex: structure\nfoo:\n- x\n- true\n"),
    ("{{ 'complex: structure\nfoo:\n- x\n- true\n' | from_yaml_string }}",
     {"complex": "structure", "foo": ["x", True]}),
    ("{{ ctx().data.foo | to_complex }}", '["x", true]'),
    ("{{ 'say \"hi\"\n' | json_escape }}", 'say \\"hi\\"\\n'),
    ("{{ ctx().people | jsonpath_query('users[*].name') }}", ["alice", "bob"]),
    ("{{ ctx().people | jsonpath_query('users[0].age') }}", [30]),
    ("{{ ctx().people | jsonpath_query('nobody') }}", None),
    ("{{ 'v0.10.1' | regex_match('v\\\\d+') }}", True),
    ("{{ 'the v0.10.1' | regex_match('v\\\\d+') }}", False),
    ("{{ 'THE V0' | regex_match('the', ignorecase=True) }}", True),
    ("{{ 'the v0.10.1' | regex_search('v\\\\d+') }}", True),
    ("{{ 'x' | regex_search('y') }}", False),
    ("{{ 'hello world' | regex_replace('o', '0') }}", "hell0 w0rld"),
    ("{{ 'abc' | regex_replace('(b)', '[\\\\1]') }}", "a[b]c"),
    ("{{ ctx().address | regex_substring('([0-9]{3} \\\\w+ (?:Ave|St|Dr))') }}",
     "567 Elsewhere Dr"),
    ("{{ ctx().address | regex_substring('([0-9]{3} \\\\w+ (?:Ave|St|Dr))', 1) }}",
     "123 Somewhere Ave"),
    ("{{ 0 | to_human_time_from_seconds }}", "0s"),
    ("{{ 45 | to_human_time_from_seconds }}", "45s"),
    ("{{ 185 | to_human_time_from_seconds }}", "3m5s"),
    ("{{ 12345 | to_human_time_from_seconds }}", "3h25m45s"),
    ("{{ 90061 | to_human_time_from_seconds }}", "1d1h1m1s"),
    ("{{ 3600 | to_human_time_from_seconds }}", "1h0m0s"),
    ("{{ 31536000 | to_human_time_from_seconds }}", "1y0d0h0m0s"),
    ("{{ 61.6 | to_human_time_from_seconds }}", "1m2s"),
    ("{{ '0.10.1' | version_compare('0.9.0') }}", 1),
    ("{{ '0.9.0' | version_compare('0.10.1') }}", -1),
    ("{{ '0.10.1' | version_compare('0.10.1') }}", 0),
    ("{{ '0.10.1' | version_more_than('0.9.0') }}", True),
    ("{{ '0.10.1' | version_less_than('0.9.0') }}", False),
    ("{{ '0.10.1' | version_equal('0.10.1') }}", True),
    ("{{ '0.10.1' | version_match('>0.9.0') }}", True),
    ("{{ '0.10.1' | version_match('<0.9.0') }}", False),
    ("{{ '0.10.1' | version_bump_major }}", "1.0.0"),
    ("{{ '0.10.1' | version_bump_minor }}", "0.11.0"),
    ("{{ '0.10.1' | version_bump_patch }}", "0.10.2"),
    ("{{ '0.10.1' | version_strip_patch }}", "0.10"),
    ("{{ ctx().nothing | use_none }}", None),
    ("{{ 'x' | use_none }}", "x"),
    ("{{ '/etc/nginx/nginx.conf' | basename }}", "nginx.conf"),
    ("{{ '/etc/nginx/nginx.conf' | dirname }}", "/etc/nginx"),
]


@pytest.mark.parametrize(("source", "expected"), FILTERS)
def test_filter_gives_the_documented_value(source: str, expected: Any) -> None:
    assert render(source) == expected


FUNCTIONS = [
    ("{{ to_json_string(ctx().data.foo) }}", '["x",true]'),
    ("{{ from_json_string('[1, 2]') }}", [1, 2]),
    ("{{ regex_match('v0.10', 'v\\\\d') }}", True),
    ("{{ regex_substring(ctx().address, '\\\\d{3}', 1) }}", "123"),
    ("{{ version_compare('1.0.0', '0.9.9') }}", 1),
    ("{{ version_bump_minor('1.2.3') }}", "1.3.0"),
    ("{{ basename('/a/b.txt') }} {{ dirname('/a/b.txt') }}", "b.txt /a"),
    ("{{ jsonpath_query(ctx().people, 'users[*].age') }}", [30, 25]),
    ("{{ to_human_time_from_seconds(185) }}", "3m5s"),
]


@pytest.mark.parametrize(("source", "expected"), FUNCTIONS)
def test_filter_is_also_an_orquesta_function(source: str, expected: Any) -> None:
    assert render(source) == expected


BAD = [
    "{{ 'nope' | from_json_string }}",
    "{{ 'a: [' | from_yaml_string }}",
    "{{ 'abc' | regex_substring('z') }}",
    "{{ 'abc' | regex_match('(') }}",
    "{{ 'one' | version_compare('1.0.0') }}",
    "{{ '1.0.0' | version_match('~1') }}",
    "{{ 'x' | to_human_time_from_seconds }}",
    "{{ {} | jsonpath_query('[[') }}",
]


@pytest.mark.parametrize("source", BAD)
def test_a_failing_filter_is_a_located_expression_error(source: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        render(source)
    assert (caught.value.task, caught.value.field, caught.value.expression) == (
        "t", "f", source)


WORKFLOW = """
version: 1.0
input:
  - version: "2.4.1"
  - path: /opt/packs/core/actions/echo.yaml
tasks:
  check:
    action: core.noop
    next:
      - when: '{{ ctx().version | version_more_than("2.0.0") }}'
        publish:
          - bumped: '{{ ctx().version | version_bump_minor }}'
          - file: '{{ basename(ctx().path) }}'
          - parsed: '{{ ctx().path | regex_replace("\\\\.yaml$", ".json") | dirname }}'
          - doc: '{{ {"v": ctx().version} | to_json_string | from_json_string }}'
output:
  - bumped: '{{ ctx().bumped }}'
  - file: '{{ ctx().file }}'
  - parsed: '{{ ctx().parsed }}'
  - doc: '{{ ctx().doc }}'
"""


def test_st2_filters_run_through_start_workflow() -> None:
    result = start_workflow(WORKFLOW, {}).wait(timeout=30)
    assert result.status == "succeeded"
    assert result.output == {"bumped": "2.5.0", "file": "echo.yaml",
                             "parsed": "/opt/packs/core/actions",
                             "doc": {"v": "2.4.1"}}


def test_a_failing_filter_fails_its_task_through_start_workflow() -> None:
    text = WORKFLOW.replace('version_more_than("2.0.0")', 'version_more_than("two")')
    result = start_workflow(text, {}).wait(timeout=30)
    assert result.status == "failed"
    errors = [e for e in result.errors if e.kind == "expression"]
    assert ("check", "next[0].when") in [(e.task, e.field) for e in errors]


# ---- unknown filters and functions are validation errors (T304), located ------------------


def diagnostics(text: str, dialect: str | None = None) -> list[tuple[Any, ...]]:
    """(code, line, column, task, path) of every diagnostic of dedented YAML text."""
    found = validate(textwrap.dedent(text), dialect=dialect)[1]
    return [(d.code, d.line, d.column, d.task, d.path) for d in found]


def messages(text: str, dialect: str | None = None) -> list[str]:
    return [d.message for d in validate(textwrap.dedent(text), dialect=dialect)[1]]


UNKNOWN = """\
    version: 1.0
    tasks:
      t:
        action: core.echo
        input:
          a: '{{ "x" | no_such_filter }}'
          b: '{{ nope("/a/b") }}'
          c: '{{ basename("/a/b") | dirname }}'
          d: '{{ 3 is prime }}'
        next:
          - when: '{{ succeeded() }}'
            publish:
              - e: '{% set f = basename %}{{ f("/x") }}'
              - g: '{% macro m(x) %}{{ x }}{% endmacro %}{{ m(1) }}'
              - h: '{{ range(3) | list | to_yaml_string | nope2 }}'
    output:
      - o: '{{ undefined_fn() }}'
    """


def test_unknown_filters_tests_and_functions_are_t304_located() -> None:
    assert diagnostics(UNKNOWN) == [
        ("T304", 6, 10, "t", "tasks.t.input.a"),
        ("T304", 7, 10, "t", "tasks.t.input.b"),
        ("T304", 9, 10, "t", "tasks.t.input.d"),
        ("T304", 15, 16, "t", "tasks.t.next[0].publish.h"),
        ("T304", 17, 5, None, "output.o"),
    ]


def test_the_t304_message_names_the_kind_and_the_name() -> None:
    found = messages(UNKNOWN)
    assert [m.split(" in ")[0] for m in found] == [
        "unknown filter no_such_filter", "unknown function nope", "unknown test prime",
        "unknown filter nope2", "unknown function undefined_fn"]


def test_st2_filters_are_not_attune_functions() -> None:
    """Attune has its own helpers: the basename filter is unknown there.

    Called names are not checked in Attune (a bare name may be a workflow variable).
    """
    text = """\
        version: "1.0.0"
        tasks:
          - name: a
            action: core.echo
            input:
              x: "{{ parameters.p | basename }}"
              y: "{{ length(keys(parameters)) }} {{ item }} {{ maybe_a_variable() }}"
        """
    assert [(d[0], d[1], d[3]) for d in diagnostics(text, "attune")] == [("T304", 6, "a")]


def test_an_unknown_function_no_longer_fails_only_at_run_time() -> None:
    text = """
version: 1.0
tasks:
  t:
    action: core.echo message="{{ base_name('/a/b') }}"
"""
    with pytest.raises(ValidationFailed) as caught:
        start_workflow(text, {})
    assert [d.code for d in caught.value.diagnostics] == ["T304"]
