"""The guarded pieces of the Jinja sandbox: loop and concatenation rewriting, bounded filters.

:func:`guard_tree` rewrites a parsed template so every ``{% for %}`` iterates through
:func:`~runtime.templating.guards.guarded_iter` (each iteration counted, the deadline
checked) and every ``~`` concatenation is measured before it is joined
(``{% set ns.s = ns.s ~ ns.s %}`` in a loop doubles a string each time);
:func:`hidden_name` finds a read of a ``__`` name (the engine passes its scope under one),
refused at compile. :data:`FILTERS` and :data:`GLOBALS` replace the Jinja built-ins that
build a string of a size their arguments choose (``format``, ``center``, ``indent``,
``replace``, ``wordwrap``, ``lipsum``) with ones that refuse, by
:mod:`~runtime.templating.guards`, before building.
:class:`GuardedFormatter` is ``str.format``'s sandboxed formatter with widths checked.
:func:`check_method` refuses the ``str`` methods that pad or replace past the limits and
:func:`check_growth` the ``list``/``dict``/``set`` methods that grow one past them.

Misuse: the rewrite names filters (:data:`LOOP_FILTER`, :data:`CONCAT_FILTER`) that must be
registered in the environment (:func:`runtime.templating.sandbox.environment` does it).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import filters as jf
from jinja2 import nodes
from jinja2.sandbox import SandboxedFormatter
from jinja2.utils import generate_lorem_ipsum
from jinja2.visitor import NodeTransformer

from runtime.templating import guards

__all__ = ["CONCAT_FILTER", "FILTERS", "GLOBALS", "LOOP_FILTER", "GuardedFormatter",
           "check_growth", "check_method", "guard_tree", "hidden_name"]

LOOP_FILTER = "troupe_loop_guard"
CONCAT_FILTER = "troupe_concat_guard"


class _Guard(NodeTransformer):
    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, LOOP_FILTER, [], [], None, None,
                                 lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), CONCAT_FILTER, [],
                            [], None, None, lineno=node.lineno)


def guard_tree(tree: nodes.Template) -> nodes.Template:
    """``tree`` with its loops and concatenations guarded (rewritten in place)."""
    _Guard().visit(tree)
    return tree


def hidden_name(tree: nodes.Node) -> str | None:
    """The first ``__name`` a template reads (the engine's scope, Python internals)."""
    for name in tree.find_all(nodes.Name):
        if name.name.startswith("__"):
            return str(name.name)
    return None


def _concat(values: list[Any]) -> str:
    parts = [str(v) for v in values]
    guards.check_length(sum(map(len, parts)), "")
    return "".join(parts)


def _format(value: Any, *args: Any, **kwargs: Any) -> str:
    guards.check_format(str(value))
    return jf.do_format(value, *args, **kwargs)


def _check_width(width: Any) -> None:
    if type(width) is int:
        guards.check_width(str(abs(width)))


def _center(value: str, width: int = 80) -> str:
    _check_width(width)
    return jf.do_center(value, width)


def _indent(value: str, width: int | str = 4, first: bool = False, blank: bool = False
            ) -> str:
    _check_width(width)
    if isinstance(width, str):
        guards.check_length(len(width) * max(str(value).count("\n") + 1, 1), "")
    return jf.do_indent(value, width, first, blank)


def _replace_size(text: str, old: str, new: str, count: int | None = None) -> None:
    if len(new) > len(old):
        hits = len(text) + 1 if not old else text.count(old)
        if count is not None and count >= 0:
            hits = min(hits, count)
        guards.check_length(len(text) + hits * (len(new) - len(old)), "")


def _replace(eval_ctx: Any, s: str, old: str, new: str, count: int | None = None) -> str:
    _replace_size(str(s), str(old), str(new), count)
    return jf.do_replace(eval_ctx, s, old, new, count)


_replace.jinja_pass_arg = jf.do_replace.jinja_pass_arg  # type: ignore[attr-defined]


def _wordwrap(environment: Any, s: str, width: int = 79, *args: Any, **kwargs: Any) -> str:
    _check_width(width)
    return jf.do_wordwrap(environment, s, width, *args, **kwargs)


_wordwrap.jinja_pass_arg = jf.do_wordwrap.jinja_pass_arg  # type: ignore[attr-defined]


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    guards.check_length(builtins.max(n, 0) * builtins.max(max, 0) * 12, "")
    return str(generate_lorem_ipsum(n, html, min, max))


FILTERS: Mapping[str, Callable[..., Any]] = {
    LOOP_FILTER: guards.guarded_iter,
    CONCAT_FILTER: _concat,
    "format": _format,
    "center": _center,
    "indent": _indent,
    "replace": _replace,
    "wordwrap": _wordwrap,
}
"""Filters of both dialects that replace Jinja's own (or serve the rewrite)."""

GLOBALS: Mapping[str, Any] = {"lipsum": _lipsum}


class GuardedFormatter(SandboxedFormatter):
    """``str.format`` in the sandbox: attributes through the sandbox, widths checked."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        guards.check_width(format_spec)
        return super().format_field(value, format_spec)


def _pad_size(text: str, width: Any, *_: Any) -> None:
    _check_width(width)


def _replace_method(text: str, old: Any, new: Any, count: Any = -1) -> None:
    if isinstance(old, str) and isinstance(new, str):
        _replace_size(text, old, new, count if type(count) is int else None)


def _expandtabs(text: str, tabsize: Any = 8) -> None:
    _check_width(tabsize)
    if type(tabsize) is int:
        guards.check_length(len(text) * max(tabsize, 1), "")


def _join(text: str, values: Any) -> None:
    if isinstance(values, (list, tuple)):
        guards.check_length(len(text) * len(values), "")


_STR_METHODS: Mapping[str, Callable[..., None]] = {
    "center": _pad_size, "ljust": _pad_size, "rjust": _pad_size, "zfill": _pad_size,
    "replace": _replace_method, "expandtabs": _expandtabs, "join": _join,
}


def check_method(obj: Any, args: tuple[Any, ...]) -> None:
    """Refuse a ``str`` method call (``'x'.ljust(10**9)``) whose result passes a limit."""
    owner = getattr(obj, "__self__", None)
    if isinstance(owner, str):
        check = _STR_METHODS.get(getattr(obj, "__name__", ""))
        if check is not None:
            check(owner, *args)


def check_growth(obj: Any) -> None:
    """After a method of a list, dict or set ran: refuse it if it grew past the limit."""
    owner = getattr(obj, "__self__", None)
    if isinstance(owner, (list, dict, set)):
        guards.check_length(len(owner), owner)
