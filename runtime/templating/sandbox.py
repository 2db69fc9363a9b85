"""The sandboxed Jinja environments, one per dialect, shared by every template.

Orquesta's environment has the Orquesta functions as globals and filters and a lazy
``range``; Attune's resolves bare names from the workflow variables and has Attune's
call-style helpers. Both use :class:`TroupeUndefined`, a StrictUndefined whose messages name
``list``/``dict`` rather than pyrsistent's classes, and read ``map.key`` of a pyrsistent map
as the key before its methods. Mixed text is stringified by the dialect's rule (Python
``str`` for Orquesta, JSON for Attune); an undefined value never becomes text.

Misuse: never call ``Environment.from_string`` on a hot path (compiling costs ~1 ms; compile
once into nodes, see :mod:`runtime.templating.nodes`); never add globals to a shared
environment at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import missing
from pyrsistent import PMap, PSet, PVector

from runtime.templating import guarded_jinja, guards
from runtime.templating.attune_functions import ATTUNE_GLOBALS
from runtime.templating.data import lazy_range, to_data, type_name
from runtime.templating.orquesta_functions import ORQUESTA_GLOBALS, json_
from runtime.templating.scope import SCOPE_KEY
from runtime.templating.st2_filters import ST2_FILTERS
from runtime.values import thaw, to_json

__all__ = ["TroupeUndefined", "environment"]


class TroupeUndefined(jinja2.StrictUndefined):
    """StrictUndefined whose message names the value's type as users know it."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        if self._undefined_obj is missing:
            return f"{self._undefined_name!r} is undefined"
        kind = type_name(self._undefined_obj)
        if not isinstance(self._undefined_name, str):
            return f"'{kind} object' has no element {self._undefined_name!r}"
        return f"'{kind} object' has no attribute {self._undefined_name!r}"


class _TroupeSandbox(SandboxedEnvironment):
    """Sandbox in which ``map.key`` reads a pyrsistent map's key before its methods, and
    every hook spends the render's budget (:mod:`runtime.templating.guards`)."""

    intercepted_binops = frozenset({"**", "*", "+", "%", "//", "/", "-"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        guards.tick()
        if isinstance(obj, PMap):
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        guards.tick()
        return super().getitem(obj, argument)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        guards.tick()
        guards.check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any,
             **kwargs: Any) -> Any:
        guards.tick()
        guarded_jinja.check_method(__obj, args)
        value = super().call(__context, __obj, *args, **kwargs)
        guarded_jinja.check_growth(__obj)
        return value

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format``/``format_map`` through :class:`GuardedFormatter` (widths checked)."""
        if super().wrap_str_format(value) is None:
            return None
        text: str = value.__self__
        vformat = guarded_jinja.GuardedFormatter(self).vformat
        is_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                return str(vformat(text, (), args[0]))
            return str(vformat(text, args, kwargs))

        return wrapper

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return guarded_jinja.guard_tree(super()._parse(source, name, filename))


_ATTUNE_NAMESPACES = frozenset(
    {"parameters", "workflow", "vars", "variables", "task", "tasks", "item", "index", "system",
     "config", "keystore", "inquiry", SCOPE_KEY}
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
    if type(value) is str:
        return value
    value = to_data(value)
    if isinstance(value, (PMap, PVector, PSet, tuple)):
        return thaw(value)
    return value


_JSON_SCALARS: dict[Any, str] = {None: "", True: "true", False: "false"}


def _json_finalize(value: Any) -> Any:
    if type(value) is str:
        return value
    if value is None or type(value) is bool:
        return _JSON_SCALARS[value]
    value = to_data(value)
    if isinstance(value, (PMap, PVector, PSet, tuple)):
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
    finalize = _json_finalize if dialect == "attune" else _python_finalize
    env = _TroupeSandbox(
        undefined=TroupeUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=finalize,
        autoescape=False,
        cache_size=-1,
    )
    env.policies["json.dumps_function"] = to_json
    if dialect == "attune":
        env.context_class = _BareNameContext
        env.globals.update(ATTUNE_GLOBALS)
    else:
        env.globals["range"] = lazy_range
        env.globals.update(ORQUESTA_GLOBALS)
        env.filters.update(ORQUESTA_GLOBALS)
        env.globals.update(ST2_FILTERS)
        env.filters.update(ST2_FILTERS)
    env.filters.update(guarded_jinja.FILTERS)
    env.globals.update(guarded_jinja.GLOBALS)
    env.filters["to_json"] = env.filters["tojson"]
    env.filters["from_json"] = json_
    return env
