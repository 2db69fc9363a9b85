"""A value an execution's ``st2kv`` decrypts is masked where its data leaves the engine:
in the live result's error texts, in a result read back from the journal by another engine,
and in the daemon's progress log rebuilt from the journal."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from runtime.engine import Engine
from runtime.errors import ActionFailed
from runtime.kv import crypto
from runtime.masking import Masker
from runtime.server.progress_log import ProgressLog
from runtime.spec import load_workflow
from runtime.status import WorkflowStatus
from runtime.store import KvRow, open_store

pytestmark = pytest.mark.timeout(60)

SECRET = "correct-horse-battery"
TEXT = textwrap.dedent("""\
    version: 1.0
    tasks:
      got:
        action: t.echo
        input: {token: "{{ st2kv('system.token', decrypt=true) }}"}
        next:
          - do: leak
      leak:
        action: t.leak
        input: {token: "{{ st2kv('system.token', decrypt=true) }}"}
        next:
          - when: <% failed() %>
            do: name_it
      name_it:
        action: t.echo
        input: {token: "<% ctx(st2kv('system.token', decrypt => true)) %>"}
    """)


def echo(token: Any = None) -> Any:
    return {"seen": token}


def leak(token: Any = None) -> Any:
    raise ActionFailed(f"the server refused {token}")


ACTIONS = {"t.echo": echo, "t.leak": leak}


def test_decrypted_values_are_masked_live_and_read_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'engine.db'}"
    store = open_store(url)
    store.open()
    store.kv_set(KvRow(scope="system", key="token", value=crypto.encrypt(SECRET),
                       secret=True, updated_at=time.time()))
    store.close()
    with Engine(store=url, actions=ACTIONS) as engine:
        handle = engine.start_workflow(TEXT)
        live = handle.wait(timeout=30)
        journal = engine.journal(handle.execution_id)
    assert live.status is WorkflowStatus.FAILED
    assert [t.name for t in live.tasks] == ["got", "leak", "name_it"]
    assert live.tasks[0].result == {"seen": SECRET}  # the caller's data, as for secret inputs
    assert "refused ***" in (live.tasks[1].error or "")
    assert SECRET not in repr(live.errors) + repr(live.tasks[1])
    with Engine(store=url, actions=ACTIONS) as again:
        stored = again.get(handle.execution_id).wait(timeout=30)
    assert stored.status is WorkflowStatus.FAILED
    assert "refused ***" in (stored.tasks[1].error or "")
    assert SECRET not in repr(stored.errors) + repr(stored.tasks[1])
    log = ProgressLog(handle.execution_id, load_workflow(TEXT, action_exists=lambda _: True),
                      Masker())
    assert log.feed(journal) > 0
    assert log.finished
    assert SECRET in repr([e.body for e in journal])  # the journal keeps results as they are
    # name_it's input error ("variable '<the value>' is not defined") is not journaled:
    # replaying the journal makes it again, with the value, which the log masks
    named = [e.event for e in log.events if e.event.task == "name_it" and e.event.error]
    assert named and "'***'" in (named[-1].error or "")
    assert SECRET not in repr([e.event for e in log.events])
