"""Tests of the Orquesta loader, dialect detection and inline-argument parsing."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyrsistent import pmap

from runtime.errors import Diagnostic
from runtime.spec import detect_dialect, validate
from runtime.spec.common import parse_inline_args
from runtime.spec.model import ORQUESTA_POLICIES, Dialect, WorkflowDef
from runtime.templating import Const, Scope
from runtime.values import freeze, thaw

pytestmark = pytest.mark.timeout(30)


def check(text: str, **kwargs: Any) -> tuple[WorkflowDef | None, list[Diagnostic]]:
    """Validate dedented YAML text."""
    return validate(textwrap.dedent(text), **kwargs)


def load(text: str) -> WorkflowDef:
    """Load dedented YAML text that must be free of diagnostics."""
    defn, diagnostics = check(text)
    assert diagnostics == []
    assert defn is not None
    return defn


def errors(text: str) -> list[tuple[str, int | None, str | None]]:
    """(code, line, task) of every diagnostic of a text."""
    return [(d.code, d.line, d.task) for d in check(text)[1]]


def render(node: Any, **ctx: Any) -> Any:
    """Render a compiled Orquesta node against a context."""
    return thaw(node.render(Scope(freeze(ctx))))


# -- actions and input ------------------------------------------------------------------------


def test_inline_action_arguments_become_input() -> None:
    """`core.echo k=v ...` splits into the action and typed input values."""
    defn = load("""\
        version: 1.0
        input: [x]
        tasks:
          t:
            action: core.echo message="hi" n=1 flag=true items=[1,2] tpl={{ ctx("x") }}
        """)
    task = defn.task("t")
    assert defn.dialect is Dialect.ORQUESTA
    assert defn.policies == ORQUESTA_POLICIES
    assert task.action_ref == "core.echo"
    assert task.action == Const("core.echo")
    assert task.input is not None
    assert render(task.input, x="X") == {"message": "hi", "n": 1, "flag": True,
                                         "items": [1, 2], "tpl": "X"}


def test_explicit_input_wins_over_inline_arguments() -> None:
    """Inline arguments merge under an explicit input mapping."""
    defn = load("""\
        version: 1.0
        tasks:
          t:
            action: core.echo a=1 b=2
            input: {b: 3, c: 4}
        """)
    task = defn.task("t")
    assert task.input is not None
    assert render(task.input) == {"a": 1, "b": 3, "c": 4}


def test_action_may_be_an_expression_with_spaces() -> None:
    """An action template is not split at the blanks inside {{ }}."""
    defn = load("""\
        version: 1.0
        input: [which]
        tasks:
          t:
            action: '{{ ctx("which") }} msg="x y"'
        """)
    task = defn.task("t")
    assert task.action_ref is None
    assert task.action is not None
    assert render(task.action, which="core.echo") == "core.echo"
    assert task.input is not None
    assert render(task.input) == {"msg": "x y"}


def test_bad_inline_arguments_are_reported() -> None:
    """Arguments that are not key=value are T402 on the action."""
    assert errors("version: 1.0\ntasks:\n  t:\n    action: core.echo message\n") == [
        ("T402", 4, "t")]


def test_input_defaults_and_names() -> None:
    """Inputs are names or {name: default}; a default may use earlier inputs."""
    defn = load("""\
        version: 1.0
        input:
          - a
          - b: 2
          - c: '{{ ctx("b") + 1 }}'
          - d: null
          - e: {nested: [1]}
        tasks:
          t: {action: core.noop}
        """)
    a, b, c, d, e = defn.inputs
    assert (a.name, a.default) == ("a", None)
    assert b.default == Const(2)
    assert c.default is not None and render(c.default, b=2) == 3
    assert d.default == Const(None)
    assert e.default is not None and render(e.default) == {"nested": [1]}


def test_troupe_input_metadata_form() -> None:
    """`- token: {required: true, secret: true}` declares metadata, not a default."""
    defn = load("""\
        version: 1.0
        input:
          - token: {required: true, secret: true}
          - level: {default: 3, required: false, description: how loud, type: integer}
          - shape: {default: 3, description: no flag so a plain default}
          - options: {verbose: true}
        tasks:
          t: {action: core.noop}
        """)
    token, level, shape, options = defn.inputs
    assert (token.required, token.secret, token.default) == (True, True, None)
    assert (level.required, level.default, level.description, level.type) == (
        False, Const(3), "how loud", "integer")
    assert shape.default is not None and render(shape.default)["default"] == 3
    assert options.default is not None and render(options.default) == {"verbose": True}
    assert defn.secret_inputs == frozenset({"token"})


def test_vars_and_outputs_are_compiled_in_order() -> None:
    """vars and output are lists of one-key mappings, compiled for Orquesta."""
    defn = load("""\
        version: 1.0
        input: [x]
        vars:
          - y: '{{ ctx("x") * 2 }}'
          - z: [1, 2]
        tasks:
          t: {action: core.noop}
        output:
          - out: 'got {{ ctx("y") }} {{ ctx("z") }}'
        """)
    assert [k for k, _ in defn.vars] == ["y", "z"]
    assert render(dict(defn.vars)["y"], x=2) == 4
    assert render(dict(defn.outputs)["out"], y=None, z=["a"]) == "got None ['a']"


# -- transitions ------------------------------------------------------------------------------


def test_publish_inline_string_list_and_mapping() -> None:
    """publish is key=value text, a list of one-key mappings, or a mapping."""
    defn = load("""\
        version: 1.0
        tasks:
          t:
            action: core.noop
            next:
              - publish: a=1 b="two words" c={{ result() }}
                do: u
              - publish:
                  - d: 4
                  - e: '{{ ctx("d") }}'
                do: u
              - publish: {f: 6}
                do: u
          u: {action: core.noop}
        """)
    first, second, third = defn.task("t").transitions
    assert [k for k, _ in first.publish] == ["a", "b", "c"]
    assert dict(first.publish)["b"] == Const("two words")
    assert [k for k, _ in second.publish] == ["d", "e"]
    assert [k for k, _ in third.publish] == ["f"]


def test_do_as_string_list_or_absent() -> None:
    """do is a comma-separated string, a list, or absent (continue)."""
    defn = load("""\
        version: 1.0
        tasks:
          t:
            action: core.noop
            next:
              - do: a, b
              - do: [c]
              - when: '{{ failed() }}'
          a: {action: core.noop}
          b: {action: core.noop}
          c: {action: core.noop}
        """)
    first, second, third = defn.task("t").transitions
    assert first.targets == ("a", "b")
    assert second.targets == ("c",)
    assert third.targets == ("continue",)
    assert third.when_source == "{{ failed() }}"


def test_engine_commands_are_valid_targets() -> None:
    """noop and fail are engine commands usable in do."""
    defn = load("""\
        version: 1.0
        tasks:
          t:
            action: core.noop
            next:
              - when: '{{ failed() }}'
                do: [noop, fail]
        """)
    assert defn.task("t").transitions[0].targets == ("noop", "fail")


def test_do_retry_becomes_a_retry_spec() -> None:
    """`do: retry` is no edge: it gives the task a retry of 3 on its condition."""
    defn = load("""\
        version: 1.0
        tasks:
          t:
            action: core.http
            next:
              - when: '{{ result().status_code != 200 }}'
                do: retry
              - do: u
          u: {action: core.noop}
          v:
            action: core.http
            next:
              - do: [retry, u]
        """)
    task = defn.task("t")
    assert task.retry is not None
    assert task.retry.count == Const(3)
    assert task.retry.when is not None
    assert list(task.retry.when.sources()) == ["{{ result().status_code != 200 }}"]
    assert [t.targets for t in task.transitions] == [("u",)]
    other = defn.task("v")
    assert other.retry is not None and other.retry.when is not None
    assert list(other.retry.when.sources()) == ["{{ completed() }}"]
    assert [t.targets for t in other.transitions] == [("u",)]


def test_undefined_targets_are_reported_at_their_do_with_a_hint() -> None:
    """A target naming no task is T201 on the line of that transition's do."""
    _, diagnostics = check("""\
        version: 1.0
        tasks:
          build:
            action: core.noop
            next:
              - when: '{{ succeeded() }}'
                do: deploy
              - when: '{{ failed() }}'
                do: [notfy]
          deploy: {action: core.noop}
          notify: {action: core.noop}
        """)
    assert [(d.code, d.line, d.task, d.path) for d in diagnostics] == [
        ("T201", 9, "build", "tasks.build.next[1].do")]
    assert "'notify'" in diagnostics[0].message


