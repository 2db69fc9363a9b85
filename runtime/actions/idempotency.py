"""Whether running an action twice for one attempt is harmless: the action's own declaration.

After a crash the engine must decide, for every attempt that started and left no outcome,
whether to send it again. It may only do so for an *idempotent* action (running it twice
has the effect of running it once); any other attempt ends with an ``outcome_unknown``
error. An action declares it with :func:`idempotent`, as a decorator or around a function
given in ``actions=``::

    @idempotent
    def lookup(host): ...

    @idempotent(when=lambda inputs: inputs.get("method", "GET") == "GET")
    def request(url, method="GET"): ...

    start_workflow(path, actions={"my.fetch": idempotent(fetch)})

``when`` makes idempotency a property of the attempt: it is called with the attempt's
rendered input (a mapping, possibly empty) and says whether this attempt is idempotent.
The default, for a function that says nothing, is *not idempotent*: the engine never sends
twice what it was not told it may. :func:`is_idempotent` is the one question the engine asks.

Misuse: do not declare an action idempotent because it usually succeeds: declare it only if
a second run after a first one that completed changes nothing (reads, ``PUT`` of a whole
value, writes keyed by ``call.idempotency_key``); a ``when`` must be quick and must not
raise (a ``when`` that raises counts as not idempotent) and must not keep the input.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

__all__ = ["ATTRIBUTE", "Idempotency", "IdempotencyTest", "declared", "idempotent"]

ATTRIBUTE = "troupe_idempotent"
"""Name of the function attribute :func:`idempotent` sets (plugins may set it themselves)."""

IdempotencyTest = Callable[[Mapping[str, Any]], bool]
"""Says, from an attempt's rendered input, whether that attempt is idempotent."""

Idempotency = bool | IdempotencyTest
"""An action's declaration: always, never, or per attempt."""

_F = TypeVar("_F", bound=Callable[..., Any])


@overload
def idempotent(fn: _F, /) -> _F: ...


@overload
def idempotent(*, when: IdempotencyTest) -> Callable[[_F], _F]: ...


def idempotent(
    fn: _F | None = None, /, *, when: IdempotencyTest | None = None
) -> _F | Callable[[_F], _F]:
    """Declare ``fn`` idempotent (for every attempt, or for those ``when`` accepts).

    Returns ``fn`` itself with the attribute :data:`ATTRIBUTE` set; a callable that takes no
    attributes (a builtin, a bound method) is wrapped in a function that has it.
    """
    declaration: Idempotency = True if when is None else when

    def mark(target: _F) -> _F:
        try:
            setattr(target, ATTRIBUTE, declaration)
        except (AttributeError, TypeError):
            wrapped = _wrap(target)
            setattr(wrapped, ATTRIBUTE, declaration)
            return wrapped
        return target

    return mark if fn is None else mark(fn)


def _wrap(target: _F) -> _F:
    """A plain function calling ``target`` (for callables that refuse attributes)."""

    @functools.wraps(target)
    def call(*args: Any, **kwargs: Any) -> Any:
        return target(*args, **kwargs)

    return call  # type: ignore[return-value]


def declared(fn: Callable[..., Any]) -> Idempotency:
    """What ``fn`` declares (``False`` when it declares nothing, or something that is neither
    a bool nor callable)."""
    value = getattr(fn, ATTRIBUTE, False)
    if isinstance(value, bool) or callable(value):
        return value
    return False
