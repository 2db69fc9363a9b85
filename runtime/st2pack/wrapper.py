"""The process that runs one StackStorm Python action: ``python wrapper.py`` (stdlib only).

It reads ``{"entry_point", "config", "parameters"}`` as JSON on stdin, imports the entry
point (with the ``st2common`` shim and the action's directory on ``sys.path``), builds the
one class of that file that subclasses ``Action`` with the config, calls
``run(**parameters)`` and, after whatever the action printed, writes :data:`DELIMITER` and
``{"succeeded": bool, "result": value}`` as JSON on stdout. A ``(bool, value)`` return is a
status and a value, as StackStorm's python runner reads it. An exception prints its
traceback on stderr and exits 1.

Misuse: run by :mod:`runtime.st2pack.actions` only, as a script (not ``-m``: it must not
import Troupe, so a pack's imports cannot shadow it or see it).
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import logging
import os
import sys
from typing import Any

DELIMITER = "\n--- troupe st2 result ---\n"
"""Separates what the action printed from its result (``actions.py`` has the same text)."""

SHIM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shim")


def _action_class(path: str) -> type:
    """The class of the file at ``path`` that subclasses st2's ``Action``."""
    from st2common.runners.base_action import Action

    directory = os.path.dirname(path)
    sys.path[:0] = [directory, os.path.join(directory, "lib")]
    spec = importlib.util.spec_from_file_location("st2_pack_action", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = [cls for _, cls in inspect.getmembers(module, inspect.isclass)
             if issubclass(cls, Action) and cls is not Action
             and cls.__module__ == module.__name__]
    if len(found) != 1:
        raise TypeError(f"{path}: expected one subclass of Action, found {len(found)}")
    return found[0]


def main() -> int:
    """Run the action described on stdin; the exit code."""
    sys.path.insert(0, SHIM)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO)
    request = json.loads(sys.stdin.read())
    cls = _action_class(request["entry_point"])
    value: Any = cls(config=request.get("config") or {}).run(**request["parameters"])
    succeeded = True
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], bool):
        succeeded, value = value
    sys.stdout.flush()
    sys.stdout.write(DELIMITER + json.dumps({"succeeded": succeeded, "result": value},
                                            default=str))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