# -- with, retry, join, delay -----------------------------------------------------------------


def test_with_shorthand_forms() -> None:
    """`x in <e>`, `a, b in <e>` and a bare expression set the item names."""
    defn = load("""\
        version: 1.0
        input: [xs, hosts, cmds]
        tasks:
          one:
            action: core.echo
            with: x in {{ ctx("xs") }}
          two:
            action: core.echo
            with: host, cmd in {{ zip(ctx("hosts"), ctx("cmds")) }}
          bare:
            action: core.echo
            with: '{{ ctx("xs") }}'
          full:
            action: core.echo
            with:
              items: y in {{ ctx("xs") }}
              concurrency: 2
        """)
    one, two, bare, full = (defn.task(n).iteration for n in ("one", "two", "bare", "full"))
    assert one is not None and two is not None and bare is not None and full is not None
    assert one.names == ("x",)
    assert render(one.items, xs=[1, 2]) == [1, 2]
    assert one.concurrency is None
    assert two.names == ("host", "cmd")
    assert two.source == 'host, cmd in {{ zip(ctx("hosts"), ctx("cmds")) }}'
    assert bare.names == ()
    assert (full.names, full.concurrency) == (("y",), Const(2))


def test_retry_mapping() -> None:
    """retry keeps count, delay and when."""
    defn = load("""\
        version: 1.0
        tasks:
          t:
            action: core.http
            retry: {count: 2, delay: 5, when: '{{ failed() }}'}
        """)
    retry = defn.task("t").retry
    assert retry is not None
    assert (retry.count, retry.delay) == (Const(2), Const(5))
    assert retry.when is not None


