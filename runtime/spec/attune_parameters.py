"""Attune ``parameters``: the workflow's declared inputs and their JSON-schemas.

Parameters are flat (``name: {type, default, required, secret, description, enum...}``) or one
JSON-schema object (``type: object, properties: {...}, required: [...]``). Each becomes an
:class:`InputDef`. Its schema is the declaration without Attune's flags (``secret``, and a
``required`` that is not JSON-schema's list of property names); it is checked against the
JSON-schema meta-schema here, so a bad schema is a located T403 diagnostic, and kept frozen
on the input for :mod:`runtime.parameters` to validate values against when an execution
starts.

Misuse: only :mod:`runtime.spec.attune` calls :func:`load_parameters`, with the marked
``parameters`` mapping; :func:`validator_class` is the one choice of JSON-schema draft (the
document's ``$schema``, else 2020-12), shared with :mod:`runtime.parameters`: do not pick a
draft anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pyrsistent import PMap, pmap

from runtime.templating import Const
from runtime.values import freeze

from .common import check_keys
from .model import InputDef
from .report import Reporter

if TYPE_CHECKING:  # jsonschema costs ~0.25 s to import: loaded when a schema is checked
    from jsonschema.protocols import Validator

__all__ = ["SCHEMA_KEYS", "load_parameters", "validator_class"]

SCHEMA_KEYS = frozenset({"type", "properties", "required", "additionalProperties",
                         "description", "title", "$schema", "$id"})
ATTUNE_FLAGS = frozenset({"secret"})
"""Keys of a parameter declaration that are Attune's, not JSON-schema's."""


def validator_class(schema: Mapping[str, Any]) -> type[Validator]:
    """The JSON-schema validator class for ``schema``: its ``$schema``, else draft 2020-12."""
    from jsonschema import Draft202012Validator, validators

    chosen: type[Validator] = validators.validator_for(schema, default=Draft202012Validator)
    return chosen


def load_parameters(doc: Any, reporter: Reporter) -> tuple[list[InputDef], PMap[str, Any]]:
    """Return the inputs and the frozen per-parameter declarations (name -> declaration)."""
    value = doc.get("parameters")
    if value is None:
        return [], pmap()
    if not isinstance(value, dict):
        reporter.report("T103", "parameters must be a mapping of name to schema, or a "
                        "JSON-schema object with properties", doc, "parameters",
                        path="parameters")
        return [], pmap()
    required_names: set[str] = set()
    specs: Any = value
    path = "parameters"
    if _is_schema_form(value):
        specs, required_names = _schema_form(value, reporter)
        path = "parameters.properties"
    dialect = value.get("$schema") if isinstance(value.get("$schema"), str) else None
    inputs: list[InputDef] = []
    declarations: dict[str, Any] = {}
    for name, raw_spec in specs.items():
        where = f"{path}.{name}"
        if not isinstance(name, str):
            reporter.report("T103", "a parameter name must be a string", specs, name,
                            of_key=True, path=where)
            continue
        spec = {} if raw_spec is None else raw_spec
        if not isinstance(spec, dict):
            reporter.report("T103", f"parameter {name!r} must be a mapping (type, default, "
                            "required, secret, description...)", specs, name, path=where)
            continue
        inputs.append(_parameter(name, spec, where, reporter,
                                 required=name in required_names, dialect=dialect))
        declarations[name] = freeze(spec)
    return inputs, pmap(declarations)


def _schema_form(value: Mapping[Any, Any], reporter: Reporter) -> tuple[Any, set[str]]:
    """The properties of a JSON-schema object form, and the names its ``required`` lists."""
    check_keys(reporter, value, SCHEMA_KEYS, path="parameters")
    specs = value.get("properties") or {}
    if not isinstance(specs, dict):
        reporter.report("T103", "properties must be a mapping of name to schema", value,
                        "properties", path="parameters.properties")
        specs = {}
    listed = value.get("required", [])
    if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
        reporter.report("T103", "required must be a list of parameter names", value,
                        "required", path="parameters.required")
        listed = []
    for position, name in enumerate(listed):
        if name not in specs:
            reporter.report("T106", f"required parameter {name!r} is not declared in "
                            "properties", listed, position,
                            path=f"parameters.required[{position}]")
    return specs, set(listed)


def _parameter(name: str, spec: Mapping[str, Any], where: str, reporter: Reporter, *,
               required: bool, dialect: str | None) -> InputDef:
    """One declared parameter; its flags, type and description checked."""
    flags = {}
    for flag in ("required", "secret"):
        raw = spec.get(flag, False)
        if not isinstance(raw, bool):
            reporter.report("T103", f"{flag} must be true or false", spec, flag,
                            path=f"{where}.{flag}")
            raw = False
        flags[flag] = raw
    kind = spec.get("type")
    if kind is not None and not isinstance(kind, str):
        reporter.report("T103", "type must be a JSON-schema type name", spec, "type",
                        path=f"{where}.type")
        kind = None
    description = spec.get("description", "")
    if not isinstance(description, str):
        reporter.report("T103", "description must be a string", spec, "description",
                        path=f"{where}.description")
        description = ""
    return InputDef(
        name=name,
        default=Const(freeze(spec["default"])) if "default" in spec else None,
        required=flags["required"] or required,
        secret=flags["secret"],
        description=description,
        type=kind,
        schema=_checked_schema(spec, where, reporter, dialect=dialect,
                               secret=flags["secret"]),
    )


def _checked_schema(spec: Mapping[str, Any], where: str, reporter: Reporter, *,
                    dialect: str | None, secret: bool) -> PMap[str, Any] | None:
    """The declaration as a JSON-schema, frozen; None (and T403s) if it is not a valid one."""
    schema = {key: value for key, value in spec.items() if key not in ATTUNE_FLAGS
              and not (key == "required" and not isinstance(value, list))}
    if not schema.keys() - {"description", "default", "title"}:
        return None  # nothing to validate: skip loading jsonschema
    if dialect is not None:
        schema.setdefault("$schema", dialect)
    meta = validator_class(schema)
    problems = sorted(meta(meta.META_SCHEMA).iter_errors(schema), key=lambda e: _dotted(e.path))
    for problem in problems:
        steps = tuple(problem.path)
        container, key = _site(spec, steps)
        message = (f"not a valid JSON-schema: fails {problem.validator!r}" if secret
                   else f"not a valid JSON-schema: {problem.message}")
        reporter.report("T403", message, container, key,
                        path=f"{where}{_dotted(steps)}")
    if problems:
        return None
    frozen: PMap[str, Any] = freeze(schema)
    return frozen


def _dotted(steps: Iterable[Any]) -> str:
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in steps)


def _site(container: Any, steps: tuple[Any, ...]) -> tuple[Any, Any]:
    """The deepest (container, key) of ``steps`` that exists in the marked declaration."""
    current, key = container, None
    for step in steps:
        target = current if key is None else current[key]
        exists = (isinstance(target, dict) and step in target) or (
            isinstance(target, list) and isinstance(step, int) and 0 <= step < len(target))
        if not exists:
            break
        current, key = target, step
    return current, key


def _is_schema_form(value: Mapping[Any, Any]) -> bool:
    """Tell a JSON-schema object (``type: object, properties: ...``) from the flat form."""
    if value.get("type") == "object":
        return True
    props = value.get("properties")
    return (
        isinstance(props, dict)
        and set(value) <= SCHEMA_KEYS
        and all(isinstance(v, dict) or v is None for v in props.values())
    )

