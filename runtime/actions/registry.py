"""Where action references are resolved to functions, and how a function is invoked.

An :class:`ActionRegistry` turns a reference written in a workflow (``core.local``,
``python:pkg.mod:fn``, a plugin name) into an :class:`Action`: the function plus what the
engine needs to know about it. Resolution order is: the user mapping given to the registry,
the built-in ``core.*`` actions, ``python:module:attribute`` references (imported on demand),
then plugins declared in the ``troupe.actions`` entry-point group (listed and loaded lazily,
once). :func:`invoke` calls an action with plain-Python inputs and, when the function asks for
it, the :class:`~runtime.actions.call.Call` record.

Misuse: resolve references once per workflow definition (at load or validation time), not on
every task run; do not share one registry between threads that resolve concurrently (its
cache is a plain dict); do not catch ``TypeError`` around :func:`invoke` to detect bad
inputs: binding errors are reported as :class:`~runtime.errors.ActionFailed` with the
missing and unexpected argument names in ``result``.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pyrsistent import thaw

from runtime.actions.accepts import Accepts, accepts_of
from runtime.actions.accepts import binding_problems as _binding_problems
from runtime.actions.accepts import signature as _signature
from runtime.actions.builtin import BUILTIN_ACTIONS
from runtime.actions.call import Call
from runtime.actions.idempotency import Idempotency, declared
from runtime.errors import ActionFailed, ActionNotFound

__all__ = [
    "ENTRY_POINT_GROUP",
    "PYTHON_PREFIX",
    "Action",
    "ActionRegistry",
    "EntryPointLike",
    "invoke",
    "is_idempotent",
]

ENTRY_POINT_GROUP = "troupe.actions"
"""Entry-point group in which installed distributions declare actions (name = reference)."""

PYTHON_PREFIX = "python:"
"""Prefix of references that name a function by import path: ``python:pkg.mod:function``."""


class EntryPointLike(Protocol):
    """What the registry needs from an entry point: its name and a way to load it."""

    @property
    def name(self) -> str:
        """The action reference the entry point declares."""
        ...

    def load(self) -> Any:
        """Import and return the object the entry point names."""
        ...


def _installed_entry_points() -> Iterable[EntryPointLike]:
    """Return the entry points of the ``troupe.actions`` group of installed distributions."""
    return importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)


def _first_doc_line(fn: Callable[..., Any]) -> str:
    """Return the first non-empty line of ``fn``'s docstring, or ``""``."""
    doc = inspect.getdoc(fn) or ""
    for line in doc.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _wants_call(fn: Callable[..., Any]) -> bool:
    """Tell whether ``fn`` declares a keyword-only parameter named ``call``."""
    sig = _signature(fn)
    if sig is None:
        return False
    param = sig.parameters.get("call")
    return param is not None and param.kind is inspect.Parameter.KEYWORD_ONLY


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """A resolved action: the function to call and what the engine needs to know about it."""

    ref: str
    """The reference it was resolved from, e.g. ``core.echo``."""
    fn: Callable[..., Any]
    """The function; it is called with the inputs as keyword arguments."""
    description: str = ""
    """First line of the function's docstring."""
    wants_call: bool = False
    """``True`` when ``fn`` declares a keyword-only parameter named ``call``."""
    source: str = "user"
    """Where it came from: ``builtin``, ``entry-point``, ``python`` or ``user``."""
    idempotent: Idempotency = False
    """Whether running it twice for one attempt is harmless: ``True``, ``False`` (the
    default) or a function of the attempt's rendered input (:func:`is_idempotent`); read
    from the function's :func:`~runtime.actions.idempotency.idempotent` declaration."""

    @classmethod
    def of(cls, ref: str, fn: Callable[..., Any], *, source: str = "user") -> Action:
        """Build the record of ``fn`` registered under ``ref``, inspecting the function."""
        return cls(
            ref=ref,
            fn=fn,
            description=_first_doc_line(fn),
            wants_call=_wants_call(fn),
            source=source,
            idempotent=declared(fn),
        )