def test_retry_needs_a_count_and_known_keys() -> None:
    """A retry without count or with unknown keys is reported."""
    assert errors("""\
        version: 1.0
        tasks:
          t:
            action: core.http
            retry:
              delay: 5
              backoff: linear
        """) == [("T104", 6, "t"), ("T102", 7, "t")]


def test_join_all_and_number() -> None:
    """join is all or a positive number of inbound tasks."""
    defn = load("""\
        version: 1.0
        tasks:
          a: {action: core.noop, next: [{do: [c, d]}]}
          b: {action: core.noop, next: [{do: [c, d]}]}
          c: {action: core.noop, join: all}
          d: {action: core.noop, join: 1}
        """)
    assert defn.task("c").join == "all"
    assert defn.task("d").join == 1


def test_delay_and_timeout() -> None:
    """delay and Troupe's timeout are numbers or expressions."""
    defn = load("""\
        version: 1.0
        tasks:
          t: {action: core.noop, delay: 2, timeout: '{{ 3 * 2 }}'}
        """)
    task = defn.task("t")
    assert task.delay == Const(2)
    assert task.timeout is not None and render(task.timeout) == 6


# -- diagnostics ------------------------------------------------------------------------------


def test_reserved_names_cannot_be_tasks() -> None:
    """Engine command names are reserved."""
    assert errors("""\
        version: 1.0
        tasks:
          fail: {action: core.noop}
          retry: {action: core.noop}
          ok: {action: core.noop}
        """) == [("T202", 3, "fail"), ("T202", 4, "retry")]


def test_bad_task_names_are_reported() -> None:
    """Task names are word characters only."""
    assert errors("version: 1.0\ntasks:\n  my-task: {action: core.noop}\n") == [
        ("T206", 3, "my-task")]


def test_unknown_keys_are_reported_at_the_key() -> None:
    """Unknown keys at top level, in a task and in a transition are T102."""
    assert errors("""\
        version: 1.0
        inputs: [a]
        tasks:
          t:
            action: core.noop
            on-success: u
            next:
              - do: u
                publsh: {a: 1}
          u: {action: core.noop}
        """) == [("T102", 2, None), ("T102", 6, "t"), ("T102", 9, "t")]


def test_yaml_syntax_error_is_reported_with_its_line() -> None:
    """Text that is not YAML gives one T100 with the parser's position."""
    defn, diagnostics = check("""\
        version: 1.0
        tasks:
          t:
            action: core.noop
            input: {a: 1
          u: {action: core.noop}
        """)
    assert defn is None
    assert [(d.code, d.line) for d in diagnostics] == [("T100", 6)]


