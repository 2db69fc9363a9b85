"""``st2kv(key, decrypt=false)`` and ``decrypt_kv`` in Jinja and YAQL workflows, run through
``start_workflow`` (the default file store) and an :class:`Engine` (its own store, read
through its journal); a missing key; masking of what is decrypted; the start snapshot."""

from __future__ import annotations

import json
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runtime import start_workflow
from runtime.cli import main
from runtime.engine import Engine
from runtime.events import WorkflowRequested
from runtime.kv import crypto
from runtime.progress import ProgressEvent
from runtime.status import WorkflowStatus
from runtime.store import KvRow, MemoryStore, Store, default_store_url, open_store
from runtime.store.codec import decode

pytestmark = pytest.mark.timeout(60)

SECRET = "hunter2-very-secret"


def workflow(expression: str, publish: str | None = None) -> str:
    """One task echoing ``expression``; the output ``value`` is its result (or ``publish``)."""
    return textwrap.dedent(f"""\
        version: 1.0
        tasks:
          one:
            action: t.echo
            input:
              message: "{expression}"
            next:
              - publish:
                  - value: "{publish or '<% result() %>'}"
        output:
          - value: <% ctx().value %>
        """)


def echo(message: Any = None) -> Any:
    return message


def fill(store: Store) -> None:
    """The pairs every test reads."""
    now = time.time()
    for scope, key, value, secret in (
            ("system", "greeting", "hello", False),
            ("user", "alice:mine", "alice's", False),
            ("user", "bob:mine", "bob's", False),
            ("system", "password", crypto.encrypt(SECRET), True)):
        store.kv_set(KvRow(scope=scope, key=key, value=value, secret=secret, updated_at=now))


@pytest.fixture
def default_store() -> Store:
    """The engine-less store (the default SQLite file), filled."""
    store = open_store(default_store_url())
    store.open()
    fill(store)
    store.close()
    return store


READS = [
    ("{{ st2kv('system.greeting') }}", "hello"),
    ("<% st2kv('system.greeting') %>", "hello"),
    ("{{ st2kv('mine') }}", "alice's"),  # a bare name: the user's own key, as in StackStorm
    ("<% st2kv('user.mine') %>", "alice's"),
    ("{{ st2kv('system.password', decrypt=true) }}", SECRET),
    ("<% st2kv('system.password', decrypt => true) %>", SECRET),
    ("{{ st2kv('system.password') | decrypt_kv }}", SECRET),
    ("<% decrypt_kv(st2kv('system.password')) %>", SECRET),
    ("{{ st2kv('system.nope', default='fallback') }}", "fallback"),
    ("<% st2kv('system.nope', default => 'fallback') %>", "fallback"),
]


@pytest.mark.parametrize(("expression", "expected"), READS)
def test_start_workflow_reads_the_default_store(default_store: Store, expression: str,
                                                expected: str) -> None:
    result = start_workflow(workflow(expression), actions={"t.echo": echo}).wait(timeout=30)
    assert result.status is WorkflowStatus.SUCCEEDED, result.errors
    assert result.output == {"value": expected}


@pytest.mark.parametrize(("expression", "expected"), READS[::3])
def test_an_engine_reads_its_own_store(expression: str, expected: str) -> None:
    store = MemoryStore()
    fill(store)  # before the engine's journal owns it
    with Engine(store=store, actions={"t.echo": echo}) as engine:
        result = engine.start_workflow(workflow(expression)).wait(timeout=30)
    assert result.status is WorkflowStatus.SUCCEEDED, result.errors
    assert result.output == {"value": expected}


def test_without_decrypt_a_secret_reads_as_its_token(default_store: Store) -> None:
    result = start_workflow(workflow("<% st2kv('system.password') %>"),
                            actions={"t.echo": echo}).wait(timeout=30)
    token = result.output["value"]
    assert token != SECRET and crypto.decrypt(token, "password") == SECRET


@pytest.mark.parametrize("expression", ["{{ st2kv('system.missing') }}",
                                        "<% st2kv('system.missing') %>"])
def test_a_missing_key_is_a_located_expression_error(default_store: Store,
                                                     expression: str) -> None:
    result = start_workflow(workflow(expression), actions={"t.echo": echo}).wait(timeout=30)
    assert result.status is WorkflowStatus.FAILED
    error = result.errors[0]  # (the output, never published, fails after it)
    assert (error.kind, error.task, error.field) == ("expression", "one", "input.message")
    assert error.expression == expression
    assert "system.missing" in error.message


def test_a_workflow_without_st2kv_reads_no_store() -> None:
    def never() -> list[KvRow]:
        raise AssertionError("read")

    result = start_workflow(workflow("{{ 1 + 1 }}"), actions={"t.echo": echo},
                            kv=never).wait(timeout=30)
    assert result.output == {"value": 2}


