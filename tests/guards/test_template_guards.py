"""Runaway templates fail within a second with a located error naming the guard, in both
Jinja dialects and in YAQL; ordinary templates are untouched (runtime.templating.guards)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyrsistent import pmap

from runtime.errors import ExpressionError
from runtime.limits import DEFAULT_LIMITS, Limits
from runtime.templating import Scope, compile_value
from runtime.templating.guards import use_limits

pytestmark = pytest.mark.timeout(30)

CATASTROPHIC = ("a" * 40 + "b", "(a|aa)+$")
"""A subject and pattern whose backtracking takes far longer than a second (with re and
with regex alike)."""


@pytest.fixture(autouse=True)
def _default_limits() -> Iterator[None]:
    previous = use_limits(DEFAULT_LIMITS)
    yield
    use_limits(previous)


def render(source: str, dialect: str = "orquesta", **ctx: Any) -> Any:
    return compile_value(source, dialect, task="t", field="input.x").render(Scope(pmap(ctx)))


def refused(source: str, dialect: str = "orquesta") -> ExpressionError:
    # this process's CPU time, so that other processes' load on the machine does not count
    started = time.process_time()
    with pytest.raises(ExpressionError) as caught:
        render(source, dialect)
    error = caught.value
    # size guards fail before the work; the wall-time guard within ~a second of its limit
    # (the rest of the second is slack for a loaded 2-core machine)
    allowed = 1.0 + (DEFAULT_LIMITS.render_max_ms / 1000 if error.limit == "render_max_ms" else 0)
    assert time.process_time() - started < allowed, "a runaway render must fail within a second"
    assert (error.task, error.field, error.expression) == ("t", "input.x", source)
    return error


RUNAWAYS = [
    ("orquesta", "{{ 10**(10**9) }}", "template_max_int_bits"),
    ("orquesta", "{{ 2**(2**40) }}", "template_max_int_bits"),
    ("attune", "{{ 10**(10**9) }}", "template_max_int_bits"),
    ("orquesta", "{{ (10**10000) * (10**10000) }}", "template_max_int_bits"),
    ("orquesta", "{{ 'a'*10**10 }}", "template_max_chars"),
    ("attune", "{{ 'a'*10**10 }}", "template_max_chars"),
    ("orquesta", "{{ [1]*10**9 }}", "template_max_items"),
    ("attune", "{{ [1]*10**9 }}", "template_max_items"),
    ("orquesta", "{{ '%999999999d'|format(1) }}", "template_max_width"),
    ("orquesta", "{{ '%*d'|format(999999999, 1) }}", "template_max_width"),
    ("orquesta", "{{ '%999999999d' % 1 }}", "template_max_width"),
    ("orquesta", "{{ '{:999999999}'.format(1) }}", "template_max_width"),
    ("orquesta", "{{ '{:{w}}'.format(1, w=999999999) }}", "template_max_width"),
    ("orquesta", "{{ 'x'.ljust(10**9) }}", "template_max_width"),
    ("orquesta", "{{ 'x'|center(999999999) }}", "template_max_width"),
    ("orquesta", "{{ ('a'*1000)|replace('a', 'a'*100000) }}", "template_max_chars"),
    ("attune", "{{ replace('a'*1000, 'a', 'a'*100000) }}", "template_max_chars"),
    ("orquesta", "{{ lipsum(n=10**6) }}", "template_max_chars"),
    ("attune", "{{ lipsum(n=10**6) }}", "template_max_chars"),
    ("orquesta", "{% for i in range(100000) %}{% for j in range(100000) %}.{% endfor %}"
                 "{% endfor %}", "template_max_iterations"),
    ("attune", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}"
               "{% endfor %}", "template_max_iterations"),
    ("orquesta", "{% set ns = namespace(s='ab') %}{% for i in range(64) %}"
                 "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
     "template_max_chars"),
    ("orquesta", "{% set l = [1] %}{% for i in range(64) %}{{ l.extend(l) }}{% endfor %}",
     "template_max_items"),
    ("orquesta", f"{{{{ '{CATASTROPHIC[0]}'|regex_match('{CATASTROPHIC[1]}') }}}}",
     "render_max_ms"),
    ("orquesta", f"{{{{ '{CATASTROPHIC[0]}'|regex_replace('{CATASTROPHIC[1]}', '') }}}}",
     "render_max_ms"),
    ("attune", f"{{{{ match('{CATASTROPHIC[0]}', '{CATASTROPHIC[1]}') }}}}", "render_max_ms"),
    ("orquesta", "<% pow(10, 1000000000) %>", "template_max_int_bits"),
    ("orquesta", "<% range(1000000000).len() %>", "render_max_ms"),
    ("orquesta", f"<% '{CATASTROPHIC[0]}' =~ '{CATASTROPHIC[1]}' %>", "render_max_ms"),
    ("orquesta", f"<% '{CATASTROPHIC[0]}'.matches('{CATASTROPHIC[1]}') %>", "render_max_ms"),
]


@pytest.mark.parametrize(("dialect", "source", "limit"), RUNAWAYS)
def test_a_runaway_template_fails_fast_naming_its_guard(dialect: str, source: str,
                                                       limit: str) -> None:
    assert refused(source, dialect).limit == limit


def test_attune_range_is_lazy() -> None:
    """Attune's range() used to build a real list (19 s, then MemoryError)."""
    started = time.process_time()
    assert render("{{ range(10**9)|length }}", "attune") == 10**9
    assert render("{{ range(3) }}", "attune") == [0, 1, 2]
    assert time.process_time() - started < 1


