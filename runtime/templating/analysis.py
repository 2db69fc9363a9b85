"""Static reading of templates: which sources a node holds, which variables they read.

Used by the loaders' validation (a ``ctx('x')`` that nothing upstream publishes is reported
before anything runs).

Misuse: the analysis is syntactic: names computed at run time (``ctx(some_expr)``) are not
seen, so absence from :func:`referenced_ctx_names` proves nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jinja2
import jinja2.nodes
from yaql.language import exceptions as yaql_errors
from yaql.language import expressions as yaql_nodes

from runtime.templating.nodes import Node
from runtime.templating.sandbox import environment
from runtime.templating.yaql_expr import has_yaql, parse, yaql_sources

__all__ = ["iter_expressions", "referenced_ctx_names", "referenced_keys"]


def iter_expressions(node: Node) -> Iterator[str]:
    """Yield the template sources inside a compiled node."""
    return node.sources()


def _is_bare_ctx_call(node: jinja2.nodes.Node) -> bool:
    return (
        isinstance(node, jinja2.nodes.Call)
        and isinstance(node.node, jinja2.nodes.Name)
        and node.node.name == "ctx"
        and not node.args
    )


def referenced_ctx_names(source: str, dialect: str = "orquesta") -> set[str]:
    """Return the variable names a template reads with ``ctx("x")`` or ``ctx().x``.

    Names computed at run time (``ctx(some_expr)``) are not reported. In the Orquesta dialect
    a YAQL string is read the same way (``ctx(x)``, ``ctx('x')``, ``ctx().x``,
    ``ctx()['x']``), and so are ``$.x`` and ``$['x']`` where ``$`` is still the workflow
    context: not inside a method's arguments (``.select($.y)``, where yaql rebinds ``$``
    to each element), nor right of ``->``, nor in a query function's later arguments.
    """
    if dialect == "orquesta" and has_yaql(source):
        return _yaql_ctx_names(source)
    env = environment(dialect)
    try:
        tree = env.parse(source)
    except jinja2.TemplateSyntaxError:
        return set()
    names: set[str] = set()
    for call in tree.find_all(jinja2.nodes.Call):
        if isinstance(call.node, jinja2.nodes.Name) and call.node.name == "ctx" and call.args:
            arg = call.args[0]
            if isinstance(arg, jinja2.nodes.Const) and isinstance(arg.value, str):
                names.add(arg.value)
    for attr in tree.find_all(jinja2.nodes.Getattr):
        if _is_bare_ctx_call(attr.node):
            names.add(attr.attr)
    for item in tree.find_all(jinja2.nodes.Getitem):
        if (
            _is_bare_ctx_call(item.node)
            and isinstance(item.arg, jinja2.nodes.Const)
            and isinstance(item.arg.value, str)
        ):
            names.add(item.arg.value)
    return names


def referenced_keys(source: str, namespace: str, dialect: str = "attune") -> set[str]:
    """The constant keys a Jinja template reads of the variable ``namespace``
    (``inquiry.ask``, ``inquiry["ask"]`` give ``ask``); none for a syntax error."""
    try:
        tree = environment(dialect).parse(source)
    except jinja2.TemplateSyntaxError:
        return set()
    keys = {attr.attr for attr in tree.find_all(jinja2.nodes.Getattr)
            if isinstance(attr.node, jinja2.nodes.Name) and attr.node.name == namespace}
    for item in tree.find_all(jinja2.nodes.Getitem):
        if (isinstance(item.node, jinja2.nodes.Name) and item.node.name == namespace
                and isinstance(item.arg, jinja2.nodes.Const) and isinstance(item.arg.value, str)):
            keys.add(item.arg.value)
    return keys


def _is_bare_yaql_ctx(node: Any) -> bool:
    return type(node) is yaql_nodes.Function and node.name == "ctx" and not node.args


def _yaql_name(node: Any) -> str | None:
    if isinstance(node, (yaql_nodes.Constant, yaql_nodes.KeywordConstant)):
        value = node.value
        return value if isinstance(value, str) else None
    return None


_REBINDING = frozenset({
    "select", "where", "filter", "any", "all", "orderBy", "orderByDescending", "thenBy",
    "thenByDescending", "groupBy", "selectMany", "takeWhile", "skipWhile", "indexWhere",
    "lastIndexWhere", "aggregate", "reduce", "sum", "max", "min", "first", "single",
    "distinct", "toDict", "sequence", "generate", "generateMany", "dictSelect", "dictWhere",
    "let", "def", "switch", "mapping", "cycle", "join", "zip", "zipLongest", "call",
})
"""yaql functions whose arguments after the first may be evaluated with ``$`` rebound."""


def _is_root(node: Any) -> bool:
    return (type(node) is yaql_nodes.GetContextValue
            and getattr(node.path, "value", None) == "$")


def _children(node: Any, rebound: bool) -> list[tuple[Any, bool]]:
    """The node's arguments, each with whether ``$`` is rebound below it."""
    args: tuple[Any, ...] = tuple(getattr(node, "args", None) or ())
    name = getattr(node, "name", None)
    if name == "#operator_." and len(args) == 2 and type(args[1]) is yaql_nodes.Function:
        return [(args[0], rebound), (args[1], True)]  # a method call: `x.select($ ...)`
    if name == "#operator_->" and len(args) == 2:
        return [(args[0], rebound), (args[1], True)]
    if type(node) is yaql_nodes.Function and name in _REBINDING:
        return [(arg, rebound or index > 0) for index, arg in enumerate(args)]
    return [(arg, rebound) for arg in args]


def _walk_yaql(node: Any, names: set[str], rebound: bool = False) -> None:
    args: tuple[Any, ...] = tuple(getattr(node, "args", None) or ())
    if type(node) is yaql_nodes.Function and node.name == "ctx" and args:
        name = _yaql_name(args[0])
        if name is not None:
            names.add(name)
    elif getattr(node, "name", None) in ("#operator_.", "#indexer") and len(args) == 2:
        name = _yaql_name(args[1])
        if name is not None and (_is_bare_yaql_ctx(args[0]) or (
                not rebound and _is_root(args[0]))):
            names.add(name)
    for child, child_rebound in _children(node, rebound):
        _walk_yaql(child, names, child_rebound)


def _yaql_ctx_names(source: str) -> set[str]:
    names: set[str] = set()
    for text in yaql_sources(source):
        try:
            statement = parse(text)
        except (yaql_errors.YaqlException, ValueError, TypeError):
            continue
        _walk_yaql(statement.expression, names)
    return names
