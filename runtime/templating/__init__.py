"""Expressions: Jinja (one sandboxed environment per dialect) and Orquesta's YAQL, compiled once.

The package is layered one way (each module imports only those above it):

- :mod:`~runtime.templating.scope`: :class:`Scope`, what an expression sees;
- :mod:`~runtime.templating.data`: the boundary between Jinja values and engine data
  (undefined values, lazy ranges, the size cap, user-facing type names);
- :mod:`~runtime.templating.orquesta_functions`, :mod:`~runtime.templating.attune_functions`:
  the functions expressions call;
- :mod:`~runtime.templating.sandbox`: the shared environments;
- :mod:`~runtime.templating.yaql_functions`, :mod:`~runtime.templating.yaql_expr`: YAQL's
  context (yaql's library and Orquesta's functions) and its compiled expressions;
- :mod:`~runtime.templating.nodes`: compiled values and rendering (the error boundary);
- :mod:`~runtime.templating.analysis`, :mod:`~runtime.templating.callables`: static reading
  of templates (the ``ctx()`` names they read, the filters and functions they call).

Misuse: import from this package, not from its modules, outside ``runtime.templating``;
never call ``Environment.from_string`` on a hot path (compile once with
:func:`compile_value`).
"""

from runtime.templating.analysis import iter_expressions, referenced_ctx_names
from runtime.templating.callables import UnknownCallable, template_strings, unknown_callables
from runtime.templating.data import MAX_ITEMS, type_name
from runtime.templating.nodes import Const, Node, compile_value, is_template, mixes_languages
from runtime.templating.sandbox import environment
from runtime.templating.scope import SCOPE_KEY, Scope

__all__ = [
    "MAX_ITEMS",
    "SCOPE_KEY",
    "Const",
    "Node",
    "Scope",
    "UnknownCallable",
    "compile_value",
    "environment",
    "is_template",
    "iter_expressions",
    "mixes_languages",
    "referenced_ctx_names",
    "template_strings",
    "type_name",
    "unknown_callables",
]
