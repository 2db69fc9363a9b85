"""The workflow's start: its parameters checked, its inputs and variables rendered.

:func:`check_parameters` says whether the parameters a caller gave fit the declared inputs
(the API calls it before anything runs; the machine again on ``WorkflowRequested``);
:func:`render_inputs` renders the declared inputs in order (a default may use earlier
inputs) and the workflow's variables into the root context.

Misuse: render inputs once per execution, from the ``WorkflowRequested`` handler.
"""

from __future__ import annotations

from typing import Any

from pyrsistent import PMap, PVector, pmap

from runtime.context import Context
from runtime.errors import ParameterError
from runtime.spec.model import WorkflowDef
from runtime.templating import Scope

from .tx import Tx

__all__ = ["check_parameters", "render_inputs"]


def check_parameters(defn: WorkflowDef, params: PMap[str, Any]) -> None:
    """Raise :class:`ParameterError` if ``params`` do not fit the declared inputs."""
    declared = {i.name for i in defn.inputs}
    missing = [i.name for i in defn.inputs if i.required and params.get(i.name) is None]
    unknown = []
    if not defn.policies.drop_undeclared_inputs and defn.inputs:
        unknown = sorted(k for k in params if k not in declared)
    bad_types = []
    for spec in defn.inputs:
        value = params.get(spec.name)
        if value is not None and spec.type and not _type_ok(spec.type, value):
            bad_types.append(f"{spec.name} must be {spec.type}, got {type(value).__name__}")
    if missing or unknown or bad_types:
        raise ParameterError(missing=missing, unknown=unknown, detail="; ".join(bad_types))


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (tuple, list, PVector),
    "object": (dict, PMap),
}


def _type_ok(name: str, value: Any) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    expected = _TYPES.get(name)
    return expected is None or isinstance(value, expected)


def render_inputs(tx: Tx, params: PMap[str, Any]) -> PMap[str, Any]:
    """Render declared inputs in order (a default may use earlier inputs); set the root."""
    defn = tx.defn
    rolling: PMap[str, Any] = pmap()
    for spec in defn.inputs:
        if spec.name in params and params[spec.name] is not None:
            value = params[spec.name]
        elif spec.default is not None:
            value = spec.default.render(Scope(rolling, params=params))
        else:
            value = params.get(spec.name)
        rolling = rolling.set(spec.name, value)
    if not defn.policies.drop_undeclared_inputs:
        for key, value in params.items():
            if key not in rolling:
                rolling = rolling.set(key, value)
    tx.inputs = rolling
    root = rolling if defn.policies.branch_context else pmap()
    for name, node in defn.vars:
        root = root.set(name, node.render(Scope(root, params=rolling)))
    tx.root = Context.root(root)
    tx.store = root
    tx.params = rolling
    return rolling
