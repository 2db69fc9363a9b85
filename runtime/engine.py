"""The Engine: the owner of one process's durable executions and of their store.

    from runtime import Engine

    with Engine(store="sqlite:///var/lib/troupe/troupe.db", actions=ACTIONS) as engine:
        handle = engine.start_workflow("deploy.yaml", {"env": "prod"})
        ...
    # after a crash, in a new process:
    with Engine(store="sqlite:///var/lib/troupe/troupe.db", actions=ACTIONS) as engine:
        for handle in engine.recover():
            print(handle.execution_id, handle.wait().status)

An engine starts one journal actor (:mod:`actors.journal`), the only reader and writer of
its store; every execution it starts is journaled there (the workflow's text, parameters,
every event its state machine consumes), so that :meth:`Engine.recover` continues, after a
crash, every execution the store holds as unfinished, without running again a task that
completed and without running an attempt of a non-idempotent action twice. What callers are
told (progress, results) is durable first.

Misuse: one engine per store at a time (two engines on one SQLite file would both recover
the same executions); give :meth:`recover` the same actions the executions were started
with; close the engine (or use it as a context manager) to write the last batch.
"""

from __future__ import annotations

import builtins
import contextlib
import queue
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from runtime.engine_inquiries import EngineInquiries
from runtime.errors import EngineClosed, StoreError, UnknownExecution
from runtime.handle import WorkflowHandle, finished_handle
from runtime.launch import launch, prepare, workflow_text
from runtime.spec.subworkflows import SubWorkflows
from runtime.status import Outcome
from runtime.store import EntryRow, ExecutionRow, Page, Store, open_store
from runtime.store.codec import decode
from runtime.store.replaying import Journaled
from runtime.store.rows import execution_row
from runtime.stored_trees import read_tree, stored_result

__all__ = ["Engine"]

_PRUNE_FLOOR = 64
"""Live handles kept before the engine first looks for finished ones to drop."""


