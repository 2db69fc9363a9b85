"""Compiled workflow values: a tree of nodes, rendered against a scope.

A value from a workflow file (a string, or lists and mappings of them) is compiled once, at
load time, into a :class:`Node` tree by :func:`compile_value`. In the Orquesta dialect a
string with ``<% %>`` is YAQL (:mod:`~runtime.templating.yaql_expr`), one with ``{{ }}`` is
Jinja; one string never holds both. Rendering a node against a
:class:`Scope` walks only the parts that hold templates; constant parts are returned as they
are, already frozen. A string that is exactly one ``{{ expr }}`` yields the expression's
native value; mixed text is stringified by the dialect's rule. Rendered strings are data: they
are never rendered a second time, so a value that merely contains ``{{`` cannot inject a
template.

Rendering is the error boundary: whatever evaluating user data raises (an undefined name or
attribute, a TypeError, a ZeroDivisionError, a sandbox SecurityError...) leaves a node as an
:class:`ExpressionError` naming the expression, the task and the field, and no jinja2
``Undefined`` is ever returned.

Every render runs within a work budget (:mod:`runtime.templating.guards`: wall time, loop
iterations, sizes), and a text render's output is measured against ``template_max_chars``.

Misuse: never pass a context map as the top-level render mapping (that copies it): scopes
are handed to Jinja as one named variable; never catch jinja2 errors around ``render``
(nothing but ExpressionError leaves it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from pyrsistent import pmap, pvector

from runtime.errors import ExpressionError
from runtime.templating import guarded_jinja, guards
from runtime.templating.data import to_data, user_message
from runtime.templating.sandbox import environment
from runtime.templating.scope import SCOPE_KEY, Scope
from runtime.templating.yaql_expr import compile_yaql, has_yaql
from runtime.values import freeze

__all__ = ["Const", "Node", "compile_value", "constant_entry", "is_template",
           "mixes_languages"]

_NATIVE = re.compile(r"^\s*\{\{(?P<expr>.*)\}\}\s*$", re.DOTALL)


def is_template(text: str) -> bool:
    """Tell whether a string holds Jinja syntax (and so must be compiled)."""
    return "{{" in text or "{%" in text or "{#" in text


def mixes_languages(text: str) -> bool:
    """Tell whether a string holds both YAQL (``<% %>``) and Jinja (an error in Orquesta)."""
    return is_template(text) and has_yaql(text)


def _needs_compiling(text: str, dialect: str) -> bool:
    return is_template(text) or (dialect == _YAQL_DIALECT and has_yaql(text))


_YAQL_DIALECT = "orquesta"
"""The dialect whose strings may hold YAQL (in Attune, ``<% %>`` is plain text)."""


class Node:
    """A compiled value: constant data, an expression, or a container of nodes."""

    __slots__ = ()
    constant: bool = False

    def render(self, scope: Scope) -> Any:  # pragma: no cover - abstract
        """Evaluate against ``scope`` and return frozen data; raise only ExpressionError."""
        raise NotImplementedError

    def sources(self) -> Iterator[str]:
        """Yield the source text of every template in this node."""
        return iter(())


@dataclass(frozen=True, slots=True)
class Const(Node):
    """Data without templates: rendering returns it as it is."""

    value: Any
    constant = True

    def render(self, scope: Scope) -> Any:
        return self.value


@dataclass(frozen=True, slots=True)
class _Expr(Node):
    source: str
    call: Callable[..., Any]
    native: bool
    extra_vars: Callable[[Scope], dict[str, Any]] | None
    task: str | None
    field: str | None

    def render(self, scope: Scope) -> Any:
        kwargs = {SCOPE_KEY: scope}
        if self.extra_vars is not None:
            kwargs.update(self.extra_vars(scope))
        token = guards.enter()
        try:
            try:
                value = self.call(**kwargs)
            finally:
                guards.leave(token)
            if self.native:
                return to_data(value)
            guards.check_length(len(value), value)
            return value
        except Exception as exc:  # the boundary: any evaluation failure is the user's
            raise self._error(exc, scope) from None

    def _error(self, exc: Exception, scope: Scope) -> ExpressionError:
        task = self.task or scope.task
        if isinstance(exc, ExpressionError) and exc.expression:
            return exc.at(task=task, field=self.field, expression=self.source)
        return ExpressionError(
            user_message(exc), expression=self.source, task=task, field=self.field,
            limit=getattr(exc, "limit", None),
        )

    def sources(self) -> Iterator[str]:
        yield self.source


@dataclass(frozen=True, slots=True)
class _MapNode(Node):
    items: tuple[tuple[Node, Node], ...]
    field: str | None

    def render(self, scope: Scope) -> Any:
        pairs = [(k.render(scope), v.render(scope)) for k, v in self.items]
        try:
            return pmap(dict(pairs))
        except TypeError as exc:  # a key rendered to something unhashable
            raise ExpressionError(
                user_message(exc), expression=next(self.sources(), ""), task=scope.task,
                field=self.field,
            ) from None

    def sources(self) -> Iterator[str]:
        for k, v in self.items:
            yield from k.sources()
            yield from v.sources()


@dataclass(frozen=True, slots=True)
class _ListNode(Node):
    items: tuple[Node, ...]

    def render(self, scope: Scope) -> Any:
        return pvector([item.render(scope) for item in self.items])

    def sources(self) -> Iterator[str]:
        for item in self.items:
            yield from item.sources()


def constant_entry(node: Node | None, key: str) -> Any:
    """The value of ``key`` in a compiled mapping when it is known at load time (a constant
    key with a constant value), else None (absent, an expression, or not a mapping)."""
    if isinstance(node, Const):
        value = node.value
        return value.get(key) if isinstance(value, Mapping) else None
    if isinstance(node, _MapNode):
        for k, v in node.items:
            if isinstance(k, Const) and k.value == key and isinstance(v, Const):
                return v.value
    return None


def _attune_vars(scope: Scope) -> dict[str, Any]:
    return {
        "parameters": scope.params,
        "workflow": scope.ctx,
        "vars": scope.ctx,
        "variables": scope.ctx,
        "task": scope.tasks,
        "tasks": scope.tasks,
        "item": scope.item,
        "index": scope.index,
        "system": scope.system,
        "inquiry": scope.inquiries,
        "config": None,
        "keystore": None,
    }


def compile_value(
    value: Any, dialect: str, *, task: str | None = None, field: str | None = None
) -> Node:
    """Compile a workflow value into a node; raise :class:`ExpressionError` on bad syntax."""
    if isinstance(value, str):
        if not _needs_compiling(value, dialect):
            return Const(value)
        return _compile_string(value, dialect, task=task, field=field)
    if isinstance(value, dict):
        items = tuple(
            (
                compile_value(k, dialect, task=task, field=field),
                compile_value(v, dialect, task=task, field=f"{field}.{k}" if field else str(k)),
            )
            for k, v in value.items()
        )
        if all(k.constant and v.constant for k, v in items):
            return Const(freeze({k.render(_NO_SCOPE): v.render(_NO_SCOPE) for k, v in items}))
        return _MapNode(items, field)
    if isinstance(value, (list, tuple)):
        nodes = tuple(
            compile_value(v, dialect, task=task, field=f"{field}[{i}]" if field else f"[{i}]")
            for i, v in enumerate(value)
        )
        if all(n.constant for n in nodes):
            return Const(freeze([n.render(_NO_SCOPE) for n in nodes]))
        return _ListNode(nodes)
    return Const(freeze(value))


_NO_SCOPE = Scope(pmap())


_COMPILED: dict[tuple[str, str], tuple[Callable[..., Any], bool]] = {}
"""(dialect, source) -> (compiled callable, native): a template is compiled once per process."""

_COMPILED_LIMIT = 50_000


def _compile_string(source: str, dialect: str, *, task: str | None, field: str | None) -> Node:
    extra = _attune_vars if dialect == "attune" else None
    compiled = _COMPILED.get((dialect, source))
    if compiled is None:
        compiled = _compile_source(source, dialect, task=task, field=field)
        if len(_COMPILED) < _COMPILED_LIMIT:
            _COMPILED[(dialect, source)] = compiled
    call, native = compiled
    return _Expr(source, call, native, extra, task, field)


def _compile_source(source: str, dialect: str, *, task: str | None, field: str | None
                    ) -> tuple[Callable[..., Any], bool]:
    if dialect == _YAQL_DIALECT and has_yaql(source):
        if is_template(source):
            raise ExpressionError("syntax error: YAQL <% %> and Jinja {{ }} mixed in one string",
                                  expression=source, task=task, field=field)
        return compile_yaql(source, task=task, field=field)
    env = environment(dialect)
    match = _NATIVE.match(source)
    try:
        hidden = guarded_jinja.hidden_name(env.parse(source))
        if hidden is not None:
            raise ExpressionError(f"syntax error: no name {hidden!r} (names starting with __ "
                                  f"are the engine's)", expression=source, task=task,
                                  field=field)
        if match is not None and "{{" not in match["expr"] and "}}" not in match["expr"]:
            return env.compile_expression(match["expr"].strip(), undefined_to_none=False), True
        return env.from_string(source).render, False
    except jinja2.TemplateSyntaxError as exc:
        raise ExpressionError(
            f"syntax error: {exc.message}", expression=source, task=task, field=field
        ) from None
