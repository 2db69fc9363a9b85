"""Which executor an engine sends attempts to by default: ``local``, or ``ray`` at an address.

``Engine(executor=...)``, ``start_workflow(..., executor=...)`` and ``troupe daemon
--executor ... --ray-address ...`` take the same values (:func:`parse_executor`):
``local`` (the default: nothing changes for anyone who does not ask), ``ray`` (Ray's own
default: ``$RAY_ADDRESS``, else a Ray instance started in this process), ``ray://HOST:PORT``
(a Ray client connection), ``auto`` or ``HOST:PORT`` (a running cluster's GCS address).
``ray_result_threshold`` (:func:`parse_threshold`) goes with it: the size over which a Ray
attempt's result stays in the object store (:mod:`runtime.executors.kept`).

Misuse: parse once, where the setting is read, and pass the :class:`ExecutorChoice` on;
never compare raw strings elsewhere.
"""

from __future__ import annotations

import re

from runtime.errors import ExecutorError
from runtime.records import record
from runtime.spec.placement import EXECUTORS, parse_memory

__all__ = ["EXECUTORS", "LOCAL", "ExecutorChoice", "parse_executor", "parse_threshold"]

_ADDRESS = re.compile(r"^[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")


@record
class ExecutorChoice:
    """An executor and, for Ray, the address to connect to (None: Ray's default)."""

    kind: str = "local"
    address: str | None = None

    @property
    def remote(self) -> bool:
        return self.kind != "local"


LOCAL = ExecutorChoice()


def parse_executor(value: object, address: str | None = None) -> ExecutorChoice:
    """The choice ``value`` names (an :class:`ExecutorChoice` passes through); ``address``
    is the Ray address given apart (``--ray-address``). :class:`ExecutorError` for anything
    else."""
    if isinstance(value, ExecutorChoice):
        return value
    if value is None or value in {"", "local"}:
        if address:
            raise ExecutorError(executor="local", address=address,
                                problem="a Ray address needs the ray executor")
        return LOCAL
    if not isinstance(value, str):
        raise ExecutorError(executor=repr(value), problem="the executor must be a string")
    text = value.strip()
    if text == "ray":
        return ExecutorChoice(kind="ray", address=address or None)
    if text.startswith("ray://") or text == "auto" or _ADDRESS.match(text):
        if address and address != text:
            raise ExecutorError(executor=text, address=address,
                                problem="two different Ray addresses")
        return ExecutorChoice(kind="ray", address=text)
    raise ExecutorError(executor=text, problem="unknown executor: expected local, ray, "
                        "ray://HOST:PORT, auto or HOST:PORT")


def parse_threshold(value: object) -> int | None:
    """The bytes of ``ray_result_threshold`` (a number, or a size like ``1MiB``; None or
    ``""``: off): results bigger than that stay in Ray's object store. :class:`ExecutorError`
    for anything else."""
    if value is None or value == "":
        return None
    size = parse_memory(value)
    if size is None:
        raise ExecutorError(executor="ray", problem=f"ray_result_threshold must be bytes or a "
                            f"size like 1MiB, got {value!r}")
    return size