class Engine(EngineInquiries):
    """Runs durable executions on one store (see the module docstring)."""

    def __init__(self, store: str | Store | None = None, *,
                 actions: Mapping[str, Any] | None = None, group_commit: Any = None,
                 max_attempts: int | None = None, **options: Any) -> None:
        """``store``: a store URL (default: SQLite in the user's data directory), or a
        store object (not yet opened: the engine's journal opens it in its thread);
        ``actions``: the action callables and workflows of every execution (also given to
        the recovered ones); ``group_commit``: an :class:`actors.journal.GroupCommit`;
        ``max_attempts``: the process's cap on workers running attempts at once (the
        budget of :mod:`actors.capacity`, shared by every execution and engine of the
        process; ``TROUPE_MAX_WORKERS`` otherwise); ``options``: defaults for
        :meth:`start_workflow`'s options."""
        from actors.capacity import WORKERS
        from actors.inquiry_book import InquiryBook
        from actors.journal import Journal
        from actors.remote import connect_default

        if max_attempts is not None:
            WORKERS.set_limit(int(max_attempts))
        self.store: Store = store if store is not None and not isinstance(store, str) \
            else open_store(store)
        self.url = self.store.url
        self._actions = dict(actions or {})
        self._options = dict(options)
        if options.get("executor") is not None:  # parsed and connected now: fail at once
            self._options["executor"] = connect_default(options["executor"])
        self._journal = Journal.start(self.store, group_commit)
        self._inquiries = InquiryBook()
        self._live: dict[str, WorkflowHandle] = {}
        """The handles this engine started or recovered, until :meth:`_register` finds them
        finished (then :meth:`get` reads them back from the store)."""
        self._prune_at = _PRUNE_FLOOR
        self._closed = False
        self._held = False

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- starting and finding executions ------------------------------------------------

    def start_workflow(self, workflow: Any, parameters: Mapping[str, Any] | None = None, *,
                       actions: Mapping[str, Any] | None = None,
                       idempotency_key: str | None = None,
                       **options: Any) -> WorkflowHandle:
        """Validate, journal and start a workflow (the arguments of ``start_workflow``).

        ``idempotency_key`` is stored with the execution (unique in the store:
        :meth:`find_by_key` finds it again, also after a restart). The engine does not
        check it is new: a caller that may repeat a request looks it up first, one request
        per key at a time (a second execution with a key already stored fails its first
        journal write)."""
        self._check_open()
        prepared = prepare(workflow, parameters, {**self._actions, **(actions or {})},
                           {"kv": self._kv_pairs, **self._options, **options})
        text = workflow_text(workflow)
        if text is None:
            raise TypeError("a durable execution needs the workflow's text: give a path, "
                            "YAML text or a mapping, not a definition loaded without a file")
        base_dir = prepared.subworkflows.base_dir
        row = execution_row(execution_id=prepared.execution_id, defn=prepared.defn, text=text,
                            parameters=prepared.params, base_dir=base_dir,
                            idempotency_key=idempotency_key)
        handle = launch(prepared, durable=self._durable(prepared.subworkflows), row=row,
                        inquiries=self._inquiries)
        self._register(handle)
        return handle

    def _register(self, handle: WorkflowHandle) -> None:
        """Keep ``handle`` as live; drop the finished ones once they are twice as many as
        the live ones were at the last drop (amortized O(1) per start, so a long-running
        engine, the daemon, holds only what runs).

        A handle is dropped only once ``done()``: its end is committed, so :meth:`get`
        finds it in the store. Callers in several threads: each step is one dict operation
        (atomic under the GIL) and a handle that finishes meanwhile is dropped next time.
        """
        self._live[handle.execution_id] = handle
        if len(self._live) < self._prune_at:
            return
        for execution_id, live in list(self._live.items()):
            if live.done():
                self._live.pop(execution_id, None)
        self._prune_at = max(_PRUNE_FLOOR, 2 * len(self._live))

    def get(self, execution_id: str) -> WorkflowHandle:
        """The handle of an execution of this engine, or of one the store holds finished
        (``UnknownExecution`` if there is none; ``ExecutionNotRunning`` if the store holds it
        unfinished and no engine runs it: :meth:`recover` continues it)."""
        live = self._live.get(execution_id)
        if live is not None:
            return live
        row = self._ask(lambda store: store.execution(execution_id))
        if row is None:
            raise UnknownExecution(execution_id)
        return finished_handle(stored_result(self._ask, row, self._actions))

    def record(self, execution_id: str) -> ExecutionRow | None:
        """The stored record of an execution (None: the store has none)."""
        row: ExecutionRow | None = self._ask(lambda store: store.execution(execution_id))
        return row

    def find_by_key(self, idempotency_key: str) -> ExecutionRow | None:
        """The record of the execution started with ``idempotency_key``, or None."""
        row: ExecutionRow | None = self._ask(
            lambda store: store.execution_by_key(idempotency_key))
        return row

    def journal(self, execution_id: str, after: int = 0) -> tuple[EntryRow, ...]:
        """The journal entries of an execution as stored, those with ``seq > after``."""
        rows: tuple[EntryRow, ...] = self._ask(lambda store: store.entries(execution_id, after))
        return rows

    def watch(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        """Call ``callback`` after every commit of the engine's journal with an
        :class:`actors.journal.Commit` (the executions it wrote, its size, its duration),
        in the journal's thread (it must not block); return what stops it (a no-op once
        the engine is closed: the journal and its watchers are gone)."""
        from actors.journal import Watch

        self._tell_journal(Watch(callback=callback), wait=True)

        def stop() -> None:
            with contextlib.suppress(EngineClosed):  # closed: nothing left to stop
                self._tell_journal(Watch(callback=callback, add=False), wait=False)

        return stop

    def wait_recorded(self, execution_id: str, timeout: float = 30.0) -> ExecutionRow:
        """The record of an execution just started, once it is durable (a new execution's
        supervisor journals it in its own thread): ``StoreError`` if it is not within
        ``timeout`` seconds (its first write failed)."""
        seen: queue.SimpleQueue[bool] = queue.SimpleQueue()

        def committed(commit: Any) -> None:
            if execution_id in commit.executions:
                seen.put(True)

        stop = self.watch(committed)
        try:
            row = self.record(execution_id)
            if row is None:
                try:
                    seen.get(timeout=timeout)
                except queue.Empty:
                    pass
                row = self.record(execution_id)
        finally:
            stop()
        if row is None:
            raise StoreError(url=self.url, problem=f"execution {execution_id} was not "
                             f"recorded within {timeout} s")
        return row

    @staticmethod
    def observe_attempts(callback: Callable[[str, float, Outcome], None]
                         ) -> Callable[[], None]:
        """Call ``callback(action, seconds, outcome)`` as every action attempt of the
        process ends (process-wide: every engine's; :mod:`actors.observers`); return what
        stops it."""
        from actors.observers import ATTEMPTS

        return ATTEMPTS.add(callback)

    @staticmethod
    def worker_usage() -> tuple[int, int, int]:
        """The process's worker budget: ``(permits in use, limit, requests waiting)``
        (:meth:`capacity` gives the same as a record, with the idle workers)."""
        from actors.capacity import WORKERS

        return WORKERS.usage()

    def mailbox_depths(self) -> dict[str, int]:
        """Execution id -> messages waiting in its supervisor's mailbox (running ones)."""
        return {h.execution_id: h.mailbox_depth() for h in list(self._live.values())
                if not h.done()}

    def list(self, status: str | None = None, workflow: str | None = None,
             since: float | None = None, limit: int = 100, cursor: str | None = None,
             parent: str | None = None) -> Page:
        """Executions the store holds, newest first (``Page.cursor`` fetches the next;
        ``parent``: only the sub-workflows that execution started)."""
        result: Page = self._ask(lambda store: store.executions(
            status=status, workflow=workflow, since=since, limit=limit, cursor=cursor,
            parent=parent))
        return result

    def counts(self) -> dict[str, int]:
        """How many executions the store holds, by status."""
        counts: dict[str, int] = self._ask(lambda store: store.counts())
        return counts

    @property
    def actions(self) -> Mapping[str, Any]:
        """The actions given to the engine (its executions' and the recovered ones')."""
        return dict(self._actions)

    def events(self, execution_id: str) -> builtins.list[Any]:
        """The journal of an execution: its events and the journal's own entries, in order."""
        rows = self._ask(lambda store: store.entries(execution_id))
        if not rows and self._ask(lambda store: store.execution(execution_id)) is None:
            raise UnknownExecution(execution_id)
        return [decode(row.kind, row.body) for row in rows]

    def rerun(self, execution_id: str, tasks: Any = None, reset: Any = (),
              parameters: Mapping[str, Any] | None = None, **options: Any) -> WorkflowHandle:
        """Run a finished execution again from ``tasks`` (default: its failed ones), the
        with-items tasks in ``reset`` with all their items, with edited ``parameters``;
        its handle (:mod:`runtime.reruns`; ``RerunRefused`` when it cannot be)."""
        from runtime.reruns import rerun

        return rerun(self, execution_id, tasks, reset, parameters, **options)

    # ---- recovery -----------------------------------------------------------------------

    def recover(self, *, actions: Mapping[str, Any] | None = None,
                **options: Any) -> builtins.list[WorkflowHandle]:
        """Continue every execution the store holds unfinished; their handles.

        Sub-workflows continue with their parents. An execution whose workflow no longer
        loads (an action gone, a sub-workflow file missing) raises, naming it.
        """
        self._check_open()
        rows = self._ask(lambda store: store.unfinished())
        handles = []
        for row in rows:
            if row.parent is not None or row.id in self._live:
                continue
            tree = read_tree(self._ask, row, {**self._actions, **(actions or {})},
                             {**self._options, **options})
            handle = launch(tree.prepared, recovered=tree.journaled, durable=self._durable(
                tree.prepared.subworkflows, recovering=tree.children), inquiries=self._inquiries)
            self._register(handle)
            handles.append(handle)
        return handles

    # ---- the end ------------------------------------------------------------------------

    def hold(self) -> None:
        """Start no new action attempt in any execution of this engine (a drain's first
        step, :mod:`actors.drain`): attempts wait as if no permit were free (new
        executions', sub-workflows', timers' too), running ones go on and are journaled.
        Nothing is journaled for it (not a pause): the next engine recovers everything.
        Only closing ends it."""
        from actors.drain import hold

        self._held = True
        hold(self._journal.actor_urn)

    def drained(self, timeout: float | None) -> bool:
        """After :meth:`hold`: wait up to ``timeout`` seconds until no attempt of the engine
        is in flight (every report durable); whether none is."""
        from actors.drain import wait_quiet

        return wait_quiet(self._journal.actor_urn, timeout)

    def close(self, drain_timeout: float | None = 30.0) -> None:
        """Wait up to ``drain_timeout`` s for the running executions (after :meth:`hold`:
        for the attempts in flight), then stop: what still runs is left unfinished in the
        store (the next engine's :meth:`recover` continues it); the journal writes its last
        batch and closes the store."""
        if self._closed:
            return
        self._closed = True
        deadline = None if drain_timeout is None else time.monotonic() + drain_timeout
        if self._held:
            self.drained(drain_timeout)
            deadline = time.monotonic()  # what is left waits for the next start
        for handle in list(self._live.values()):
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            try:
                handle.wait(timeout=left)
            except TimeoutError:
                handle.abandon()
        self._live.clear()
        self._journal.stop()
        if self._held:
            from actors.drain import forget

            forget(self._journal.actor_urn)
        from actors.capacity import WORKERS

        WORKERS.stop_idle()  # the idle workers kept for reuse: no thread outlives the engine

    def capacity(self) -> Any:
        """The process's worker budget now: an :class:`actors.capacity.Capacity` record
        (``limit``, ``in_flight``, ``queued``, ``idle``), read-only, for metrics."""
        from actors.capacity import snapshot

        return snapshot()

    def journal_stats(self) -> Any:
        """What the engine's journal wrote so far (an :class:`actors.journal.JournalStats`:
        commits, entries, failed batches, how long appends waited for their commit)."""
        from actors.journal import Stats

        return self._tell_journal(Stats(), wait=True)

    def __iter__(self) -> Iterator[WorkflowHandle]:
        """The handles of the executions running in this engine."""
        return iter([handle for handle in list(self._live.values()) if not handle.done()])

    def _durable(self, subworkflows: SubWorkflows,
                 recovering: Mapping[str, Journaled] | None = None) -> Any:
        from actors.config import DurableConfig

        texts = {}
        for sub in (*subworkflows.named.values(), *subworkflows.files.values()):
            if sub.defn.file and sub.defn.file not in texts:
                texts[sub.defn.file] = Path(sub.defn.file).read_text(encoding="utf-8")
        return DurableConfig(journal=self._journal, texts=texts, recovering=recovering or {})

    def _kv_pairs(self) -> Any:
        """The key-value pairs of the engine's store, read through the journal (the
        snapshot ``st2kv`` reads, taken when an execution starts; docs/kv.md)."""
        return self._ask(lambda store: store.kv_list())

    def _ask(self, call: Any) -> Any:
        from actors.journal import Query

        return self._tell_journal(Query(call=call), wait=True)

    def _tell_journal(self, message: Any, *, wait: bool) -> Any:
        """Send the journal ``message`` (and wait for its answer); :class:`EngineClosed`
        once the journal has stopped."""
        import pykka

        try:
            return self._journal.ask(message) if wait else self._journal.tell(message)
        except pykka.ActorDeadError:
            raise EngineClosed() from None

    def _check_open(self) -> None:
        if self._closed:
            raise EngineClosed()
