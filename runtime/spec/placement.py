"""Where a task's attempts run: its ``executor``, ``resources`` and ``runtime_env`` keys.

Both dialects take the same three task keys (:func:`load_placement` reads them and reports
bad shapes with their line, as the loaders do)::

    executor: ray                    # or local; default: the engine's executor
    resources: {num_cpus: 1, num_gpus: 0, memory: 2GiB}   # what one attempt needs
    runtime_env: {pip: [requests]}   # Ray's runtime_env, passed as it is
    keep_result_in_ray: true         # the result stays in Ray's object store, whatever its
                                     # size (false: it always travels; default: the
                                     # engine's ray_result_threshold)

``memory`` is a number of bytes or a number with a unit (``512MiB``, ``2GB``, ``1.5Gi``).
``resources``, ``runtime_env`` and ``keep_result_in_ray`` apply on Ray only: on a task that
says ``executor: local`` they are a warning (T106), since nothing would read them.

Misuse: read a task's placement from its :class:`~runtime.spec.model.TaskDef`
(``placement``), never from the raw mapping; do not validate ``runtime_env`` here beyond
its being a mapping (Ray checks its own keys when the attempt is submitted).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from runtime.records import record
from runtime.values import freeze, thaw

from .common import check_keys, closest
from .report import Reporter

__all__ = ["EXECUTORS", "PLACEMENT_KEYS", "RESOURCE_KEYS", "Placement", "Resources",
           "load_placement", "parse_memory"]

EXECUTORS = ("local", "ray")
"""The executors a task or an engine may name (:mod:`runtime.executors`)."""

PLACEMENT_KEYS = ("executor", "resources", "runtime_env", "keep_result_in_ray")
"""The task keys this module reads (each dialect allows them)."""

RESOURCE_KEYS = ("num_cpus", "num_gpus", "memory")

_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9,
          "gb": 10**9, "t": 10**12, "tb": 10**12, "ki": 2**10, "kib": 2**10, "mi": 2**20,
          "mib": 2**20, "gi": 2**30, "gib": 2**30, "ti": 2**40, "tib": 2**40}
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


@record
class Resources:
    """What one attempt needs on the cluster (None: Ray's default)."""

    num_cpus: float | None = None
    num_gpus: float | None = None
    memory: int | None = None
    """Bytes."""

    def to_json(self) -> dict[str, float]:
        return {key: value for key in RESOURCE_KEYS
                if (value := getattr(self, key)) is not None}


@record
class Placement:
    """A task's executor (None: the engine's), resources and runtime_env."""

    executor: str | None = None
    resources: Resources | None = None
    runtime_env: Any = None
    """Frozen mapping, or None."""
    keep_result: bool | None = None
    """``keep_result_in_ray``: True keeps every result in the object store, False none
    (None: the engine's threshold; :mod:`runtime.executors.kept`)."""

    def runtime_env_json(self) -> dict[str, Any] | None:
        return thaw(self.runtime_env) if self.runtime_env is not None else None


def parse_memory(value: object) -> int | None:
    """Bytes of ``value`` (an int, a float or ``"2GiB"``), or None when it is none of those."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if value >= 0 else None
    if isinstance(value, str):
        match = _MEMORY.match(value)
        if match and match.group(2).lower() in _UNITS:
            return int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    return None


def load_placement(reporter: Reporter, body: Mapping[str, Any], task: str) -> Placement | None:
    """The task's placement (None when it has none of the keys); report bad shapes."""
    if not any(key in body for key in PLACEMENT_KEYS):
        return None
    path = f"tasks.{task}"
    executor = body.get("executor")
    if executor is not None and executor not in EXECUTORS:
        hint = closest(str(executor), set(EXECUTORS))
        reporter.report("T106", f"unknown executor {executor!r} (expected "
                        f"{' or '.join(EXECUTORS)}" + (f"; did you mean {hint!r}?)" if hint
                                                       else ")"),
                        body, "executor", task=task, path=f"{path}.executor")
        executor = None
    resources = _resources(reporter, body, task, path)
    runtime_env = body.get("runtime_env")
    if runtime_env is not None and not isinstance(runtime_env, Mapping):
        reporter.report("T103", "runtime_env must be a mapping", body, "runtime_env",
                        task=task, path=f"{path}.runtime_env")
        runtime_env = None
    keep = body.get("keep_result_in_ray")
    if keep is not None and not isinstance(keep, bool):
        reporter.report("T103", f"keep_result_in_ray must be true or false, got {keep!r}",
                        body, "keep_result_in_ray", task=task,
                        path=f"{path}.keep_result_in_ray")
        keep = None
    if executor == "local" and (resources is not None or runtime_env is not None
                                or keep is not None):
        reporter.report("T106", "resources, runtime_env and keep_result_in_ray have no "
                        "effect on the local executor", body, "executor", task=task,
                        path=f"{path}.executor", severity="warning")
    return Placement(executor=executor, resources=resources, keep_result=keep,
                     runtime_env=freeze(dict(runtime_env)) if runtime_env else None)


def _resources(reporter: Reporter, body: Mapping[str, Any], task: str,
               path: str) -> Resources | None:
    value = body.get("resources")
    if value is None:
        return None
    if not isinstance(value, Mapping):
        reporter.report("T103", "resources must be a mapping {num_cpus, num_gpus, memory}",
                        body, "resources", task=task, path=f"{path}.resources")
        return None
    check_keys(reporter, value, RESOURCE_KEYS, task=task, path=f"{path}.resources")
    found: dict[str, Any] = {}
    for key in ("num_cpus", "num_gpus"):
        amount = value.get(key)
        if amount is None:
            continue
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0:
            reporter.report("T103", f"{key} must be a number >= 0, got {amount!r}", value,
                            key, task=task, path=f"{path}.resources.{key}")
            continue
        found[key] = float(amount)
    if value.get("memory") is not None:
        memory = parse_memory(value["memory"])
        if memory is None:
            reporter.report("T103", "memory must be bytes or a size like 512MiB, got "
                            f"{value['memory']!r}", value, "memory", task=task,
                            path=f"{path}.resources.memory")
        else:
            found["memory"] = memory
    return Resources(**found)