def test_document_that_is_not_a_mapping_is_reported() -> None:
    """A YAML list is not a workflow."""
    assert [d.code for d in check("- a\n- b\n")[1]] == ["T101"]


def test_duplicate_keys_are_reported() -> None:
    """Keys written twice, task names or nested keys, are T105 at the second one."""
    assert errors("""\
        version: 1.0
        tasks:
          t:
            action: core.noop
          t:
            action: core.echo
            input:
              msg: a
              msg: b
        """) == [("T105", 5, None), ("T105", 9, "t")]


@pytest.mark.parametrize(
    ("task", "line"),
    [
        ("{action: 5}", 3),
        ("{action: core.noop, input: 5}", 3),
        ("{action: core.noop, next: {do: t}}", 3),
        ("{action: core.noop, next: [{do: [1]}]}", 3),
        ("{action: core.noop, retry: 3}", 3),
        ("{action: core.noop, with: {items: 5}}", 3),
        ("{action: core.noop, delay: [1]}", 3),
        ("5", 3),
    ],
)
def test_wrong_types_are_reported(task: str, line: int) -> None:
    """Values of the wrong shape are T103."""
    assert errors(f"version: 1.0\ntasks:\n  t: {task}\n") == [("T103", line, "t")]


def test_top_level_wrong_types_are_reported() -> None:
    """input, vars and output have fixed shapes."""
    assert errors("""\
        version: 1.0
        input: 5
        vars: [1]
        tasks:
          t: {action: core.noop}
        output: abc
        """) == [("T103", 2, None), ("T103", 3, None), ("T103", 6, None)]


def test_with_items_without_action_is_reported() -> None:
    """A with-items task needs an action."""
    assert errors("version: 1.0\ntasks:\n  t:\n    with: '{{ [1] }}'\n") == [
        ("T203", 4, "t")]


def test_workflow_without_start_task_is_reported() -> None:
    """A pure cycle has no start task."""
    assert errors("""\
        version: 1.0
        tasks:
          a: {action: core.noop, next: [{do: b}]}
          b: {action: core.noop, next: [{do: a}]}
        """) == [("T204", 3, None)]


def test_unsatisfiable_join_is_reported() -> None:
    """join: N above the number of inbound tasks never fires; join: all needs an inbound."""
    assert errors("""\
        version: 1.0
        tasks:
          a: {action: core.noop, next: [{do: c}]}
          c:
            action: core.noop
            join: 2
          d:
            action: core.noop
            join: all
        """) == [("T205", 6, "c"), ("T205", 9, "d")]


def test_join_after_nested_splits_is_ambiguous() -> None:
    """A join fed from inside a nested split cannot tell at which level to join."""
    codes = [(d.code, d.task) for d in check("""\
        version: 1.0
        tasks:
          a: {action: core.noop, next: [{do: [b, c]}]}
          s1: {action: core.noop, next: [{do: b}]}
          b: {action: core.noop, next: [{do: [d, e]}]}
          c: {action: core.noop, next: [{do: j}]}
          d: {action: core.noop, next: [{do: j}]}
          e: {action: core.noop}
          j: {action: core.noop, join: all}
        """)[1]]
    assert codes == [("T207", "j")]


def test_jinja_syntax_errors_are_reported_with_the_task() -> None:
    """Broken Jinja anywhere is T301 located at its key."""
    assert errors("""\
        version: 1.0
        tasks:
          t:
            action: core.echo
            input:
              msg: '{{ ctx( }}'
            next:
              - when: '{% if %}'
                do: u
          u: {action: core.noop}
        output:
          - x: '{{ 1 + }}'
        """) == [("T301", 6, "t"), ("T301", 8, "t"), ("T301", 12, None)]


def test_yaql_validates_and_mixing_it_with_jinja_is_t303() -> None:
    """<% %> is YAQL (valid); broken YAQL is T301; YAQL and Jinja in one string is T303."""
    assert errors("""\
        version: 1.0
        input: [a]
        tasks:
          t:
            action: <% $.a %>
            next:
              - publish: x=<% result() %>
                do: u
          u:
            action: core.echo message="<% ctx(x) %> {{ ctx('x') }}"
            next:
              - when: <% ctx( %>
        """) == [("T303", 10, "u"), ("T301", 12, "u")]


