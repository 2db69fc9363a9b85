"""Jinja templating: one sandboxed environment per dialect, templates compiled once.

A value from a workflow file (a string, or lists and mappings of them) is compiled once, at
load time, into a :class:`Node` tree by :func:`compile_value`. Rendering a node against a
:class:`Scope` walks only the parts that hold templates; constant parts are returned as they
are, already frozen. A string that is exactly one ``{{ expr }}`` yields the expression's
native value; mixed text is stringified by the dialect's rule (Python ``str`` for Orquesta,
JSON for Attune). Rendered strings are data: they are never rendered a second time, so a
value that merely contains ``{{`` cannot inject a template.

Misuse: never call ``Environment.from_string`` on a hot path (compiling costs ~1 ms; use the
nodes); never pass a context map as the top-level render mapping (that copies it): scopes
are handed to Jinja as one named variable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jinja2
import jinja2.nodes
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from pyrsistent import PMap, PVector, pmap

from runtime.errors import ExpressionError
from runtime.values import freeze, thaw, to_json

__all__ = [
    "Const",
    "Node",
    "Scope",
    "compile_value",
    "environment",
    "is_template",
    "iter_expressions",
    "referenced_ctx_names",
]

SCOPE_KEY = "__troupe_scope"
_NATIVE = re.compile(r"^\s*\{\{(?P<expr>.*)\}\}\s*$", re.DOTALL)


class Scope:
    """What an expression can see while it is evaluated.

    Built afresh for each evaluation site (cheap: a slotted object with references only).
    ``ctx`` is the visible workflow context (a pyrsistent map, never copied).
    """

    __slots__ = (
        "ctx",
        "failed_includes_timeout",
        "has_item",
        "has_result",
        "index",
        "item",
        "params",
        "result",
        "status",
        "system",
        "task",
        "task_statuses",
        "tasks",
    )

    def __init__(
        self,
        ctx: PMap,
        *,
        task: str | None = None,
        status: str | None = None,
        result: Any = None,
        has_result: bool = False,
        item: Any = None,
        index: int | None = None,
        has_item: bool = False,
        task_statuses: Callable[[str], str] | None = None,
        params: PMap | None = None,
        tasks: PMap | None = None,
        system: PMap | None = None,
        failed_includes_timeout: bool = True,
    ) -> None:
        self.ctx = ctx
        self.task = task
        self.status = status
        self.result = result
        self.has_result = has_result
        self.item = item
        self.index = index
        self.has_item = has_item
        self.task_statuses = task_statuses
        self.params = params if params is not None else pmap()
        self.tasks = tasks if tasks is not None else pmap()
        self.system = system if system is not None else pmap()
        self.failed_includes_timeout = failed_includes_timeout

    def with_ctx(self, ctx: PMap) -> Scope:
        """Return a scope that sees ``ctx`` instead (for rolling publishes)."""
        clone = Scope.__new__(Scope)
        for name in Scope.__slots__:
            setattr(clone, name, getattr(self, name))
        clone.ctx = ctx
        return clone


class _TroupeSandbox(SandboxedEnvironment):
    """Sandbox in which ``map.key`` reads a pyrsistent map's key before its methods."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, PMap):
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


_ATTUNE_NAMESPACES = frozenset(
    {"parameters", "workflow", "vars", "variables", "task", "tasks", "item", "index", "system",
     "config", "keystore", SCOPE_KEY}
)


class _BareNameContext(Context):
    """Jinja context that resolves bare names from the workflow variables (Attune).

    A workflow variable shadows a helper function of the same name (``count``, ``keys``...);
    the namespaces (``parameters``, ``workflow``, ``item``...) always win.
    """

    def resolve_or_missing(self, key: str) -> Any:
        if key not in _ATTUNE_NAMESPACES:
            scope = self.parent.get(SCOPE_KEY)
            if scope is not None and key in scope.ctx:
                return scope.ctx[key]
        return super().resolve_or_missing(key)


def _python_finalize(value: Any) -> Any:
    if isinstance(value, (PMap, PVector)):
        return thaw(value)
    return value


def _json_finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (PMap, PVector, dict, list, tuple)):
        return to_json(value)
    return value


_ENVIRONMENTS: dict[str, SandboxedEnvironment] = {}


def environment(dialect: str) -> SandboxedEnvironment:
    """Return the shared sandboxed environment of ``dialect`` (``orquesta`` or ``attune``)."""
    env = _ENVIRONMENTS.get(dialect)
    if env is None:
        env = _build_environment(dialect)
        _ENVIRONMENTS[dialect] = env
    return env


