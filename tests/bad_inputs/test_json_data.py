"""The action-result boundary: :func:`runtime.values.json_data`."""

from __future__ import annotations

import enum
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyrsistent import freeze as pfreeze

from runtime.values import NotJson, json_data

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner,
                                                                  max_size=4),
    max_leaves=20)


@given(JSON)
def test_json_data_is_the_identity_on_json(value: Any) -> None:
    """Plain JSON data passes unchanged, and so does its frozen form."""
    assert json_data(value) == value
    assert json_data(pfreeze(value)) == json.loads(json.dumps(value))


class Colour(enum.StrEnum):
    RED = "red"


def test_conversions() -> None:
    """Tuples, sets, UTF-8 bytes, scalar keys and str enums become JSON data."""
    assert json_data({"a": (1, {2, 1}), 3: b"x", None: Colour.RED, True: 1.5}) == {
        "a": [1, [1, 2]], "3": "x", "null": "red", "true": 1.5}


def _cycle() -> Any:
    value: list[Any] = []
    value.append(value)
    return value


@pytest.mark.parametrize(("value", "path"), [
    (object(), "$"),
    ({"a": [1, math.nan]}, "$.a[1]"),
    ({"a": math.inf}, "$.a"),
    ({"b": b"\xff"}, "$.b"),
    (_cycle(), "$[0]"),
    ({(1, 2): 1}, "$"),
    ({"n": 2 ** 20000}, "$.n"),
])
def test_refused(value: Any, path: str) -> None:
    """What JSON cannot hold is refused, naming where in the value."""
    with pytest.raises(NotJson) as caught:
        json_data(value)
    assert caught.value.path == path


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    """A result nested 10,000 deep fails cleanly (the walk is iterative)."""
    value: Any = 1
    for _ in range(10_000):
        value = [value]
    with pytest.raises(NotJson):
        json_data(value)
