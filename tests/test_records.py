"""``@record`` builds the same dataclass as the decorator it replaces, only faster."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.records import evolve, record

pytestmark = pytest.mark.timeout(30)


@record
class Sample:
    name: str
    count: int
    note: str | None = None
    tags: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Reference:
    name: str
    count: int
    note: str | None = None
    tags: tuple[str, ...] = ()


def test_a_record_is_a_frozen_slotted_keyword_only_dataclass() -> None:
    sample = Sample(name="a", count=1)
    assert dataclasses.is_dataclass(sample)
    assert Sample.__slots__ == Reference.__slots__
    assert (sample.name, sample.count, sample.note, sample.tags) == ("a", 1, None, ())
    with pytest.raises(dataclasses.FrozenInstanceError):
        sample.count = 2  # type: ignore[misc]
    assert str(inspect.signature(Sample)) == str(inspect.signature(Reference))
    assert repr(sample) == repr(Reference(name="a", count=1)).replace("Reference", "Sample")
    assert sample == Sample(name="a", count=1) and hash(sample) == hash(Sample(name="a", count=1))


def test_a_record_rejects_what_the_dataclass_rejects() -> None:
    with pytest.raises(TypeError):
        Sample(name="a")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Sample("a", 1)  # type: ignore[misc]
    with pytest.raises(TypeError):
        Sample(name="a", count=1, other=2)  # type: ignore[call-arg]


def test_record_refuses_classes_its_init_would_break() -> None:
    with pytest.raises(TypeError):
        @record
        class WithFactory:
            items: list[int] = dataclasses.field(default_factory=list)

    with pytest.raises(TypeError):
        @record
        class WithPostInit:
            value: int

            def __post_init__(self) -> None:
                pass


@given(st.text(), st.integers(), st.none() | st.text(), st.lists(st.text()).map(tuple),
       st.sampled_from(["name", "count", "note", "tags"]))
def test_evolve_equals_replace(name: str, count: int, note: str | None,
                               tags: tuple[str, ...], changed: str) -> None:
    sample = Sample(name=name, count=count, note=note, tags=tags)
    value = getattr(Sample(name="x", count=7, note="n", tags=("t",)), changed)
    assert evolve(sample, {changed: value}) == dataclasses.replace(sample, **{changed: value})
    assert evolve(sample, {}) == sample


def test_a_record_pickles_and_copies_like_the_dataclass() -> None:
    """Events are journaled: a record must survive a pickle round trip unchanged."""
    import copy
    import pickle

    sample = Sample(name="a", count=2, note=None, tags=("x", "y"))
    assert pickle.loads(pickle.dumps(sample)) == sample
    assert copy.copy(sample) == sample


def test_evolve_refuses_a_name_that_is_not_a_field() -> None:
    with pytest.raises(TypeError) as raised:
        evolve(Sample(name="a", count=1), {"cuont": 5})
    assert "'cuont'" in str(raised.value)
    assert evolve(Sample(name="a", count=1), {"count": 5}).count == 5


def test_tx_update_refuses_a_name_that_is_not_a_field() -> None:
    from runtime.events import WorkflowRequested
    from runtime.machine import advance, initial_state
    from runtime.machine.tx import Tx
    from runtime.spec import load_workflow

    defn = load_workflow("version: 1.0\ntasks:\n  a:\n    action: core.noop\n")
    state, _ = advance(initial_state(defn), WorkflowRequested(execution_id="x", at=1.0))
    tx = Tx(state, 2.0)
    with pytest.raises(TypeError):
        tx.update(tx.run(0), atempt=5)


def test_tx_mirrors_every_field_of_the_state() -> None:
    from runtime.machine.state import WorkflowState
    from runtime.machine.tx import MIRRORED

    names = {f.name for f in dataclasses.fields(WorkflowState)}
    assert set(MIRRORED) == names - {"defn", "runs", "events"}
