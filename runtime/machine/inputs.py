"""The workflow's start: its parameters checked, its inputs and variables rendered.

:func:`check_parameters` (from :mod:`runtime.parameters`) says whether the parameters a
caller gave fit the declared inputs (the API calls it before anything runs; the machine again
on ``WorkflowRequested``); :func:`render_inputs` renders the declared inputs in order (a
default may use earlier inputs) and the workflow's variables into the root context.

Misuse: render inputs once per execution, from the ``WorkflowRequested`` handler.
"""

from __future__ import annotations

from typing import Any

from pyrsistent import PMap, pmap

from runtime.context import Context
from runtime.parameters import check_parameters
from runtime.spec.model import Dialect
from runtime.st2_context import ST2, st2_context
from runtime.templating import Scope

from .tx import Tx

__all__ = ["check_parameters", "render_inputs"]


def render_inputs(tx: Tx, params: PMap[str, Any],
                  environment: PMap[str, Any] | None = None) -> PMap[str, Any]:
    """Render declared inputs in order (a default may use earlier inputs); set the root.

    In Orquesta the root context starts with ``st2`` (:mod:`runtime.st2_context`), which
    input defaults may read too; an input or variable named ``st2`` replaces it."""
    defn = tx.defn
    orquesta = defn.dialect is Dialect.ORQUESTA
    seen: PMap[str, Any] = (pmap({ST2: st2_context(tx.execution_id, environment or pmap())})
                            if orquesta else pmap())
    rolling: PMap[str, Any] = pmap()
    for spec in defn.inputs:
        if spec.name in params and params[spec.name] is not None:
            value = params[spec.name]
        elif spec.default is not None:
            value = spec.default.render(Scope(seen, params=params, kv=tx.kv))
        else:
            value = params.get(spec.name)
        rolling = rolling.set(spec.name, value)
        seen = seen.set(spec.name, value)
    if not defn.policies.drop_undeclared_inputs:
        for key, value in params.items():
            if key not in rolling:
                rolling = rolling.set(key, value)
                seen = seen.set(key, value)
    tx.inputs = rolling
    root = seen if defn.policies.branch_context else pmap()
    for name, node in defn.vars:
        root = root.set(name, node.render(Scope(root, params=rolling, kv=tx.kv)))
    tx.root = Context.root(root)
    tx.store = root
    tx.params = rolling
    return rolling
