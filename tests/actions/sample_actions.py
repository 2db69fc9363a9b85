"""Small functions that tests resolve through ``python:tests.actions.sample_actions:...``.

Misuse: keep this module import-cheap and side-effect free; tests count on importing it.
"""

from __future__ import annotations

from typing import Any

from runtime.actions.call import Call
from runtime.actions.idempotency import idempotent

NOT_CALLABLE = 3


def add(a: int, b: int = 0) -> int:
    """Add two numbers.

    The rest of this docstring is not part of the description.
    """
    return a + b


def whoami(*, call: Call) -> str:
    """Return the task name of the call."""
    return call.task


def positional_call(call: Any = None) -> Any:
    """Take a positional parameter that happens to be named call."""
    return call


def anything(**kwargs: Any) -> dict[str, Any]:
    """Return every keyword argument."""
    return kwargs


def broken_inside(a: int) -> None:
    """Raise a TypeError from inside the action body."""
    raise TypeError(f"bad operand {a!r}")


class Namespace:
    """A class holding an action as a static method."""

    @staticmethod
    def hello(name: str = "world") -> str:
        """Greet someone."""
        return f"hello {name}"


@idempotent
def lookup(key: str) -> str:
    """An idempotent action (a read), for plugins and ``python:`` references."""
    return key
