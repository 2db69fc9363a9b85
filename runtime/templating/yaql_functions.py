"""The YAQL context of Orquesta expressions: yaql's standard library plus Orquesta's functions.

:func:`root_context` is built once per process, as Orquesta builds its own: yaql's standard
library (``yaql.create_context(regex=False)``: queries, strings, math, dicts...; its
regex functions replaced, with ``pow``, integer ``*`` and ``range``, by the guarded ones of
:mod:`~runtime.templating.yaql_guards`, in a layer above) plus Orquesta's
catalogue, ``ctx``, ``result``, ``item``, ``succeeded``, ``failed``, ``completed``,
``timed_out``, ``task_status``, ``json`` and ``zip``, StackStorm's ``task`` and its data
functions (:data:`~runtime.templating.st2_filters.ST2_FILTERS`: ``from_json_string``,
``regex_match``, ``version_compare``, ``basename``...). Their logic
is that of the Jinja functions (:mod:`~runtime.templating.orquesta_functions`); here they
read the :class:`~runtime.templating.scope.Scope` from the yaql context variable
:data:`SCOPE_VAR`. Each evaluation gets a child context of the root (a dictionary and a
parent pointer) holding only references: the scope, and ``$``, the visible workflow context
itself.

Misuse: never register functions on, or store data in, the root context after start-up (it
is shared by every evaluation); never convert the scope's data to yaql's input types
(``yaql.utils.convert_input_data`` copies the whole context).
"""

from __future__ import annotations

import collections.abc  # noqa: F401  (yaql 3 reads collections.abc without importing it)
from typing import Any, cast

import yaql
from yaql.language import contexts

from runtime.errors import ExpressionError
from runtime.templating import orquesta_functions as fn
from runtime.templating import yaql_guards
from runtime.templating.data import to_data
from runtime.templating.scope import Scope
from runtime.templating.st2_filters import ST2_FILTERS
from runtime.values import freeze

__all__ = ["SCOPE_VAR", "evaluation_context", "root_context"]

SCOPE_VAR = "__troupe_scope"
"""Name of the yaql context variable that carries the :class:`Scope`."""


def _scope(context: contexts.ContextBase) -> Scope:
    scope = context[SCOPE_VAR]
    if scope is None:
        raise ExpressionError("no evaluation scope", expression="")
    return cast(Scope, scope)


def _ctx(context: contexts.ContextBase, name: Any = None) -> Any:
    return fn.read_ctx(_scope(context), fn.ABSENT if name is None else name)


def _result(context: contexts.ContextBase) -> Any:
    return fn.read_result(_scope(context))


def _item(context: contexts.ContextBase, key: Any = None) -> Any:
    return fn.read_item(_scope(context), fn.ABSENT if key is None else key)


def _succeeded(context: contexts.ContextBase) -> bool:
    return fn.is_succeeded(_scope(context))


def _failed(context: contexts.ContextBase) -> bool:
    return fn.is_failed(_scope(context))


def _completed(context: contexts.ContextBase) -> bool:
    return fn.is_completed(_scope(context))


def _timed_out(context: contexts.ContextBase) -> bool:
    return fn.is_timed_out(_scope(context))


def _cancelled(context: contexts.ContextBase) -> bool:
    return fn.is_cancelled(_scope(context))


def _task_status(context: contexts.ContextBase, name: str) -> str:
    return fn.read_task_status(_scope(context), name)


def _task(context: contexts.ContextBase, name: Any = None, route: Any = None) -> Any:
    return fn.read_task(_scope(context), fn.ABSENT if name is None else name, route)


def _st2kv(context: contexts.ContextBase, name: Any, decrypt: Any = False,
           **options: Any) -> Any:
    return fn.read_kv(_scope(context), name, decrypt, **options)


def _decrypt_kv(context: contexts.ContextBase, value: Any) -> str:
    return fn.read_decrypted(_scope(context), value)


def _json(value: Any) -> Any:
    return fn.json_(value)


def _zip(*lists: Any, **options: Any) -> Any:
    return fn.zip_(*[() if v is None else v for v in lists], pad=options.get("pad"))


_FUNCTIONS: dict[str, Any] = {
    "ctx": _ctx,
    "result": _result,
    "item": _item,
    "succeeded": _succeeded,
    "failed": _failed,
    "completed": _completed,
    "timed_out": _timed_out,
    "cancelled": _cancelled,
    "task_status": _task_status,
    "task": _task,
    "st2kv": _st2kv,
    "decrypt_kv": _decrypt_kv,
    "json": _json,
    "zip": _zip,
}
"""Orquesta's catalogue, by the name expressions call."""


def _st2_function(function: Any) -> Any:
    """StackStorm's data function ``function`` for yaql: yaql's values (``dict()``'s
    ``FrozenDict``, tuples) in as engine data, the result frozen like the context."""

    def call(*args: Any, **kwargs: Any) -> Any:
        plain = [to_data(arg) for arg in args]
        return freeze(function(*plain, **{k: to_data(v) for k, v in kwargs.items()}))

    call.__name__ = function.__name__
    call.__doc__ = function.__doc__
    return call


_ROOT: list[contexts.ContextBase] = []


def root_context() -> contexts.ContextBase:
    """The shared root context: yaql's standard library and Orquesta's functions."""
    if not _ROOT:
        library = yaql.create_context(regex=False)
        for name, function in _FUNCTIONS.items():
            library.register_function(function, name=name)
        for name, function in ST2_FILTERS.items():
            library.register_function(_st2_function(function), name=name)
        root = library.create_child_context()
        yaql_guards.register(root)
        _ROOT.append(root)
    return _ROOT[0]


def evaluation_context(scope: Scope) -> contexts.ContextBase:
    """A child of the root context that sees ``scope`` (``$`` is the visible context)."""
    context = root_context().create_child_context()
    context["$"] = scope.ctx
    context[SCOPE_VAR] = scope
    return context