def _build_environment(dialect: str) -> SandboxedEnvironment:
    from runtime import expr_functions

    finalize = _json_finalize if dialect == "attune" else _python_finalize
    env = _TroupeSandbox(
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=finalize,
        autoescape=False,
        cache_size=-1,
    )
    env.policies["json.dumps_function"] = to_json
    if dialect == "attune":
        env.context_class = _BareNameContext
        env.globals.update(expr_functions.ATTUNE_GLOBALS)
    else:
        env.globals.update(expr_functions.ORQUESTA_GLOBALS)
        env.filters.update(expr_functions.ORQUESTA_GLOBALS)
    env.filters["to_json"] = env.filters["tojson"]
    env.filters["from_json"] = expr_functions.json_
    return env


def is_template(text: str) -> bool:
    """Tell whether a string holds Jinja syntax (and so must be compiled)."""
    return "{{" in text or "{%" in text or "{#" in text


class Node:
    """A compiled value: constant data, an expression, or a container of nodes."""

    __slots__ = ()
    constant: bool = False

    def render(self, scope: Scope) -> Any:  # pragma: no cover - abstract
        """Evaluate against ``scope`` and return frozen data."""
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
        try:
            value = self.call(**kwargs)
        except ExpressionError as exc:
            raise exc.at(
                task=self.task or scope.task, field=self.field, expression=self.source
            ) from None
        except jinja2.TemplateError as exc:
            raise ExpressionError(
                exc.message or type(exc).__name__,
                expression=self.source,
                task=self.task or scope.task,
                field=self.field,
            ) from None
        except Exception as exc:  # any evaluation failure becomes a located ExpressionError
            raise ExpressionError(
                f"{type(exc).__name__}: {exc}",
                expression=self.source,
                task=self.task or scope.task,
                field=self.field,
            ) from None
        if type(value) is Markup:
            return str(value)
        return freeze(value) if self.native else value

    def sources(self) -> Iterator[str]:
        yield self.source


@dataclass(frozen=True, slots=True)
class _MapNode(Node):
    items: tuple[tuple[Node, Node], ...]

    def render(self, scope: Scope) -> Any:
        return pmap({k.render(scope): v.render(scope) for k, v in self.items})

    def sources(self) -> Iterator[str]:
        for k, v in self.items:
            yield from k.sources()
            yield from v.sources()


@dataclass(frozen=True, slots=True)
class _ListNode(Node):
    items: tuple[Node, ...]

    def render(self, scope: Scope) -> Any:
        return freeze([item.render(scope) for item in self.items])

    def sources(self) -> Iterator[str]:
        for item in self.items:
            yield from item.sources()


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
        "config": None,
        "keystore": None,
    }


def compile_value(
    value: Any, dialect: str, *, task: str | None = None, field: str | None = None
) -> Node:
    """Compile a workflow value into a node; raise :class:`ExpressionError` on bad syntax."""
    if isinstance(value, str):
        if not is_template(value):
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
        return _MapNode(items)
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


def _compile_string(source: str, dialect: str, *, task: str | None, field: str | None) -> Node:
    extra = _attune_vars if dialect == "attune" else None
    compiled = _COMPILED.get((dialect, source))
    if compiled is None:
        compiled = _compile_source(source, dialect, task=task, field=field)
        if len(_COMPILED) < _COMPILED_LIMIT:
            _COMPILED[(dialect, source)] = compiled
    call, native = compiled
    return _Expr(source, call, native, extra, task, field)


_COMPILED_LIMIT = 50_000


def _compile_source(source: str, dialect: str, *, task: str | None, field: str | None
                    ) -> tuple[Callable[..., Any], bool]:
    env = environment(dialect)
    match = _NATIVE.match(source)
    native = match is not None and "{{" not in match["expr"] and "}}" not in match["expr"]
    try:
        if native:
            assert match is not None
            return env.compile_expression(match["expr"].strip(), undefined_to_none=False), True
        return env.from_string(source).render, False
    except jinja2.TemplateSyntaxError as exc:
        raise ExpressionError(
            f"syntax error: {exc.message}", expression=source, task=task, field=field
        ) from None


def iter_expressions(node: Node) -> Iterator[str]:
    """Yield the template sources inside a compiled node."""
    return node.sources()


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
        inner = attr.node
        if (
            isinstance(inner, jinja2.nodes.Call)
            and isinstance(inner.node, jinja2.nodes.Name)
            and inner.node.name == "ctx"
            and not inner.args
        ):
            names.add(attr.attr)
    for item in tree.find_all(jinja2.nodes.Getitem):
        inner = item.node
        if (
            isinstance(inner, jinja2.nodes.Call)
            and isinstance(inner.node, jinja2.nodes.Name)
            and inner.node.name == "ctx"
            and not inner.args
            and isinstance(item.arg, jinja2.nodes.Const)
            and isinstance(item.arg.value, str)
        ):
            names.add(item.arg.value)
    return names