def test_publish_entries_are_located_each_at_its_own_line_and_column() -> None:
    """T30x diagnostics inside a publish list or mapping name that entry's value, not the first."""
    _, diagnostics = check("""\
        version: 1.0
        tasks:
          t:
            action: core.noop
            next:
              - publish:
                  - a: <% result() %> {{ 1 }}
                  - b: "{{ ctx('nothing') }}"
                  - c:   "{{ 1 + }}"
                do: u
          u:
            action: core.noop
            next:
              - publish:
                  x: "{{ 1 }}"
                  y: <% 2 %>{{ 3 }}
        """)
    found = [(d.code, d.line, d.column, d.path) for d in diagnostics]
    assert found == [
        ("T303", 7, 16, "tasks.t.next[0].publish.a"),
        ("T302", 8, 16, "tasks.t.next[0].publish.b"),
        ("T301", 9, 18, "tasks.t.next[0].publish.c"),
        ("T303", 16, 14, "tasks.u.next[0].publish.y"),
    ]


def test_ctx_names_defined_nowhere_upstream_are_reported() -> None:
    """ctx() must read an input, a var or a name published on a path leading here."""
    assert errors("""\
        version: 1.0
        input: [given]
        vars:
          - v: '{{ ctx("given") }}'
        tasks:
          first:
            action: core.echo
            input: {a: '{{ ctx("given") }}', b: '{{ ctx("v") }}'}
            next:
              - publish: [{made: 1}]
                do: second
          second:
            action: core.echo
            input: {c: '{{ ctx("made") }}'}
            next:
              - when: '{{ ctx().made > 0 and ctx("other") }}'
                publish: [{again: '{{ ctx("made") }}'}]
                do: third
          third:
            action: core.echo
            input: {d: '{{ ctx("again") }}'}
          elsewhere:
            action: core.echo
            input: {e: '{{ ctx("made") }}'}
        output:
          - out: '{{ ctx("again") }}'
          - wrong: '{{ ctx("never") }}'
        """) == [("T302", 16, "second"), ("T302", 24, "elsewhere"), ("T302", 27, None)]


def test_all_problems_of_a_file_are_reported_together() -> None:
    """Five different mistakes give five diagnostics with distinct codes and their lines."""
    defn, diagnostics = check("""\
        version: 1.0
        tasks:
          noop:
            action: core.noop
          start:
            action: core.echo
            timeoutt: 5
            next:
              - when: '{{ succeeded( }}'
                do: finish
              - do: finsh
          finish:
            action: core.echo
            input: {m: '{{ ctx("nothing") }}'}
        """)
    assert defn is None
    assert [(d.code, d.line, d.task) for d in diagnostics] == [
        ("T202", 3, "noop"), ("T102", 7, "start"), ("T301", 9, "start"),
        ("T201", 11, "start"), ("T302", 14, "finish")]
    assert len({d.code for d in diagnostics}) == 5


def test_diagnostics_name_the_file(tmp_path: Path) -> None:
    """Loading from a path puts the path in every diagnostic."""
    path = tmp_path / "wf.yaml"
    path.write_text("version: 1.0\ntasks:\n  t: {action: core.noop, nxt: []}\n",
                    encoding="utf-8")
    _, diagnostics = validate(str(path))
    assert [(d.code, d.file, d.line) for d in diagnostics] == [("T102", str(path), 3)]


def test_unknown_actions_are_reported_when_a_check_is_given() -> None:
    """validate(action_exists=...) reports constant actions that do not exist."""
    _, diagnostics = check("""\
        version: 1.0
        tasks:
          t: {action: core.echo}
          u: {action: nope.nothing}
        """, action_exists=lambda ref: ref.startswith("core."))
    assert [(d.code, d.line, d.task) for d in diagnostics] == [("T401", 4, "u")]


# -- dialects ---------------------------------------------------------------------------------


