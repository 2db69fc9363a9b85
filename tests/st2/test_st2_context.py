"""``ctx().st2``: StackStorm's runtime context in Orquesta workflows, in Jinja and YAQL,
declared to the static ``ctx()`` check, journaled with the execution's first event."""

from __future__ import annotations

import dataclasses
import getpass
import textwrap

import pytest
from pyrsistent import pmap

from runtime import Engine, start_workflow
from runtime.daemon.process import api_url
from runtime.daemon.settings import load_settings
from runtime.driver import run_sync
from runtime.events import WorkflowRequested
from runtime.spec import load_workflow, validate
from runtime.st2_context import ST2_KEYS, environment
from runtime.store.codec import decode, encode

pytestmark = pytest.mark.timeout(60)

READS = textwrap.dedent("""\
    version: 1.0
    input:
      - who: '{{ ctx().st2.user }}'
    tasks:
      a:
        action: troupe.echo message="<% ctx(st2).action_execution_id %>"
        next:
          - publish: [said: '{{ result() }}']
    output:
      - st2: '{{ ctx().st2 }}'
      - who: '{{ ctx("who") }}'
      - said: '<% ctx(said) %>'
      - yaql_user: <% $.st2.user %>
      - url: '{{ ctx("st2").api_url }}'
    """)


def _output(**env: str) -> dict[str, object]:
    record = run_sync(load_workflow(READS), execution_id="ex1", environment=env)
    assert record.status.value == "succeeded"
    return dict(record.state.output)


def test_both_languages_read_the_st2_context() -> None:
    out = _output(user="ada", api_url="http://127.0.0.1:8765/api/v1")
    assert dict(out["st2"]) == {  # type: ignore[call-overload]
        "action_execution_id": "ex1", "workflow_execution_id": "ex1", "user": "ada",
        "api_url": "http://127.0.0.1:8765/api/v1", "pack": None}
    assert set(out["st2"]) == set(ST2_KEYS)  # type: ignore[call-overload]
    assert (out["who"], out["said"], out["yaql_user"], out["url"]) == (
        "ada", "ex1", "ada", "http://127.0.0.1:8765/api/v1")


def test_without_an_environment_the_values_are_null() -> None:
    out = _output()
    assert (out["who"], out["url"]) == (None, None)


def test_the_static_check_knows_st2_and_still_reports_the_rest() -> None:
    defn, diagnostics = validate(READS)
    assert defn is not None and diagnostics == []
    _, bad = validate(READS.replace("ctx(said)", "ctx(st3)"))
    assert [(d.code, d.path) for d in bad] == [("T302", "output.said")]


def test_an_input_named_st2_replaces_it() -> None:
    text = ("version: 1.0\ninput: [st2]\ntasks:\n  a: {action: core.noop}\n"
            "output:\n  - v: '{{ ctx().st2 }}'\n")
    record = run_sync(load_workflow(text), {"st2": 5}, environment={"user": "ada"})
    assert record.state.output["v"] == 5


def test_start_workflow_fills_the_user_and_the_execution_id() -> None:
    handle = start_workflow(READS, user="grace", execution_id="ab12")
    result = handle.wait(timeout=30)
    assert result.status == "succeeded"
    assert (result.output["who"], result.output["said"], result.output["url"]) == (
        "grace", "ab12", None)
    default = start_workflow(READS).wait(timeout=30)
    assert default.output["who"] == getpass.getuser()
    assert default.output["said"] == default.execution_id


def test_an_engine_journals_the_environment(tmp_path: object) -> None:
    with Engine(f"sqlite:///{tmp_path}/t.db", user="lin", api_url="http://x/api/v1") as engine:
        result = engine.start_workflow(READS).wait(timeout=30)
    assert (result.output["who"], result.output["url"]) == ("lin", "http://x/api/v1")
    event = WorkflowRequested(execution_id="e", environment=environment({"user": "lin"}))
    assert decode(*encode(event)) == event


def test_the_daemon_gives_its_api_url() -> None:
    settings = load_settings({"listen": "127.0.0.1:8765"}, {})
    assert api_url(settings) == "http://127.0.0.1:8765/api/v1"
    assert api_url(dataclasses.replace(settings, host="::1")) == "http://[::1]:8765/api/v1"
    assert api_url(dataclasses.replace(settings, port=0)) is None
    assert environment({}) == pmap({"user": getpass.getuser(), "api_url": None})
