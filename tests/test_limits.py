"""Size limits: the record, the environment, the measure, and the journal round trip."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.events import WorkflowRequested
from runtime.limits import DEFAULT_LIMITS, MIB, Limits, LimitsError, json_size
from runtime.store.codec import decode, encode
from runtime.values import freeze

pytestmark = pytest.mark.timeout(30)


def test_defaults_are_the_documented_ones() -> None:
    """1 MiB / 16 MiB per result, 16 MiB / 256 MiB per execution."""
    documented = Limits(result_warn_bytes=MIB, result_max_bytes=16 * MIB,
                        context_warn_bytes=16 * MIB, context_max_bytes=256 * MIB)
    assert documented == DEFAULT_LIMITS


def test_environment_overrides_the_defaults() -> None:
    """Each TROUPE_*_BYTES variable sets its field; units are accepted; unset keeps it."""
    env = {"TROUPE_RESULT_WARN_BYTES": "100", "TROUPE_RESULT_MAX_BYTES": "2 MiB",
           "TROUPE_CONTEXT_WARN_BYTES": "64k", "TROUPE_CONTEXT_MAX_BYTES": " "}
    limits = Limits.from_env(env)
    assert limits == DEFAULT_LIMITS.but(result_warn_bytes=100, result_max_bytes=2 * MIB,
                                        context_warn_bytes=64 * 1024)
    assert Limits.from_env({}) is DEFAULT_LIMITS
    base = Limits(result_max_bytes=0)
    assert Limits.from_env({"TROUPE_RESULT_WARN_BYTES": "1"}, base).result_max_bytes == 0


def test_the_process_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a mapping, os.environ is read."""
    monkeypatch.setenv("TROUPE_CONTEXT_MAX_BYTES", "1GiB")
    assert Limits.from_env().context_max_bytes == 1024 * MIB


@pytest.mark.parametrize("value", ["-1", "lots", "1.5", "3 TB"])
def test_a_bad_environment_value_names_the_variable(value: str) -> None:
    with pytest.raises(LimitsError) as info:
        Limits.from_env({"TROUPE_RESULT_MAX_BYTES": value})
    assert (info.value.name, info.value.value) == ("TROUPE_RESULT_MAX_BYTES", value)


@pytest.mark.parametrize("value", [-1, 1.5, True, "10"])
def test_but_checks_its_values(value: Any) -> None:
    with pytest.raises(LimitsError) as info:
        DEFAULT_LIMITS.but(result_max_bytes=value)
    assert info.value.name == "result_max_bytes"
    with pytest.raises(TypeError):
        DEFAULT_LIMITS.but(result_bytes=1)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_json_size_is_the_compact_json_length_plain_or_frozen(value: Any) -> None:
    """The measure is the length of the journal's JSON text, for plain and frozen data."""
    expected = len(json.dumps(value, separators=(",", ":")))
    assert json_size(value) == expected
    assert json_size(freeze(value)) == expected


def test_json_size_of_values_json_cannot_hold() -> None:
    """Odd values are measured as the engine writes them; unwritable ones by their repr."""
    assert json_size((1, 2)) == len("[1,2]")
    assert json_size(b"ab") == len('"ab"')
    assert json_size({(1, 2): 3}) == len(repr({(1, 2): 3}))
    assert json_size(object()) > 0


def test_limits_round_trip_through_the_journal_codec() -> None:
    """WorkflowRequested keeps its limits in the journal (and old entries get the defaults)."""
    event = WorkflowRequested(execution_id="e", parameters=freeze({"a": 1}), at=2.0,
                              limits=Limits(result_warn_bytes=10, context_max_bytes=0))
    kind, body = encode(event)
    assert decode(kind, body) == event
    plain = WorkflowRequested(execution_id="e")
    assert decode(*encode(plain)) == plain
    old = json.dumps({"execution_id": "e", "parameters": {}, "at": 1.0})
    assert decode("WorkflowRequested", old).limits == DEFAULT_LIMITS
