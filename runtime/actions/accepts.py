"""What inputs an action accepts, and which given input names do not fit: one answer for
the run time and for validation.

A Python action's inputs are its function's keyword parameters (:func:`signature`,
:func:`binding_problems`: what :func:`runtime.actions.registry.invoke` reports when a call
does not bind). A function may instead declare StackStorm-style parameter metadata
(``{name: {required, default, immutable, ...}}``) with :func:`declare_parameters`, as a
pack's Python action does (:mod:`runtime.st2pack`); then :func:`metadata_problems` decides,
at run time and at validation alike. :class:`Accepts` is what validation asks
(:func:`accepts_of`): the missing, unknown and immutable names among an input's keys.

Misuse: give :meth:`Accepts.problems` the input's literal keys only (a value may be an
expression, which is not evaluated: it counts as given); do not infer parameters from a
function whose signature Python cannot read (:func:`accepts_of` answers None: unchecked).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

__all__ = ["PARAMETERS", "Accepts", "InputProblems", "accepts_of", "binding_problems",
           "declare_parameters", "metadata_problems", "signature"]

PARAMETERS = "troupe_parameters"
"""The function attribute :func:`declare_parameters` sets (name -> parameter metadata)."""

Metadata = Mapping[str, Mapping[str, Any]]
"""Parameter name -> its metadata (``required``, ``default``, ``immutable``, ``type``...)."""


def signature(fn: Callable[..., Any]) -> inspect.Signature | None:
    """Return ``fn``'s signature, or ``None`` when Python cannot tell (some C functions)."""
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def binding_problems(
    sig: inspect.Signature, kwargs: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    """Return ``(missing, unexpected)`` argument names for calling with ``kwargs``."""
    params = sig.parameters
    kinds = inspect.Parameter
    var_kw = any(p.kind is kinds.VAR_KEYWORD for p in params.values())
    named = {
        name
        for name, p in params.items()
        if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)
    }
    unexpected = [] if var_kw else [name for name in kwargs if name not in named]
    missing = [
        name
        for name, p in params.items()
        if p.default is kinds.empty
        and p.kind not in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD)
        and (name not in kwargs or p.kind is kinds.POSITIONAL_ONLY)
    ]
    return missing, unexpected


def metadata_problems(params: Metadata, given: Mapping[str, Any]
                      ) -> tuple[list[str], list[str], list[str]]:
    """``(missing, unexpected, immutable)`` names for inputs ``given`` to an action with
    parameter metadata ``params``: a ``required`` parameter without a default (a null
    default is none) that is not given; a name no parameter has; an ``immutable``
    parameter given a value other than its default."""
    missing = [name for name, spec in params.items()
               if spec.get("required") and spec.get("default") is None and name not in given]
    unexpected = [name for name in given if name not in params]
    immutable = [name for name, spec in params.items()
                 if spec.get("immutable") and name in given
                 and given[name] != spec.get("default")]
    return missing, unexpected, immutable


def declare_parameters(fn: Callable[..., Any], params: Metadata) -> None:
    """Declare that ``fn`` takes the parameters ``params`` describe (its signature, often
    ``**inputs``, does not say)."""
    setattr(fn, PARAMETERS, MappingProxyType({k: dict(v) for k, v in params.items()}))


@dataclass(frozen=True, slots=True, kw_only=True)
class InputProblems:
    """What is wrong with an input's names; all empty when they fit."""

    missing: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    immutable: tuple[str, ...] = ()
    reserved: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Accepts:
    """The inputs one action takes: from its signature or from declared metadata."""

    signature: inspect.Signature | None = None
    metadata: Metadata | None = None
    reserved: frozenset[str] = frozenset()
    """Names the engine passes itself (``call``), refused in an input."""

    @property
    def names(self) -> frozenset[str] | None:
        """Every input name it takes, or None when it takes any (``**kwargs``)."""
        if self.metadata is not None:
            return frozenset(self.metadata)
        if self.signature is None:
            return None
        params = self.signature.parameters.values()
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
            return None
        return frozenset(p.name for p in params if p.kind in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        ) - self.reserved

    def problems(self, given: Mapping[str, Any]) -> InputProblems:
        """What does not fit in an input with these keys (values as written)."""
        reserved = tuple(name for name in given if name in self.reserved)
        kwargs = {**given, **dict.fromkeys(self.reserved)}
        immutable: list[str] = []
        if self.metadata is not None:
            missing, unknown, immutable = metadata_problems(self.metadata, given)
        elif self.signature is not None:
            missing, unknown = binding_problems(self.signature, kwargs)
        else:
            missing, unknown = [], []
        unknown = [name for name in unknown if name not in self.reserved]
        return InputProblems(missing=tuple(missing), unknown=tuple(unknown),
                             immutable=tuple(immutable), reserved=reserved)


def accepts_of(fn: Callable[..., Any], *, wants_call: bool = False) -> Accepts | None:
    """What ``fn`` takes (``wants_call``: ``call`` is the engine's), or None if unknowable."""
    reserved = frozenset({"call"}) if wants_call else frozenset()
    declared = getattr(fn, PARAMETERS, None)
    if isinstance(declared, Mapping):
        return Accepts(metadata=declared, reserved=reserved)
    sig = signature(fn)
    return None if sig is None else Accepts(signature=sig, reserved=reserved)
