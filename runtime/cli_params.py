"""Parameters given on the ``troupe`` command line: ``-p KEY=VALUE`` and ``--params-file``.

Shared by ``troupe run`` (:mod:`runtime.cli`) and ``troupe submit`` (:mod:`runtime.client`).
A value is read as YAML (``3``, ``true``, ``[1, 2]``), except for the inputs declared as
strings (``string_inputs``), which take it as written.

Misuse: a bad ``-p`` is a :class:`ParameterError`; a params file that is not a mapping or
not good YAML is a located :class:`~runtime.errors.ValidationFailed` (see
:func:`runtime.parameters.load_params_file`), never a silent skip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runtime.errors import ParameterError
from runtime.parameters import load_params_file, parse_value

__all__ = ["parse_parameters"]


def parse_parameters(pairs: Sequence[str], params_file: str | None,
                     string_inputs: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The parameters: the file's mapping, then each ``KEY=VALUE`` over it."""
    params: dict[str, Any] = {}
    if params_file:
        params.update(load_params_file(params_file))
    for item in pairs:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ParameterError(detail=f"-p {item!r}: expected KEY=VALUE")
        if key in string_inputs:
            params[key] = value
            continue
        params[key] = parse_value(value)
    return params