def test_decrypted_values_are_masked_in_traces_progress_and_output(
        default_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = workflow("{{ st2kv('system.password', decrypt=true) }}")
    events: list[ProgressEvent] = []
    trace = tmp_path / "trace.jsonl"
    result = start_workflow(text, actions={"t.echo": echo}, trace=str(trace),
                            on_event=events.append).wait(timeout=30)
    assert result.output == {"value": SECRET}  # the caller's own data is not masked
    assert SECRET not in trace.read_text()
    assert events and SECRET not in repr(events)
    path = tmp_path / "wf.yaml"
    path.write_text(text.replace("t.echo", "troupe.echo"))
    for store in ([], ["--store", f"sqlite:///{tmp_path / 'run.db'}"]):
        if store:
            target = open_store(store[1])
            target.open()
            fill(target)
            target.close()
        assert main(["run", str(path), "--json", *store]) == 0
        out = capsys.readouterr().out
        assert SECRET not in out
        assert json.loads(out)["output"] == {"value": "***"}
        if store:
            assert main(["executions", "show", json.loads(out)["execution_id"],
                         "--json", *store]) == 0
            assert SECRET not in capsys.readouterr().out


def gate() -> tuple[Callable[..., Any], threading.Event, threading.Event]:
    started, release = threading.Event(), threading.Event()

    def wait(message: Any = None) -> Any:
        started.set()
        assert release.wait(timeout=30)
        return message

    return wait, started, release


def test_an_execution_reads_the_store_as_of_its_start(tmp_path: Path) -> None:
    """A value changed while the execution runs is not seen by it (the snapshot is in its
    first journal event, tokens only), and the next execution sees the new value."""
    url = f"sqlite:///{tmp_path / 'engine.db'}"
    writer = open_store(url)
    writer.open()
    fill(writer)
    text = textwrap.dedent("""\
        version: 1.0
        tasks:
          first:
            action: t.wait
            next:
              - do: second
          second:
            action: t.echo
            input: {message: "{{ st2kv('system.greeting') }}"}
            next:
              - publish: [value: "{{ result() }}"]
        output:
          - value: <% ctx().value %>
          - secret: "{{ st2kv('system.password', decrypt=true) }}"
        """)
    wait, started, release = gate()
    try:
        with Engine(store=url, actions={"t.echo": echo, "t.wait": wait}) as engine:
            handle = engine.start_workflow(text)
            assert started.wait(timeout=30)
            writer.kv_set(KvRow(scope="system", key="greeting", value="changed",
                                updated_at=time.time()))  # another connection, as a CLI would
            release.set()
            assert handle.wait(timeout=30).output["value"] == "hello"
            assert engine.start_workflow(text).wait(timeout=30).output["value"] == "changed"
            journal = engine.journal(handle.execution_id)
    finally:
        writer.close()
    requested = decode(journal[0].kind, journal[0].body)
    assert isinstance(requested, WorkflowRequested)
    assert requested.kv.pairs[("system", "greeting")] == ("hello", False)
    assert SECRET not in journal[0].body


def test_a_recovered_execution_reads_what_its_first_run_read() -> None:
    text = textwrap.dedent("""\
        version: 1.0
        tasks:
          later:
            delay: 0.3
            action: t.echo
            input: {message: "{{ st2kv('system.greeting') }}"}
            next:
              - publish: [value: "{{ result() }}"]
        output:
          - value: <% ctx().value %>
        """)
    store = MemoryStore()
    fill(store)
    engine = Engine(store=store, actions={"t.echo": echo})
    handle = engine.start_workflow(text)
    engine.wait_recorded(handle.execution_id)  # its record and timer are durable
    engine.close(drain_timeout=0)  # stopped while the delay runs
    store.kv_set(KvRow(scope="system", key="greeting", value="changed", updated_at=time.time()))
    with Engine(store=store, actions={"t.echo": echo}) as again:
        [recovered] = again.recover()
        assert recovered.execution_id == handle.execution_id
        result = recovered.wait(timeout=30)
    assert result.status is WorkflowStatus.SUCCEEDED, result.errors
    assert result.output == {"value": "hello"}


def test_a_sub_workflow_reads_its_parents_snapshot(default_store: Store, tmp_path: Path) -> None:
    """Only the sub-workflow names st2kv (in a transition's `when`): the parent's start
    reads the store, and the child sees it and masks what it decrypts."""
    child = tmp_path / "child.yaml"
    child.write_text(textwrap.dedent("""\
        version: 1.0
        tasks:
          inner:
            action: t.echo
            input: {message: "{{ st2kv('system.password', decrypt=true) }}"}
            next:
              - when: "{{ st2kv('system.greeting') == 'hello' }}"
                publish: [seen: "{{ result() }}"]
        output:
          - seen: <% ctx().seen %>
        """))
    parent = textwrap.dedent("""\
        version: 1.0
        tasks:
          outer:
            action: t.child
            next:
              - publish: [value: "{{ result().seen }}"]
        output:
          - value: <% ctx().value %>
        """)
    events: list[ProgressEvent] = []
    trace = tmp_path / "trace.jsonl"
    result = start_workflow(parent, actions={"t.echo": echo, "t.child": str(child)},
                            trace=str(trace), on_event=events.append).wait(timeout=30)
    assert result.status is WorkflowStatus.SUCCEEDED, result.errors
    assert result.output == {"value": SECRET}
    assert SECRET not in trace.read_text() and SECRET not in repr(events)


def test_bare_names_read_the_keys_of_ctx_st2_user(default_store: Store) -> None:
    """st2kv reads the user-scoped keys of the execution's user (``ctx().st2.user``: the
    ``user`` option, else $TROUPE_USER), as StackStorm reads its context's user."""
    text = workflow("{{ st2kv('mine') }} {{ ctx().st2.user }}")
    run = start_workflow(text, actions={"t.echo": echo}, user="bob").wait(timeout=30)
    assert run.output == {"value": "bob's bob"}
    run = start_workflow(text, actions={"t.echo": echo}).wait(timeout=30)
    assert run.output == {"value": "alice's alice"}
