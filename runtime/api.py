"""The Python API: ``start_workflow()`` and the handle it returns.

    from runtime import start_workflow

    handle = start_workflow("deploy.yaml", {"env": "prod"}, on_event=print)
    result = handle.wait(timeout=600)
    if result.status == "failed":
        for error in result.errors:
            print(error.task, error.kind, error.message)

``start_workflow`` validates the workflow and the parameters before anything runs (raising
:class:`ValidationFailed` or :class:`ParameterError`), then starts one supervisor actor for
the execution and returns at once; the execution lives in memory (``runtime.Engine`` makes
executions durable). With :mod:`runtime.launch`, :mod:`runtime.handle` and
:mod:`runtime.engine`, this is the boundary between the pure core and the actor runtime.

Misuse: a handle belongs to one execution; waiting on it from several threads is fine, but
progress callbacks run in the supervisor's thread and must not block.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from runtime.handle import WorkflowHandle
from runtime.launch import launch, prepare
from runtime.results import ExecutionResult, TaskRecord, WorkflowStatusName
from runtime.spec.model import WorkflowDef

__all__ = [
    "ExecutionResult",
    "TaskRecord",
    "WorkflowHandle",
    "WorkflowStatusName",
    "set_worker_limit",
    "start_workflow",
]


def start_workflow(
    workflow: str | os.PathLike[str] | WorkflowDef | Mapping[str, Any],
    parameters: Mapping[str, Any] | None = None,
    *,
    actions: Mapping[str, Any] | None = None,
    **options: Any,
) -> WorkflowHandle:
    """Validate and start a workflow; return its handle at once.

    ``workflow`` is a path, YAML text, a parsed mapping or a loaded definition. ``actions``
    maps action references to callables (or to workflows, for sub-workflows). Options:
    ``trace`` (path of a JSON-lines trace file, or a callable giving it for an
    execution id: ``Engine.recover(trace=...)`` gives every execution its own),
    ``trace_level`` (``info``, the default, or ``debug``, which adds every per-item message
    of with-items workers), ``on_event`` (callable or list of callables receiving
    :class:`ProgressEvent`), ``events`` (True to iterate ``handle.events()``),
    ``execution_id``, ``dialect`` (force ``orquesta`` or ``attune``), ``registry`` (an
    :class:`ActionRegistry`), ``entry_points`` (False to ignore plugins), ``limits`` (a
    :class:`runtime.limits.Limits`; default: ``Limits.from_env()``), ``user`` and
    ``api_url`` (what an Orquesta workflow reads in ``ctx().st2``; default: the OS user,
    None; :mod:`runtime.st2_context`), ``kv`` (where the workflow's ``st2kv`` reads: a
    callable giving the :class:`~runtime.store.KvRow` pairs, False for none; default: the
    key-value store of ``$TROUPE_STORE`` or the default SQLite file, read once at the start;
    docs/kv.md).
    """
    return launch(prepare(workflow, parameters, actions, options))


def set_worker_limit(limit: int) -> None:
    """Set how many action attempts may run at once in this process, across executions.

    Every action attempt (a task's or a with-items item's) runs in a worker thread holding a
    permit of one budget (default 256, or ``TROUPE_MAX_WORKERS``; ``Engine(max_attempts=)``
    sets the same limit), first come first served; beyond it attempts queue, never refused.
    An attempt that waits for a worker is in flight for its workflow, but its ``timeout``
    starts when a worker takes it. A task's ``concurrency`` still caps its own pool. Lowering
    the limit lets attempts already running finish (idle workers beyond it stop);
    ``ValueError`` below 1.
    """
    from actors.capacity import WORKERS

    WORKERS.set_limit(int(limit))
