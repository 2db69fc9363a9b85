"""Parameters given on the ``troupe`` command line: ``-p KEY=VALUE`` and ``--params-file``.

Shared by ``troupe run`` (:mod:`runtime.cli`) and ``troupe submit`` (:mod:`runtime.client`).
A value is read as YAML (``3``, ``true``, ``[1, 2]``), except for the inputs declared as
strings (``string_inputs``), which take it as written.

Misuse: a bad ``-p`` or a file that is not a mapping is a :class:`ParameterError`, never
a silent skip.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from runtime.errors import ParameterError

__all__ = ["parse_parameters"]


def parse_parameters(pairs: Sequence[str], params_file: str | None,
                     string_inputs: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The parameters: the file's mapping, then each ``KEY=VALUE`` over it."""
    params: dict[str, Any] = {}
    if params_file:
        loaded = yaml.safe_load(Path(params_file).read_text(encoding="utf-8"))
        if loaded is not None and not isinstance(loaded, dict):
            raise ParameterError(detail=f"{params_file}: parameters must be a mapping")
        params.update(loaded or {})
    for item in pairs:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ParameterError(detail=f"-p {item!r}: expected KEY=VALUE")
        if key in string_inputs:
            params[key] = value
            continue
        try:
            params[key] = yaml.safe_load(value) if value else ""
        except yaml.YAMLError:
            params[key] = value
    return params
