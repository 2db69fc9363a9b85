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

__all__ = ["iter_expressions", "referenced_ctx_names"]


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
    ``ctx()['x']``); ``$.x`` is not, since ``$`` is rebound inside ``select`` and the like.
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


def _is_bare_yaql_ctx(node: Any) -> bool:
    return type(node) is yaql_nodes.Function and node.name == "ctx" and not node.args


def _yaql_name(node: Any) -> str | None:
    if isinstance(node, (yaql_nodes.Constant, yaql_nodes.KeywordConstant)):
        value = node.value
        return value if isinstance(value, str) else None
    return None


def _walk_yaql(node: Any, names: set[str]) -> None:
    args: tuple[Any, ...] = tuple(getattr(node, "args", None) or ())
    if type(node) is yaql_nodes.Function and node.name == "ctx" and args:
        name = _yaql_name(args[0])
        if name is not None:
            names.add(name)
    elif getattr(node, "name", None) in ("#operator_.", "#indexer") and len(args) == 2:
        name = _yaql_name(args[1])
        if _is_bare_yaql_ctx(args[0]) and name is not None:
            names.add(name)
    for arg in args:
        _walk_yaql(arg, names)


def _yaql_ctx_names(source: str) -> set[str]:
    names: set[str] = set()
    for text in yaql_sources(source):
        try:
            statement = parse(text)
        except (yaql_errors.YaqlException, ValueError, TypeError):
            continue
        _walk_yaql(statement.expression, names)
    return names
