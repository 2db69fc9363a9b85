"""The in-process stand-in for a remote executor (no Ray) the seam's tests share."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator

import pytest

from actors import remote
from runtime.executors import ActionOutcome, ActionSpec

Report = Callable[[ActionOutcome], None]


class Stand:
    """A remote executor that runs nothing: the test decides how each attempt ends."""

    def __init__(self) -> None:
        self.submitted: queue.SimpleQueue[tuple[ActionSpec, Report]] = queue.SimpleQueue()
        self.killed: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.scopes: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.released: queue.SimpleQueue[str] = queue.SimpleQueue()

    def submit(self, spec: ActionSpec, report: Report, scope: str) -> Callable[[], None]:
        self.scopes.put(scope)
        self.submitted.put((spec, report))
        return lambda: self.killed.put(spec.call.idempotency_key)

    def release(self, scope: str) -> None:
        self.released.put(scope)

    def next(self) -> tuple[ActionSpec, Report]:
        return self.submitted.get(timeout=30)


@pytest.fixture
def stand(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stand]:
    """Every ``ray`` executor of the test is one :class:`Stand`."""
    made = Stand()
    remote.disconnect()
    monkeypatch.setitem(remote.FACTORIES, "ray", lambda address: made)
    yield made
    remote.disconnect()
