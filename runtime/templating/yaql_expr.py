"""YAQL expressions (``<% expr %>``) of the Orquesta dialect, through OpenStack's ``yaql``.

A string holding ``<% %>`` is compiled once (at load, by
:func:`~runtime.templating.nodes.compile_value`) into a callable of the same shape as a
compiled Jinja template, so the node's error boundary and the ``to_data`` exit apply alike:

- a string that is exactly one ``<% expr %>`` (surrounding blanks allowed, as for Jinja's
  ``{{ }}``) yields the expression's value;
- any other string is interpolation: each ``<% expr %>`` is replaced by its value as text
  (a string as it is; other values by the Python dialect's rule: containers thawed, then
  ``str``, so ``None`` is ``None``, as in Orquesta).

The engine is built once per process with yaql's limits: an iterable an expression makes
holds at most :data:`~runtime.templating.data.MAX_ITEMS` items (``yaql.limitIterators``) and
the collections it builds at most :data:`MEMORY_QUOTA` bytes (``yaql.memoryQuota``); deep
recursion (``def`` calling itself) ends in Python's RecursionError, an expression error.
Data goes in by reference: ``$`` and ``ctx()`` are the pyrsistent context itself (yaql reads
it through the ``Mapping``/``Sequence`` ABCs; ``yaql.convertInputData`` and
``yaql.convertOutputData`` are off, so nothing is copied on the way in or out). The cost is
paid only where yaql itself builds: ``select``/``where`` results and ``dict()``/``set()``
make new containers, frozen again by ``to_data`` (O(size of what the expression builds),
never O(size of the context)).

``<% item() %>``, ``<% item(x) %>``, ``<% ctx(x) %>`` and ``<% result() %>`` alone are read
directly, skipping yaql's overload resolution (the same functions, ~20x faster): they are the
bulk of with-items inputs.

Unlike Orquesta, a string result is never evaluated again (a value that holds ``<%`` is
data, not an expression).

Misuse: never call ``engine()(text)`` from several threads directly: parse through
:func:`parse`, which gives each parse its own lexer; never mix ``<% %>`` and ``{{ }}`` in
one string (the loader reports it as T303).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from typing import Any

from pyrsistent import PMap, PSet, PVector
from yaql.language import exceptions as yaql_errors
from yaql.language import expressions, factory

from runtime.errors import ExpressionError
from runtime.templating import guards
from runtime.templating import orquesta_functions as fn
from runtime.templating.data import MAX_ITEMS, to_data
from runtime.templating.scope import SCOPE_KEY, Scope
from runtime.templating.yaql_functions import evaluation_context
from runtime.values import thaw

__all__ = ["MEMORY_QUOTA", "compile_yaql", "has_yaql", "parse", "yaql_sources"]

MEMORY_QUOTA = 256 * 1024 * 1024
"""Bytes the collections one yaql step builds may take (``yaql.memoryQuota``)."""

_OPTIONS: dict[str, Any] = {
    "yaql.limitIterators": MAX_ITEMS,
    "yaql.memoryQuota": MEMORY_QUOTA,
    "yaql.convertInputData": False,
    "yaql.convertOutputData": False,
}

_EXPR = re.compile(r"<%(.*?)%>", re.DOTALL)
_WHOLE = re.compile(r"^\s*<%(.*?)%>\s*$", re.DOTALL)

_ENGINE: list[Any] = []


def has_yaql(text: str) -> bool:
    """Tell whether a string holds a YAQL expression (``<% ... %>``)."""
    return "<%" in text and _EXPR.search(text) is not None


def yaql_sources(text: str) -> list[str]:
    """The expression texts (without delimiters) inside a string, in order."""
    return [m.strip() for m in _EXPR.findall(text)]


def _engine() -> Any:
    if not _ENGINE:
        _ENGINE.append(factory.YaqlFactory().create(options=_OPTIONS))
    return _ENGINE[0]


def parse(text: str) -> expressions.Statement:
    """Parse one expression (no delimiters); raise ``YaqlParsingException`` if it is bad.

    Each parse clones the lexer (ply lexers hold the input), so parsing is thread-safe.
    """
    engine = _engine()
    tree = engine.parser.parse(text, lexer=engine.lexer.clone())
    return expressions.Statement(tree, engine)


def _parsed(text: str, source: str, task: str | None, field: str | None
            ) -> expressions.Statement:
    if not text.strip():
        raise ExpressionError("syntax error: empty YAQL expression", expression=source,
                              task=task, field=field)
    try:
        statement = parse(text.strip())
    except (yaql_errors.YaqlException, ValueError, TypeError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        position = getattr(exc, "position", None)
        where = f" at position {position}" if position is not None else ""
        raise ExpressionError(f"syntax error: {message}{where}", expression=source,
                              task=task, field=field) from None
    hidden = _hidden_variable(statement.expression)
    if hidden is not None:
        raise ExpressionError(f"syntax error: no variable {hidden} (names starting with $__ "
                              f"are the engine's)", expression=source, task=task, field=field)
    return statement


def _hidden_variable(node: Any) -> str | None:
    """The first ``$__name`` the expression reads (the engine's own, e.g. its scope)."""
    if type(node) is expressions.GetContextValue:
        name = node.path.value
        if isinstance(name, str) and name.startswith("$__"):
            return name
    for value in vars(node).values() if hasattr(node, "__dict__") else ():
        for child in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(child, expressions.Expression):
                found = _hidden_variable(child)
                if found is not None:
                    return found
    return None


_DIRECT: dict[tuple[str, int], Callable[..., Any]] = {
    ("item", 0): fn.read_item,
    ("item", 1): fn.read_item,
    ("ctx", 1): fn.read_ctx,
    ("result", 0): fn.read_result,
}
"""Orquesta's functions called alone with constant arguments, by (name, arity): read directly.

yaql's overload resolution costs ~40 us per call; ``<% item() %>`` and ``<% ctx(x) %>`` are
the bulk of with-items inputs, so these shapes skip it (same functions, same errors)."""


def _direct(statement: expressions.Statement) -> Callable[[Scope], Any] | None:
    """A shortcut for ``name(constant...)`` of :data:`_DIRECT`, or None."""
    node = statement.expression
    if type(node) is not expressions.Function:
        return None
    args = tuple(node.args)
    read = _DIRECT.get((node.name, len(args)))
    if read is None or not all(
            isinstance(a, (expressions.Constant, expressions.KeywordConstant)) for a in args):
        return None
    values = tuple(fn.ABSENT if a.value is None else a.value for a in args)
    return lambda scope: read(scope, *values)


def _materialised(value: Any) -> Any:
    """yaql's lazy iterables (``orderBy``...) as an iterator, which ``to_data`` lists (capped)."""
    if isinstance(value, Iterable) and not isinstance(value, _NOT_LAZY):
        return iter(value)
    return value


_NOT_LAZY = (str, bytes, Mapping, Sequence, Set)


def _evaluate(statement: expressions.Statement, scope: Scope) -> Any:
    guards.tick()
    try:
        return to_data(_materialised(statement.evaluate(context=evaluation_context(scope))))
    except KeyError as exc:  # a missing key of a mapping: `ctx().nope`, `$.nope`
        key = exc.args[0] if exc.args else None
        raise ExpressionError(f"unable to resolve key {key!r}", expression="") from None
    except yaql_errors.MemoryQuotaExceededException:
        raise ExpressionError(f"the expression builds more than {MEMORY_QUOTA} bytes",
                              expression="") from None


def _as_text(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, (PMap, PVector, PSet, tuple)):
        return str(thaw(value))
    return str(value)


def compile_yaql(source: str, *, task: str | None, field: str | None
                 ) -> tuple[Callable[..., Any], bool]:
    """Compile a string with ``<% %>`` into ``(call, native)``, like a Jinja template.

    ``call(**variables)`` reads the scope from ``variables[SCOPE_KEY]``; ``native`` tells
    whether it yields a value (one whole-string expression) rather than text.
    """
    found = _EXPR.findall(source)
    if len(found) == 1 and _WHOLE.match(source):
        statement = _parsed(found[0], source, task, field)
        direct = _direct(statement)
        if direct is not None:
            return (lambda **variables: direct(variables[SCOPE_KEY])), True

        def whole(**variables: Any) -> Any:
            return _evaluate(statement, variables[SCOPE_KEY])

        return whole, True
    pieces: list[str | expressions.Statement] = []
    last = 0
    for match in _EXPR.finditer(source):
        pieces.append(source[last:match.start()])
        pieces.append(_parsed(match.group(1), source, task, field))
        last = match.end()
    pieces.append(source[last:])

    def interpolate(**variables: Any) -> str:
        scope = variables[SCOPE_KEY]
        return "".join(piece if isinstance(piece, str) else _as_text(_evaluate(piece, scope))
                       for piece in pieces)

    return interpolate, False
