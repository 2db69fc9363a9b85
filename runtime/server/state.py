"""The server's state: the daemon's switches, the workflows, submissions, progress logs.

:class:`ServerState` is ``app.state.troupe``. The daemon sets :attr:`ServerState.draining`
(on SIGTERM: new executions get 503) and :attr:`ServerState.ready` (after recovery:
``/readyz``), and calls :meth:`ServerState.reload` on SIGHUP.

Submissions are idempotent by key, durably: the key is stored with the execution
(:meth:`runtime.engine.Engine.find_by_key` finds it after a restart too), and the requests
of one key are served one at a time: the first looks the key up and starts the execution;
those that come while it works wait for its answer (a future, no lock) and answer the same
execution.

Misuse: use it from the app's event loop only; blocking engine calls go to worker threads.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from runtime.actions import ActionRegistry
from runtime.engine import Engine
from runtime.errors import ParameterError, ValidationFailed, WorkflowFileError
from runtime.spec.source import SourceKind, classify
from runtime.spec.subworkflows import is_workflow_file
from runtime.store import ExecutionRow

from .catalog import Catalog, looks_like_name
from .errors import ApiError
from .listing import CountsMemo
from .logs import LogCache
from .settings import ServerSettings
from .trace_views import TraceViews

__all__ = ["ServerState", "Submission", "bad_parameters"]


def bad_parameters(exc: ParameterError) -> ApiError:
    """The 400 ``bad_parameters`` of parameters the workflow refuses (a start's, a
    rerun's): what is missing, unknown, and every value's problem."""
    return ApiError(400, "bad_parameters", str(exc), missing=list(exc.missing),
                    unknown=list(exc.unknown), problems=[
                        {"parameter": p.parameter, "path": list(p.path),
                         "validator": p.validator, "message": p.message}
                        for p in exc.problems])


@dataclass(frozen=True, slots=True, kw_only=True)
class Submission:
    """A request to start an execution."""

    workflow: str
    """A name in the workflows directory, or YAML text."""
    parameters: Mapping[str, Any]
    idempotency_key: str | None = None


class ServerState:
    """``app.state.troupe`` (see the module docstring)."""

    def __init__(self, engine: Engine, settings: ServerSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.draining = False
        """Set by the daemon when it drains: ``POST /api/v1/executions`` answers 503."""
        self.ready = False
        """Set by the daemon once recovery finished: ``/readyz`` answers 200."""
        registry = ActionRegistry({k: v for k, v in engine.actions.items() if callable(v)})
        actions = engine.actions

        def exists(ref: str) -> bool:
            return ref in actions or is_workflow_file(ref) or registry.has(ref)

        self.action_exists = exists
        self.action_inputs = registry.accepts
        """What a registered action takes (T406-T408; a named sub-workflow is not checked)."""
        self.catalog = Catalog(settings.workflows_dir, exists, registry.accepts)
        self.logs = LogCache(engine, settings.cached_logs)
        self.traces = TraceViews()
        """The trace files read incrementally, for the execution views."""
        self.counts = CountsMemo()
        """Finished executions' counts for the list (``GET /api/v1/executions``)."""
        self.submitting: dict[str, asyncio.Future[ExecutionRow]] = {}

    def reload(self) -> None:
        """Re-read (and validate) the workflows directory."""
        self.catalog.reload()

    async def submit(self, submission: Submission) -> tuple[ExecutionRow, bool]:
        """Start an execution, or find the one its key started: (record, started now)."""
        key = submission.idempotency_key
        if key is None:
            return await run_in_threadpool(self._start, submission), True
        pending = self.submitting.get(key)
        if pending is not None:
            return await asyncio.shield(pending), False
        future: asyncio.Future[ExecutionRow] = asyncio.get_running_loop().create_future()
        self.submitting[key] = future
        try:
            row = await run_in_threadpool(self.engine.find_by_key, key)
            started = row is None
            if row is None:
                row = await run_in_threadpool(self._start, submission)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: the waiters get it too
            raise
        finally:
            del self.submitting[key]
        future.set_result(row)
        return row, started

    def _start(self, submission: Submission) -> ExecutionRow:
        """A worker thread: validate and start the execution; its record."""
        source: Any = submission.workflow
        if looks_like_name(source):
            source = self.catalog.resolve(source)
        elif classify(source).kind is not SourceKind.TEXT:  # never a path from a request
            raise ApiError(400, "bad_workflow_name", "a workflow is a name in the workflows "
                           "directory or YAML text", workflow=source[:200])
        execution_id = uuid.uuid4().hex[:12]
        options: dict[str, Any] = {"execution_id": execution_id}
        trace = self.settings.trace_path(execution_id)
        if trace is not None:
            trace.parent.mkdir(parents=True, exist_ok=True)
            options["trace"] = trace
        try:
            self.engine.start_workflow(source, submission.parameters,
                                       idempotency_key=submission.idempotency_key, **options)
        except ValidationFailed as exc:
            raise ApiError(400, "invalid_workflow", "the workflow has errors",
                           diagnostics=[d.to_json() for d in exc.diagnostics]) from None
        except ParameterError as exc:
            raise bad_parameters(exc) from None
        except WorkflowFileError as exc:
            raise ApiError(400, "unknown_workflow", str(exc)) from None
        return self.engine.wait_recorded(execution_id)
