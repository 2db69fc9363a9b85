"""The one error tree of Troupe.

Every exception the engine raises on purpose is a :class:`TroupeError`. Each carries its
facts as attributes (file, line, column, task, code, expression...) and builds its message
from them, so callers and tests look at fields, never at wording.

Misuse: do not raise bare ``TroupeError``; pick or add the child that names what went wrong.
Do not put secrets into fields: values are masked by the caller before they reach an error.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .diagnostics import Diagnostic

__all__ = [
    "RESULT_LOST",
    "WORKER_LOST",
    "ActionFailed",
    "ActionNotFound",
    "ActionTimedOut",
    "ConfigError",
    "Diagnostic",
    "EngineBug",
    "ExecutorError",
    "ExpressionError",
    "FileProblem",
    "KvError",
    "PackError",
    "ParameterError",
    "ParameterProblem",
    "RerunRefused",
    "SpecError",
    "TroupeError",
    "ValidationFailed",
    "WorkflowFileError",
]


class TroupeError(Exception):
    """Root of every error Troupe raises on purpose."""


class SpecError(TroupeError):
    """A single problem in a workflow definition, raised where one is enough."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic
        super().__init__(str(diagnostic))

    @property
    def code(self) -> str:
        """The diagnostic's stable code."""
        return self.diagnostic.code

    @property
    def task(self) -> str | None:
        """The task the problem is in."""
        return self.diagnostic.task

    @property
    def line(self) -> int | None:
        """1-based line of the problem."""
        return self.diagnostic.line


