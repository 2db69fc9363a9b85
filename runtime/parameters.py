"""Checking an execution's parameters against the workflow's declared inputs.

:func:`check_parameters` raises :class:`runtime.errors.ParameterError` listing missing
required inputs, undeclared parameters (where the dialect forbids them) and every value its
declaration refuses, each as a :class:`runtime.errors.ParameterProblem` naming the parameter
and the path inside its value (``servers[1].port``). An input with a JSON-schema (Attune
parameters) is validated with ``jsonschema`` (``enum``, ``minimum``, ``pattern``,
``required``, nested ``properties``, array ``items``...); an input with only a ``type``
(Orquesta's input metadata) is checked for that type.

A secret input's value never appears in a problem: its message is built from the failing
keyword and the schema's constraint, never from jsonschema's message (which quotes the value);
every message is also passed through the execution's masker.

:func:`load_params_file` reads a ``--params-file`` with the workflow loader's limits and
located errors; :func:`parse_value` reads one ``-p`` value.

Misuse: call it once per execution before anything runs (``start_workflow`` and the state
machine's start do); it reads the parameters as given, before defaults are rendered, so a
default is not validated here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyrsistent import PMap, PVector

from runtime.errors import (
    Diagnostic,
    ParameterError,
    ParameterProblem,
    ValidationFailed,
    WorkflowFileError,
)
from runtime.masking import Masker
from runtime.spec.model import InputDef, WorkflowDef
from runtime.values import thaw

if TYPE_CHECKING:  # jsonschema costs ~0.25 s to import: only executions with schemas pay it
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

__all__ = ["check_parameters", "load_params_file", "parse_value"]


def load_params_file(path: str) -> dict[str, Any]:
    """The parameters a YAML or JSON file holds (a mapping), read as workflows are read.

    Raises :class:`ValidationFailed` with one located diagnostic for a file that is not
    UTF-8 (``T110``), bad YAML (``T100``), aliases or nesting past the loader's limits
    (``T107``, ``T108``), a huge integer (``T109``) or a document that is not a mapping
    (``T101``); :class:`WorkflowFileError` for a file that cannot be read.
    """
    from runtime.spec.source import classify, read
    from runtime.spec.yamlmarks import YamlProblem, load_marked

    try:
        text = read(classify(Path(path)))
    except WorkflowFileError as exc:
        if exc.line is None:
            raise
        raise ValidationFailed([exc.diagnostic(path)]) from None
    try:
        loaded = load_marked(text)
    except YamlProblem as exc:
        line, column = (exc.mark.line, exc.mark.column) if exc.mark else (None, None)
        raise ValidationFailed([Diagnostic(code=exc.code, message=exc.message, file=path,
                                           line=line, column=column)]) from None
    duplicate = _first_duplicate(loaded)
    if duplicate is not None:
        key, mark = duplicate
        raise ValidationFailed([Diagnostic(code="T105", message=f"duplicate key {key!r}",
                                           file=path, line=mark.line, column=mark.column)])
    if loaded is not None and not isinstance(loaded, dict):
        raise ValidationFailed([Diagnostic(code="T101", message="parameters must be a mapping",
                                           file=path, line=1, column=1)])
    return dict(loaded or {})


def _first_duplicate(value: Any) -> tuple[Any, Any] | None:
    """The first key given twice in one mapping, anywhere in ``value``, with its mark."""
    from runtime.spec.yamlmarks import MarkedDict

    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, MarkedDict):
            if current.duplicates:
                return current.duplicates[0]
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return None


def parse_value(text: str) -> Any:
    """A ``-p KEY=VALUE`` value read as YAML (``3``, ``true``, ``[1, 2]``), under the loader's
    limits; text that is not YAML, or goes past a limit, is the string itself."""
    from runtime.spec.yamlmarks import YamlProblem, load_marked

    try:
        return load_marked(text) if text else ""
    except YamlProblem:
        return text


def check_parameters(defn: WorkflowDef, params: Mapping[str, Any]) -> None:
    """Raise :class:`ParameterError` if ``params`` do not fit the declared inputs."""
    declared = {i.name for i in defn.inputs}
    missing = [i.name for i in defn.inputs if i.required and params.get(i.name) is None]
    unknown: list[str] = []
    if not defn.policies.drop_undeclared_inputs and defn.inputs:
        unknown = sorted(k for k in params if k not in declared)
    masker = Masker.for_inputs(defn.inputs, params)
    problems = [
        ParameterProblem(parameter=p.parameter, path=p.path, validator=p.validator,
                         message=masker.text(p.message))
        for spec in defn.inputs
        if params.get(spec.name) is not None
        for p in _problems(spec, params[spec.name])
    ]
    if missing or unknown or problems:
        raise ParameterError(missing=missing, unknown=unknown, problems=problems)


def _problems(spec: InputDef, value: Any) -> Iterator[ParameterProblem]:
    if spec.schema is not None:
        for error in _validator(spec.schema).iter_errors(thaw(value)):
            yield ParameterProblem(
                parameter=spec.name,
                path=tuple(error.absolute_path),
                validator=str(error.validator),
                message=_secret_message(error) if spec.secret else error.message,
            )
    elif spec.type and not _type_ok(spec.type, value):
        yield ParameterProblem(parameter=spec.name, path=(), validator="type",
                               message=f"must be {spec.type}, got {type(value).__name__}")


@lru_cache(maxsize=512)
def _validator(schema: PMap[str, Any]) -> Validator:
    """A validator for a (frozen, hashable) schema, built once per schema."""
    from runtime.spec.attune_parameters import validator_class

    plain = thaw(schema)
    return validator_class(plain)(plain)


def _secret_message(error: ValidationError) -> str:
    """What failed, without the value: the keyword and, when it is short, its constraint."""
    constraint = error.validator_value
    if isinstance(constraint, (str, int, float, bool)) or (
            isinstance(constraint, list) and len(repr(constraint)) <= 80):
        return f"does not satisfy {error.validator}: {constraint!r}"
    return f"does not satisfy {error.validator}"


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