def test_dialect_is_detected_from_the_document() -> None:
    """Tasks as a list, or Attune-only top-level keys, mean Attune."""
    assert detect_dialect({"tasks": {"a": {}}}) is Dialect.ORQUESTA
    assert detect_dialect({"tasks": [{"name": "a"}]}) is Dialect.ATTUNE
    assert detect_dialect({"ref": "x", "tasks": {}}) is Dialect.ATTUNE
    assert detect_dialect({"output_map": {}}) is Dialect.ATTUNE
    assert detect_dialect(["not", "a", "mapping"]) is Dialect.ORQUESTA


def test_dialect_can_be_forced() -> None:
    """validate(dialect=...) overrides detection."""
    text = "version: '1.0.0'\ntasks:\n  - name: a\n    action: core.echo\n"
    attune, diagnostics = validate(text)
    assert diagnostics == [] and attune is not None
    assert attune.dialect is Dialect.ATTUNE
    forced, diagnostics = validate(text, dialect="orquesta")
    assert forced is None
    assert [(d.code, d.line) for d in diagnostics] == [("T106", 1), ("T103", 3)]
    orquesta_text = "version: 1.0\ntasks:\n  a: {action: core.echo}\n"
    _, diagnostics = validate(orquesta_text, dialect="attune")
    assert [(d.code, d.line) for d in diagnostics] == [("T103", 1), ("T103", 3)]
    defn, _ = validate(orquesta_text, dialect=Dialect.ORQUESTA)
    assert defn is not None and defn.dialect is Dialect.ORQUESTA


def test_plain_mapping_documents_load() -> None:
    """An already parsed dict loads without marks."""
    defn, diagnostics = validate({"version": 1.0, "tasks": {"t": {"action": "core.noop"}}})
    assert diagnostics == [] and defn is not None
    assert defn.task("t").action_ref == "core.noop"
    assert defn.tasks == pmap({"t": defn.task("t")})


# -- inline arguments -------------------------------------------------------------------------


def test_inline_bare_words_stay_text() -> None:
    """Only numbers, true/false and null are typed; YAML-isms like `on` or dates stay text."""
    assert parse_inline_args("a=on b=yes c=2024-01-01 d=12:30 e=-1.5 f=True g=null h=0x10") == {
        "a": "on", "b": "yes", "c": "2024-01-01", "d": "12:30", "e": -1.5, "f": True,
        "g": None, "h": "0x10"}


def test_inline_values_of_every_kind() -> None:
    """Quoted strings, templates, lists, mappings and commas as separators all parse."""
    assert parse_inline_args("""a='x "y"', b="it's" c={{ ctx("a") }} d=[1, 2] e={k: v}""") == {
        "a": 'x "y"', "b": "it's", "c": '{{ ctx("a") }}', "d": [1, 2], "e": {"k": "v"}}


@pytest.mark.parametrize("text", ["msg", "a='open", "a=[1, 2", "a={{ x", "a=[{{ x }}]"])
def test_inline_garbage_raises_value_error(text: str) -> None:
    """Text that is not key=value pairs raises ValueError (reported as T402)."""
    with pytest.raises(ValueError, match=r".+"):
        parse_inline_args(text)


_KEYS = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
_WORDS = st.from_regex(r"[A-Za-z][A-Za-z_]{0,10}", fullmatch=True).filter(
    lambda w: w.lower() not in ("true", "false", "null"))
_QUOTED = st.text(st.characters(codec="utf-8", exclude_characters="\"'\\\x00",
                                exclude_categories=("Cs", "Cc")), max_size=20)
_VALUES = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12).map(lambda i: (str(i), i)),
    st.booleans().map(lambda b: (str(b).lower(), b)),
    _QUOTED.map(lambda s: (f'"{s}"', s)),
    _QUOTED.map(lambda s: (f"'{s}'", s)),
    _WORDS.map(lambda w: (w, w)),
)


@settings(max_examples=200, deadline=None, database=None)
@given(st.dictionaries(_KEYS, _VALUES, max_size=6), st.sampled_from([" ", ", ", ",", "  "]))
def test_inline_args_round_trip(pairs: dict[str, tuple[str, Any]], separator: str) -> None:
    """Generated key=value text parses back to the values it was written from."""
    text = separator.join(f"{key}={written}" for key, (written, _) in pairs.items())
    parsed = parse_inline_args(text)
    expected = {key: value for key, (_, value) in pairs.items()}
    assert parsed == expected
    assert [type(v) for v in parsed.values()] == [type(v) for v in expected.values()]