_NO_INPUT: Mapping[str, Any] = {}


def is_idempotent(action: Action, inputs: Mapping[str, Any] | None) -> bool:
    """Tell whether this attempt of ``action``, with these rendered ``inputs``, may run twice.

    ``True``/``False`` declarations answer for every attempt; a function declaration is
    asked with the inputs (an empty mapping for none). A function that raises, or that
    answers something other than a bool, makes the attempt not idempotent (the safe side).
    """
    declaration = action.idempotent
    if declaration is True or declaration is False:
        return declaration
    try:
        answer = declaration(inputs if inputs is not None else _NO_INPUT)
    except Exception:  # a broken declaration must not let an attempt run twice
        return False
    return answer is True


class ActionRegistry:
    """Resolves action references to :class:`Action` records and caches them.

    ``user`` maps references to functions and takes precedence over everything else (it may
    override built-ins). ``entry_points=False`` ignores installed plugins. ``entry_point_loader``
    replaces the listing of the ``troupe.actions`` entry-point group (for tests and embedding);
    it is called at most once, the first time a plugin is needed.
    """

    def __init__(
        self,
        user: Mapping[str, Callable[..., Any]] | None = None,
        *,
        entry_points: bool = True,
        entry_point_loader: Callable[[], Iterable[EntryPointLike]] | None = None,
    ) -> None:
        self._user: dict[str, Callable[..., Any]] = dict(user or {})
        self._use_entry_points = entry_points
        self._entry_point_loader = entry_point_loader or _installed_entry_points
        self._entry_points: dict[str, EntryPointLike] | None = None
        self._cache: dict[str, Action] = {}

    def resolve(self, ref: str, *, task: str | None = None) -> Action:
        """Return the action ``ref`` names; raise :class:`ActionNotFound` (with ``task``) if none.

        Results are cached, so a plugin or ``python:`` module is imported at most once.
        """
        cached = self._cache.get(ref)
        if cached is not None:
            return cached
        action = self._find(ref, task)
        self._cache[ref] = action
        return action

    def has(self, ref: str) -> bool:
        """Tell whether ``ref`` resolves (importing it if needed); never raises."""
        try:
            self.resolve(ref)
        except ActionNotFound:
            return False
        return True

    def accepts(self, ref: str) -> Accepts | None:
        """What inputs the action ``ref`` takes (:mod:`runtime.actions.accepts`), or None
        when ``ref`` resolves to nothing or its signature cannot be read; never raises."""
        try:
            action = self.resolve(ref)
        except ActionNotFound:
            return None
        return accepts_of(action.fn, wants_call=action.wants_call)

    def refs(self) -> list[str]:
        """Return every known reference, sorted (``python:`` references are open-ended and
        not listed)."""
        names = set(self._user) | set(BUILTIN_ACTIONS) | set(self._plugins())
        return sorted(names)

    def describe(self) -> list[Action]:
        """Return the action of every reference of :meth:`refs`, in the same order.

        A plugin that fails to load raises :class:`ActionNotFound` naming it.
        """
        return [self.resolve(ref) for ref in self.refs()]

    # -- resolution steps -------------------------------------------------------------------

    def _find(self, ref: str, task: str | None) -> Action:
        """Resolve ``ref`` without the cache, in the documented order."""
        if ref in self._user:
            return self._checked(ref, self._user[ref], "user", task)
        if ref in BUILTIN_ACTIONS:
            return Action.of(ref, BUILTIN_ACTIONS[ref], source="builtin")
        if ref.startswith(PYTHON_PREFIX):
            return self._checked(ref, self._import(ref, task), "python", task)
        entry = self._plugins().get(ref)
        if entry is not None:
            try:
                loaded = entry.load()
            except Exception as exc:  # a broken plugin is reported, not propagated raw
                raise ActionNotFound(
                    ref, task=task, reason=f"entry point failed to load: {exc!r}"
                ) from exc
            return self._checked(ref, loaded, "entry-point", task)
        raise ActionNotFound(ref, task=task)

    @staticmethod
    def _checked(ref: str, obj: object, source: str, task: str | None) -> Action:
        """Return the action record of ``obj``, which must be callable."""
        if not callable(obj):
            raise ActionNotFound(
                ref, task=task, reason=f"{type(obj).__name__} object is not callable"
            )
        return Action.of(ref, obj, source=source)

    @staticmethod
    def _import(ref: str, task: str | None) -> object:
        """Import the module of a ``python:module:attr`` reference and return the attribute."""
        target = ref[len(PYTHON_PREFIX) :]
        module_name, sep, attr_path = target.partition(":")
        if not sep or not module_name or not attr_path:
            raise ActionNotFound(ref, task=task, reason="expected python:package.module:function")
        try:
            obj: object = importlib.import_module(module_name)
        except Exception as exc:  # any import failure means the reference is unusable
            raise ActionNotFound(
                ref, task=task, reason=f"cannot import {module_name!r}: {exc!r}"
            ) from exc
        for part in attr_path.split("."):
            try:
                obj = getattr(obj, part)
            except AttributeError as exc:
                raise ActionNotFound(
                    ref, task=task, reason=f"{module_name!r} has no attribute {attr_path!r}"
                ) from exc
        return obj

    def _plugins(self) -> dict[str, EntryPointLike]:
        """Return the entry points by name, listing them on first use (first name wins)."""
        if not self._use_entry_points:
            return {}
        if self._entry_points is None:
            found: dict[str, EntryPointLike] = {}
            for entry in self._entry_point_loader():
                found.setdefault(entry.name, entry)
            self._entry_points = found
        return self._entry_points


