"""Static reading of templates: which sources a node holds, which variables they read.

Used by the loaders' validation (a ``ctx('x')`` that nothing upstream publishes is reported
before anything runs).

Misuse: the analysis is syntactic: names computed at run time (``ctx(some_expr)``) are not
seen, so absence from :func:`referenced_ctx_names` proves nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import jinja2
import jinja2.nodes

from runtime.templating.nodes import Node
from runtime.templating.sandbox import environment

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

    Names computed at run time (``ctx(some_expr)``) are not reported.
    """
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