class ValidationFailed(TroupeError):
    """A workflow definition has errors; ``diagnostics`` lists all of them, in file order."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        head = "\n".join(str(d) for d in errors[:20])
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} error(s) in workflow:\n{head}{more}")


class ExpressionError(TroupeError):
    """A Jinja expression failed to compile or to evaluate.

    ``task`` and ``field`` say where it was used (``field`` is e.g. ``input.message``,
    ``next[1].when``, ``output.total``); ``expression`` is the template source; ``limit``
    names the :class:`~runtime.limits.Limits` field a runaway render passed (None for any
    other failure).
    """

    def __init__(
        self,
        reason: str,
        *,
        expression: str,
        task: str | None = None,
        field: str | None = None,
        limit: str | None = None,
    ) -> None:
        self.reason = reason
        self.limit = limit
        self.expression = expression
        self.task = task
        self.field = field
        where = []
        if task:
            where.append(f"task {task!r}")
        if field:
            where.append(f"field {field!r}")
        loc = f" in {', '.join(where)}" if where else ""
        super().__init__(f"expression {expression!r}{loc}: {reason}")

    def at(
        self, *, task: str | None = None, field: str | None = None, expression: str = ""
    ) -> ExpressionError:
        """Return a copy of this error with the location filled in where it was missing."""
        return ExpressionError(
            self.reason,
            expression=self.expression or expression,
            task=self.task or task,
            field=self.field or field,
            limit=self.limit,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ParameterProblem:
    """One parameter value that its declared schema refuses.

    ``parameter`` is the input's name, ``path`` the keys and indices inside its value
    (empty for the value itself), ``validator`` the JSON-schema keyword that failed
    (``enum``, ``minimum``, ``type``...). ``message`` never holds a secret's value.
    """

    parameter: str
    path: tuple[str | int, ...]
    validator: str
    message: str

    @property
    def location(self) -> str:
        """``name``, ``name.key`` or ``name[1].key``: where in the parameters the problem is."""
        parts = [self.parameter]
        for step in self.path:
            parts.append(f"[{step}]" if isinstance(step, int) else f".{step}")
        return "".join(parts)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class ParameterError(TroupeError):
    """Workflow parameters do not fit the declared inputs.

    ``missing`` lists required inputs that were not given; ``unknown`` lists given
    parameters the workflow does not declare (only where the dialect forbids them);
    ``problems`` lists values their schema (or declared type) refuses.
    """

    def __init__(
        self,
        *,
        missing: Sequence[str] = (),
        unknown: Sequence[str] = (),
        detail: str = "",
        problems: Sequence[ParameterProblem] = (),
    ) -> None:
        self.missing = tuple(missing)
        self.unknown = tuple(unknown)
        self.problems = tuple(problems)
        self.detail = detail
        parts = []
        if self.missing:
            parts.append(f"missing required input(s): {', '.join(self.missing)}")
        if self.unknown:
            parts.append(f"undeclared parameter(s): {', '.join(self.unknown)}")
        parts.extend(str(p) for p in self.problems)
        if detail:
            parts.append(detail)
        super().__init__("; ".join(parts) or "bad parameters")


class FileProblem(enum.Enum):
    """Why a workflow file could not be read."""

    MISSING = "no such file"
    DIRECTORY = "is a directory, not a workflow file"
    UNREADABLE = "cannot be read"
    UNDECODABLE = "is not UTF-8 text (nor UTF-16/32 with a byte-order mark)"


class WorkflowFileError(TroupeError):
    """A workflow given by path could not be read: missing, a directory, or unreadable.

    ``path`` is the path as given, ``problem`` a :class:`FileProblem`, ``reason`` the
    operating system's words for an unreadable file (empty otherwise); ``line`` and
    ``column`` (1-based) locate the first bad byte of an undecodable file.
    """

    def __init__(self, path: str, problem: FileProblem, reason: str = "", *,
                 line: int | None = None, column: int | None = None) -> None:
        self.path = path
        self.problem = problem
        self.reason = reason
        self.line = line
        self.column = column
        why = f" ({reason})" if reason else ""
        where = f":{line}:{column}" if line is not None else ""
        super().__init__(f"{path}{where}: {problem.value}{why}")

    def diagnostic(self, file: str | None = None) -> Diagnostic:
        """The problem as a diagnostic: ``T110`` for undecodable text, else ``T100``."""
        message = self.problem.value + (f" ({self.reason})" if self.reason else "")
        code = "T110" if self.problem is FileProblem.UNDECODABLE else "T100"
        return Diagnostic(code=code, message=message, file=file or self.path,
                          line=self.line, column=self.column)


class ActionNotFound(TroupeError):
    """An action reference names no registered action."""

    def __init__(self, ref: str, *, task: str | None = None, reason: str = "") -> None:
        self.ref = ref
        self.task = task
        self.reason = reason
        where = f" (task {task!r})" if task else ""
        why = f": {reason}" if reason else ""
        super().__init__(f"unknown action {ref!r}{where}{why}")


class ActionFailed(TroupeError):
    """Raised by an action to fail with a result that ``result()`` sees in transitions.

    Example::

        def deploy(host):
            code = push(host)
            if code:
                raise ActionFailed("push failed", result={"code": code})
    """

    def __init__(self, message: str = "action failed", *, result: Any = None) -> None:
        self.result = result
        super().__init__(message)


class ActionTimedOut(TroupeError):
    """Raised by an action whose own time limit ran out (the task then ends ``timed_out``)."""

    def __init__(self, message: str = "action timed out", *, result: Any = None) -> None:
        self.result = result
        super().__init__(message)


RESULT_LOST = "result_lost"
"""Error kind of a Ray attempt whose input holds a reference to a result that is no longer
in Ray's object store (made before a crash or restart of the engine, or by an execution that
ended: :mod:`runtime.executors.kept`): routed like any failure."""

WORKER_LOST = "worker_lost"
"""Error kind of an attempt whose worker process or node died under it (on a remote
executor), for an action that is not idempotent (an idempotent one is run again): routed
like any failure (``retry``, ``next: when: failed()``)."""


class ExecutorError(TroupeError):
    """An executor cannot be used: an unknown name, a cluster that does not answer, or one
    whose Python or Ray version differs from this process's. ``executor`` says which,
    ``address`` where (or None), ``problem`` what is wrong in words."""

    def __init__(self, *, executor: str, problem: str, address: str | None = None) -> None:
        self.executor = executor
        self.address = address
        self.problem = problem
        where = f" at {address}" if address else ""
        super().__init__(f"executor {executor}{where}: {problem}")


class EngineBug(TroupeError):
    """An invariant of the engine was broken: a bug in Troupe, not in the workflow."""


class ConfigError(TroupeError):
    """A daemon setting is wrong: ``source`` says where it came from (a config file's path,
    ``$TROUPE_X`` or ``--flag``), ``key`` which setting, ``problem`` what is wrong in words.
    The value itself is never part of the message (it may be a secret)."""

    def __init__(self, *, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(f"{source}: {key}: {problem}")


class StoreError(TroupeError):
    """A store could not be opened, read or written.

    ``url`` is the store's URL (credentials masked), ``problem`` what went wrong in words.
    """

    def __init__(self, *, url: str, problem: str) -> None:
        self.url = url
        self.problem = problem
        super().__init__(f"store {url}: {problem}")


class KvError(TroupeError):
    """The key-value store refused: ``key`` is the key (as given), ``problem`` why, in
    words (never a value: it may be a secret)."""

    def __init__(self, *, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"key {key!r}: {problem}")


class UnknownExecution(TroupeError):
    """No execution with this id is known (to the engine or its store)."""

    def __init__(self, execution_id: str) -> None:
        self.execution_id = execution_id
        super().__init__(f"no execution {execution_id!r}")


class ExecutionNotRunning(TroupeError):
    """The store holds this execution unfinished, but this engine does not run it (it was
    left by an engine that stopped: ``Engine.recover`` continues it)."""

    def __init__(self, execution_id: str, status: str) -> None:
        self.execution_id = execution_id
        self.status = status
        super().__init__(f"execution {execution_id!r} is {status} in the store but not "
                         f"running here (recover it)")


class RerunRefused(TroupeError):
    """A rerun that cannot be done: the execution has not finished (``status``), or a
    requested task cannot be rerun (``task`` and ``reason``: ``unknown_task``,
    ``never_ran``, ``bad_route``, ``not_rerun`` for a ``reset`` of a task not rerun,
    ``nothing_to_rerun``)."""

    def __init__(self, execution_id: str, *, status: str | None = None,
                 task: str | None = None, reason: str | None = None) -> None:
        self.execution_id = execution_id
        self.status = status
        self.task = task
        self.reason = reason
        what = (f"it is {status} (only a finished execution is rerun)" if status is not None
                else f"task {task!r}: {reason}" if task is not None else f"{reason}")
        super().__init__(f"execution {execution_id!r} cannot be rerun: {what}")


class EngineClosed(TroupeError, RuntimeError):
    """The engine was closed (or is closing): it starts, recovers and reads nothing more."""

    def __init__(self) -> None:
        super().__init__("the engine is closed")


class PackError(TroupeError):
    """A StackStorm pack directory (:mod:`runtime.st2pack`) that cannot be read: ``path``
    is the file or directory, ``problem`` what is wrong with it in words."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")