def test_the_wall_time_limit_is_configurable() -> None:
    """render_max_ms bounds a render whose every step is small (a long Python-level loop)."""
    use_limits(DEFAULT_LIMITS.but(render_max_ms=50, template_max_iterations=0))
    started = time.process_time()
    with pytest.raises(ExpressionError) as caught:
        render("{% for i in range(10**6) %}{% for j in range(10**6) %}{% endfor %}{% endfor %}")
    assert caught.value.limit == "render_max_ms"
    assert time.process_time() - started < 1


def test_a_guard_of_0_is_off() -> None:
    use_limits(DEFAULT_LIMITS.but(template_max_int_bits=0))
    assert render("{{ 2**70000 }}") == 2**70000


def test_the_environment_sets_the_template_limits() -> None:
    limits = Limits.from_env({"TROUPE_TEMPLATE_MAX_CHARS": "10", "TROUPE_RENDER_MAX_MS": "5"})
    assert (limits.template_max_chars, limits.render_max_ms) == (10, 5)
    use_limits(limits)
    assert refused("{{ 'a'*11 }}").limit == "template_max_chars"
    assert refused("{% for i in range(11) %}x{% endfor %}").limit == "template_max_chars"


ORDINARY = [
    ("orquesta", "{{ 2**10 }}-{{ 'ab'*3 }}", "1024-ababab"),
    ("orquesta", "{% for i in range(3) %}{{ i ~ '-' }}{% endfor %}", "0-1-2-"),
    ("orquesta", "{{ '%s-%05d'|format('a', 3) }}", "a-00003"),
    ("orquesta", "{{ '{0}-{1:>5}'.format('a', 3) }}", "a-    3"),
    ("orquesta", "{{ 'abc'|regex_replace('b', 'x') }}", "axc"),
    ("orquesta", "{{ 'x'|center(5) }}", "  x  "),
    ("orquesta", "{{ [1, 2] * 2 }}", [1, 2, 1, 2]),
    ("attune", "{{ match('abc', '^a.c$') }}", True),
    ("attune", "{{ replace('abc', 'b', 'yy') }}", "ayyc"),
    ("orquesta", "<% pow(2, 10) %>", 1024),
    ("orquesta", "<% 6 * 7 %>", 42),
    ("orquesta", "<% 'abc' =~ 'b' %>", True),
    ("orquesta", "<% 'abc' !~ 'b' %>", False),
    ("orquesta", "<% list(range(2, 5)) %>", (2, 3, 4)),
]


@pytest.mark.parametrize(("dialect", "source", "expected"), ORDINARY)
def test_ordinary_templates_are_untouched(dialect: str, source: str, expected: Any) -> None:
    assert render(source, dialect) == expected


@given(st.integers(-(2**64), 2**64), st.integers(0, 64))
def test_small_powers_and_products_agree_with_python(base: int, exponent: int) -> None:
    assert render("{{ ctx('b') ** ctx('e') }}", b=base, e=exponent) == base**exponent
    assert render("{{ ctx('b') * ctx('b') }}", b=base) == base * base
