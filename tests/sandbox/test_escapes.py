"""The published Jinja sandbox-escape payloads are refused in both dialects and in YAQL, and
nothing of the engine (the machine's Tx, the scope's internals) is reachable from a template."""

from __future__ import annotations

from typing import Any

import pytest
from pyrsistent import pmap

from runtime import start_workflow
from runtime.errors import ExpressionError, ValidationFailed
from runtime.templating import Scope, compile_value

pytestmark = pytest.mark.timeout(30)

JINJA_PAYLOADS = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__.__mro__ }}",
    "{{ [].__class__.__base__.__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ lipsum.__globals__ }}",
    "{{ range.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ self.__init__.__globals__ }}",
    "{{ ''|attr('__class__')|attr('__mro__') }}",
    "{{ ()|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
    "{{ request|attr('application') }}",
    "{{ '{0.__class__.__mro__}'.format(1) }}",
    "{{ '{0.__globals__}'.format(lipsum) }}",
    "{{ '{x.__class__}'.format_map({'x': 1}) }}",
    "{{ '%s'|format(lipsum.__globals__) }}",
    "{{ config.__class__ }}",
    "{{ dict.__class__ }}",
    "{{ (1).__class__.__subclasses__() }}",
    "{{ x.__class__ }}",
    "{{ x.__dict__ }}",
    "{{ (lambda: 1) }}",
    "{% for c in ''.__class__.__mro__ %}{{ c }}{% endfor %}",
    "{{ get_flashed_messages.__globals__ }}",
    "{{ url_for.__globals__ }}",
]
"""Payloads from the public Jinja SSTI write-ups, adapted to the names our templates see."""

ORQUESTA_ONLY = [
    "{{ ctx.__globals__ }}",
    "{{ result.__globals__ }}",
    "{{ item.__code__ }}",
    "{{ json.__globals__ }}",
]

ATTUNE_ONLY = [
    "{{ parameters.__class__ }}",
    "{{ workflow.__class__.__mro__ }}",
    "{{ task.__class__ }}",
    "{{ match.__globals__ }}",
    "{{ length.__globals__ }}",
]

YAQL_PAYLOADS = [
    "<% $.__class__ %>",
    "<% ''.__class__ %>",
    "<% '{0.__class__}'.format(1) %>",
    "<% ctx().__class__ %>",
    "<% call('eval', ['1'], {}) %>",
    "<% 'x'.format(1) %>",
    "<% $__troupe_scope %>",
    "<% $__troupe_scope.ctx %>",
    "<% let(a => $__troupe_scope) -> $a %>",
]


def _refused(source: str, dialect: str) -> ExpressionError:
    node = compile_value(source, dialect, task="t", field="input.x")
    with pytest.raises(ExpressionError) as caught:
        node.render(Scope(pmap({"x": 1})))
    return caught.value


@pytest.mark.parametrize("dialect", ["orquesta", "attune"])
@pytest.mark.parametrize("payload", JINJA_PAYLOADS)
def test_jinja_escape_payloads_are_refused(payload: str, dialect: str) -> None:
    try:
        error = _refused(payload, dialect)
    except ExpressionError as at_compile:  # refused at load is as good
        error = at_compile
    assert error.expression == payload


@pytest.mark.parametrize("payload", ORQUESTA_ONLY)
def test_orquesta_functions_do_not_expose_their_globals(payload: str) -> None:
    assert _refused(payload, "orquesta").expression == payload


@pytest.mark.parametrize("payload", ATTUNE_ONLY)
def test_attune_names_do_not_expose_internals(payload: str) -> None:
    assert _refused(payload, "attune").expression == payload


@pytest.mark.parametrize("payload", YAQL_PAYLOADS)
def test_yaql_escape_payloads_are_refused(payload: str) -> None:
    try:
        error = _refused(payload, "orquesta")
    except ExpressionError as at_compile:
        error = at_compile
    assert error.expression == payload


def _scope_leaks(value: Any) -> bool:
    text = repr(value)
    return any(name in text for name in ("Tx", "WorkflowState", "Scope(", "evolver"))


@pytest.mark.parametrize("source", [
    "{{ ctx() }}", "{{ ctx() | list }}", "{{ result() }}",
])
def test_the_machine_is_not_reachable_from_a_template(source: str) -> None:
    """What an expression sees of the engine is data: the context, results; never the
    machine's Tx or state."""
    workflow = f"""
version: 1.0
input: [{{a: 1}}]
tasks:
  t:
    action: core.noop
    next: [{{publish: [{{seen: "{source}"}}]}}]
output: [{{seen: '{{{{ ctx("seen") }}}}'}}]
"""
    result = start_workflow(workflow).wait(timeout=20)
    assert result.status == "succeeded", result.errors
    assert not _scope_leaks(result.output["seen"])


@pytest.mark.parametrize("source", [
    "{{ ctx().__class__ }}", "{{ ctx()._evolver }}", "{{ result().__init__ }}",
    "{{ __troupe_scope }}", "{{ __troupe_scope.ctx }}", "{{ ctx(__troupe_scope) }}",
    "<% $__troupe_scope %>",
])
def test_engine_internals_are_refused_in_a_running_workflow(source: str) -> None:
    """Refused at load (a located diagnostic) or at run time (an expression error)."""
    workflow = f"""
version: 1.0
tasks:
  t:
    action: core.noop
    next: [{{publish: [{{seen: "{source}"}}]}}]
"""
    try:
        result = start_workflow(workflow).wait(timeout=20)
    except ValidationFailed as refused:
        assert {d.task for d in refused.diagnostics} == {"t"}
        return
    assert result.status == "failed"
    assert [(e.kind, e.task) for e in result.errors] == [("expression", "t")]


@pytest.mark.parametrize(("dialect", "source"), [
    ("orquesta", "{{ __troupe_scope }}"), ("attune", "{{ __troupe_scope }}"),
    ("orquesta", "{% set s = __troupe_scope %}{{ s }}"), ("orquesta", "<% $__troupe_scope %>"),
])
def test_the_scope_name_is_refused_at_compile(dialect: str, source: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_value(source, dialect, task="t", field="input.x")
    assert caught.value.expression == source