def invoke(action: Action, inputs: Mapping[str, Any] | None, call: Call) -> Any:
    """Call ``action`` with ``inputs`` (thawed to plain Python) as keyword arguments.

    ``call`` is passed as the keyword argument ``call`` when the action wants it. Inputs that
    do not fit the function's signature raise :class:`ActionFailed` whose ``result`` is
    ``{"action": ref, "missing": [...], "unexpected": [...], "error": str}``, before the
    function runs. Whatever the function returns is returned unchanged; whatever it raises
    propagates unchanged.
    """
    kwargs: dict[str, Any] = thaw(dict(inputs.items())) if inputs else {}
    bad_keys = [key for key in kwargs if not isinstance(key, str)] if kwargs else None
    if bad_keys:
        raise _input_error(action, f"input names must be strings, got {bad_keys!r}",
                           "input names must be strings",
                           unexpected=[repr(key) for key in bad_keys])
    if action.wants_call:
        if "call" in kwargs:
            raise _input_error(action, "input 'call' is reserved for the call record",
                               "input 'call' is reserved", unexpected=["call"])
        kwargs["call"] = call
    try:
        return action.fn(**kwargs)
    except TypeError as original:
        # Binding is checked only when something went wrong (signature() costs ~60 us): a
        # bad binding fails before the body runs, so the action did not start.
        sig = _signature(action.fn)
        if sig is None:
            raise
        try:
            sig.bind(**kwargs)
        except TypeError as exc:
            missing, unexpected = _binding_problems(sig, kwargs)
            parts = []
            if missing:
                parts.append(f"missing input(s): {', '.join(missing)}")
            if unexpected:
                parts.append(f"unexpected input(s): {', '.join(unexpected)}")
            raise _input_error(action, "; ".join(parts) or str(exc), str(exc),
                               missing=missing, unexpected=unexpected) from None
        raise original


def _input_error(action: Action, message: str, error: str, *,
                 missing: list[str] | None = None,
                 unexpected: list[str] | None = None) -> ActionFailed:
    """The failure of an attempt whose inputs do not fit the action (it did not start)."""
    return ActionFailed(
        f"action {action.ref!r}: {message}",
        result={"action": action.ref, "missing": missing or [], "unexpected": unexpected or [],
                "error": error},
    )
