"""The Ray executor: action attempts as Ray tasks (the optional extra, ``.[ray]``).

:meth:`RayExecutor.connect` joins a cluster (``ray.init`` with the address, or Ray's
default: ``$RAY_ADDRESS``, else a Ray instance of this process; a Ray this process already
initialised is used as it is) and checks that every alive node runs this process's Python
(major.minor) and Ray versions: a task per node answers with its own, and a difference is
an :class:`~runtime.errors.ExecutorError` naming the node and both versions.

:meth:`RayExecutor.submit` runs :func:`runtime.executors.run_spec` as a Ray task with the
spec's resources and runtime_env, ``retry_exceptions=False`` (an exception in the action is
an outcome: the workflow's retry policy decides) and ``max_retries`` of
:data:`IDEMPOTENT_RETRIES` for an idempotent attempt, 0 otherwise (a dead worker or node
re-runs an idempotent attempt; any other ends ``worker_lost``). The task's completion comes
back through ``ObjectRef.future().add_done_callback``: on Ray's thread, the callback reads
the finished future (it does not wait) and calls ``report``, which only tells the
supervisor. The kill it returns is ``ray.cancel(ref, force=True)``: the worker process is
killed (a shell command's own process group too: its leader dies with the worker). An
attempt that keeps its result in the object store, or reads kept ones, goes through
:class:`actors.ray_kept.KeptResults` instead (two returns; :meth:`RayExecutor.release` frees
an execution's results when it ends).

Misuse: import this module only through :func:`actors.remote.connect` (it imports ray);
never call ``ray.get`` on the supervisor's thread; never connect from an actor.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import Any

import ray
import ray.exceptions as rex
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from runtime.errors import ExecutorError
from runtime.executors import ActionOutcome, ActionSpec, run_spec
from runtime.status import Outcome

from .ray_kept import KeptResults

__all__ = ["IDEMPOTENT_RETRIES", "RayExecutor"]

IDEMPOTENT_RETRIES = 3
"""Times Ray runs an idempotent attempt again after its worker or node died."""

CHECK_TIMEOUT = 120.0
"""Seconds the version check waits for every node to answer."""

_LOST: tuple[type[BaseException], ...] = (
    rex.WorkerCrashedError, rex.NodeDiedError, rex.LocalRayletDiedError, rex.ObjectLostError,
    rex.OwnerDiedError, rex.OutOfMemoryError)
"""What Ray raises for an attempt whose worker process or node went away."""


@ray.remote(num_cpus=1)
def _attempt(payload: dict[str, Any]) -> dict[str, Any]:
    """One action attempt on a Ray worker."""
    return run_spec(payload)


@ray.remote(num_cpus=0)
def _versions() -> tuple[str, str, str]:
    import platform

    return (platform.python_version(), ray.__version__, ray.get_runtime_context().get_node_id())


def _python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def _finished(report: Callable[[ActionOutcome], None], future: Future[Any]) -> None:
    """The task ended (Ray's thread): read its outcome and report it, nothing else."""
    report(_outcome(future))


def _outcome(future: Future[Any]) -> ActionOutcome:
    """The outcome of a finished task's future (read without waiting)."""
    try:
        return ActionOutcome.from_json(future.result(timeout=0))
    except _LOST as exc:
        return ActionOutcome(outcome=Outcome.WORKER_LOST.value,
                             error=f"worker lost: {type(exc).__name__}: {exc}")
    except rex.TaskCancelledError:
        return ActionOutcome(outcome=Outcome.CANCELED.value, error="canceled")
    except Exception as exc:  # Ray could not run it (runtime_env, import): a failure
        return ActionOutcome(outcome=Outcome.FAILED.value, error=f"{type(exc).__name__}: {exc}")


def _cancel(ref: Any) -> None:
    """Stop the task (the reaper's thread; a task already over is fine)."""
    with contextlib.suppress(Exception):
        ray.cancel(ref, force=True)


class RayExecutor:
    """Submits specs as Ray tasks (see the module docstring)."""

    __slots__ = ("address", "kept")

    def __init__(self, address: str | None) -> None:
        self.address = address
        self.kept = KeptResults()
        """The results left in the object store (:mod:`actors.ray_kept`)."""

    @classmethod
    def connect(cls, address: str | None) -> RayExecutor:
        """Join the cluster at ``address`` and check its versions."""
        if not ray.is_initialized():
            extra: dict[str, Any] = {} if address else {"include_dashboard": False}
            try:
                ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING,
                         **extra)
            except Exception as exc:  # Ray's own errors are many; one of ours says where
                raise ExecutorError(executor="ray", address=address,
                                    problem=f"cannot connect: {type(exc).__name__}: {exc}"
                                    ) from exc
        check_versions(address)
        return cls(address)

    def submit(self, spec: ActionSpec, report: Callable[[ActionOutcome], None],
               scope: str = "") -> Callable[[], None]:
        if self.kept.involved(spec):  # keeps its result or reads kept ones: two returns
            return self.kept.submit(spec, report, scope, _options(spec), _outcome, _cancel)
        ref = _remote(spec).remote(spec.to_json())
        ref.future().add_done_callback(partial(_finished, report))
        return partial(_cancel, ref)

    def release(self, scope: str) -> None:
        """The execution ``scope`` ended: free the results it kept."""
        self.kept.release(scope)


_OPTIONED: dict[str, Any] = {}
"""Ray task options (as JSON) -> the remote function with them (``options()`` costs ~25 µs
a call; a with-items task asks for the same ones every item)."""


def _options(spec: ActionSpec) -> dict[str, Any]:
    """The spec's retries, resources and runtime_env as Ray task options."""
    options: dict[str, Any] = {"max_retries": IDEMPOTENT_RETRIES if spec.idempotent else 0,
                               "retry_exceptions": False}
    if spec.resources:
        options.update(spec.resources)
    if spec.runtime_env:
        options["runtime_env"] = dict(spec.runtime_env)
    return options


def _remote(spec: ActionSpec) -> Any:
    """The remote function with the spec's retries, resources and runtime_env."""
    options = _options(spec)
    key = json.dumps(options, sort_keys=True)
    remote = _OPTIONED.get(key)
    if remote is None:
        remote = _OPTIONED[key] = _attempt.options(**options)
    return remote


def check_versions(address: str | None) -> None:
    """:class:`ExecutorError` unless every alive node runs this Python (major.minor) and
    this Ray."""
    listing: Callable[[], list[dict[str, Any]]] = ray.nodes  # untyped in Ray
    nodes = [node["NodeID"] for node in listing() if node.get("Alive")]
    probes = [_versions.options(scheduling_strategy=NodeAffinitySchedulingStrategy(
        node_id=node, soft=False)).remote() for node in nodes]
    try:
        answers = ray.get(probes, timeout=CHECK_TIMEOUT)
    except Exception as exc:
        raise ExecutorError(executor="ray", address=address,
                            problem=f"the version check got no answer: {exc}") from exc
    for python, ray_version, node in answers:
        remote_python = ".".join(python.split(".")[:2])
        if remote_python != _python() or ray_version != ray.__version__:
            raise ExecutorError(
                executor="ray", address=address,
                problem=f"node {node} runs Python {python} and Ray {ray_version}; this "
                        f"process runs Python {_python()} and Ray {ray.__version__} (every "
                        f"node needs the same)")
