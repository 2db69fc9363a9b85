"""A StackStorm pack's Python actions as Troupe actions named ``PACK.ACTION``.

    actions = load_pack("packs/examples")       # {"examples.python-mock-create-vm": fn, ...}
    start_workflow(path, params, actions=actions)   # or Engine(actions=...), troupe run --pack

A pack is a directory with ``pack.yaml`` (its ``ref``, else its ``name``, else the
directory's name is the pack name) and ``actions/*.yaml``: every action whose
``runner_type`` is ``python-script`` (and ``enabled`` is not false) becomes a function that
checks its inputs against the metadata's ``parameters`` (``type``, ``required``,
``default``, ``enum``, ``immutable``; unknown inputs refused, as st2 does; declared on the
function, so ``troupe validate --pack`` checks a task's input names too) and runs the
``entry_point`` file in a process of its own (:mod:`runtime.st2pack.wrapper`, through
``core.local``'s process handling: killed on cancel and on the task's timeout). The result
is the python runner's: ``{"result", "stdout", "stderr", "exit_code"}``; a
``(False, value)`` return or an exception fails the task with that result. The pack's
``config.yaml``, if present, is the actions' ``self.config``.

Misuse: load a pack once (it reads every metadata file); other runner types (shell
scripts, workflows) are skipped, not run; the pack's ``requirements.txt`` is not installed:
the action runs on Troupe's interpreter.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from runtime.actions.accepts import declare_parameters, metadata_problems
from runtime.actions.builtin import core_local
from runtime.actions.call import Call
from runtime.errors import ActionFailed, ActionTimedOut, PackError

from .wrapper import DELIMITER, SHIM

__all__ = ["PackError", "load_pack", "load_packs"]

WRAPPER = str(Path(__file__).with_name("wrapper.py"))
_META_TYPES = frozenset({"string", "integer", "number", "boolean", "array", "object", "null"})


def load_packs(directories: list[str] | tuple[str, ...]) -> dict[str, Callable[..., Any]]:
    """The actions of every pack directory, in order (a later pack's action wins)."""
    found: dict[str, Callable[..., Any]] = {}
    for directory in directories:
        found.update(load_pack(directory))
    return found


def load_pack(directory: str | os.PathLike[str], *,
              name: str | None = None) -> dict[str, Callable[..., Any]]:
    """The Python actions of the pack in ``directory`` by reference (``name`` overrides the
    pack's name); raise :class:`PackError` for a pack that cannot be read."""
    root = Path(directory)
    if not (root / "actions").is_dir():
        raise PackError(str(root), "not a StackStorm pack (no actions directory)")
    pack = name or _pack_name(root)
    config = _yaml(root / "config.yaml") if (root / "config.yaml").is_file() else {}
    if not isinstance(config, dict):
        raise PackError(str(root / "config.yaml"), "the config is not a mapping")
    actions: dict[str, Callable[..., Any]] = {}
    for meta_path in sorted((root / "actions").glob("*.yaml")):
        meta = _yaml(meta_path)
        if not isinstance(meta, dict) or meta.get("runner_type") != "python-script":
            continue
        if meta.get("enabled") is False:
            continue
        ref = f"{pack}.{_required(meta, 'name', meta_path)}"
        entry = meta_path.parent / _required(meta, "entry_point", meta_path)
        if not entry.is_file():
            raise PackError(str(meta_path), f"entry_point {entry.name!r} is not a file")
        actions[ref] = _python_action(ref, entry.resolve(), _parameters(meta, meta_path),
                                      config, str(meta.get("description") or ""))
    return actions


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PackError(str(path), f"cannot be read: {exc}") from None


def _pack_name(root: Path) -> str:
    meta = _yaml(root / "pack.yaml") if (root / "pack.yaml").is_file() else {}
    name = (meta or {}).get("ref") or (meta or {}).get("name") or root.resolve().name
    return str(name)


def _required(meta: Mapping[str, Any], key: str, path: Path) -> str:
    value = meta.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PackError(str(path), f"{key!r} is required (a non-empty string)")
    return value


def _parameters(meta: Mapping[str, Any], path: Path) -> dict[str, dict[str, Any]]:
    params = meta.get("parameters") or {}
    if not isinstance(params, dict) or not all(isinstance(p, dict) for p in params.values()):
        raise PackError(str(path), "'parameters' must map names to mappings")
    for pname, spec in params.items():
        kind = spec.get("type")
        if kind is not None and kind not in _META_TYPES:
            raise PackError(str(path), f"parameter {pname!r}: unknown type {kind!r}")
    return params


def _schema(params: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The JSON schema st2 checks an action's parameters with."""
    properties: dict[str, Any] = {}
    for pname, spec in params.items():
        prop: dict[str, Any] = {}
        if "type" in spec:
            prop["type"] = [spec["type"], "null"] if not spec.get("required") else spec["type"]
        if "enum" in spec:
            prop["enum"] = list(spec["enum"])
        properties[pname] = prop
    required = [p for p, spec in params.items() if spec.get("required")]
    return {"type": "object", "properties": properties, "required": required,
            "additionalProperties": False}


def _checked(ref: str, params: Mapping[str, Mapping[str, Any]], validator: Any,
             given: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs with the metadata's defaults filled in; ActionFailed if they do not fit."""
    values = {k: v for k, v in given.items() if v is not None}
    missing, unexpected, immutable = metadata_problems(params, values)
    messages = [f"{p!r} is immutable" for p in immutable]
    for pname, spec in params.items():
        if pname not in values and spec.get("default") is not None:
            values[pname] = spec["default"]
    messages += [e.message for e in sorted(validator.iter_errors(values),
                                           key=lambda e: list(e.path))]
    if messages:
        raise ActionFailed(f"action {ref!r}: bad input(s): " + "; ".join(messages),
                           result={"action": ref, "missing": missing,
                                   "unexpected": unexpected, "error": "; ".join(messages)})
    return values


def _python_action(ref: str, entry: Path, params: dict[str, dict[str, Any]],
                   config: Mapping[str, Any], description: str) -> Callable[..., Any]:
    validator = jsonschema.Draft7Validator(_schema(params))
    env = {"PYTHONPATH": SHIM, "PYTHONDONTWRITEBYTECODE": "1"}

    def run(*, call: Call, **inputs: Any) -> dict[str, Any]:
        values = _checked(ref, params, validator, inputs)
        request = json.dumps({"entry_point": str(entry), "config": dict(config),
                              "parameters": values})
        try:
            done = core_local([sys.executable, WRAPPER], cwd=str(entry.parent), env=env,
                              shell=False, stdin=request, call=call)
        except (ActionFailed, ActionTimedOut) as exc:  # raised, killed, timed out
            local = exc.result if isinstance(exc.result, dict) else {}
            raise type(exc)(f"action {ref!r}: {exc}", result=_result(local)) from None
        result = _result(done)
        if not result.pop("succeeded"):
            raise ActionFailed(f"action {ref!r} returned failure", result=result)
        return result

    run.__doc__ = description or f"StackStorm Python action {ref}"
    run.__name__ = ref.replace(".", "_").replace("-", "_")
    declare_parameters(run, params)  # validation checks a task's input against them
    return run


def _result(local: Mapping[str, Any]) -> dict[str, Any]:
    """The python runner's result from ``core.local``'s (stdout holds the result line)."""
    stdout = str(local.get("stdout", ""))
    printed, sep, tail = stdout.rpartition(DELIMITER.strip("\n"))
    outcome: dict[str, Any] = {"succeeded": False, "result": None}
    if sep:
        try:
            outcome = json.loads(tail)
        except ValueError:
            printed = stdout
    else:
        printed = stdout
    printed = printed.removesuffix("\n").removesuffix("\n")  # the marker's, then one printed
    return {"result": outcome.get("result"), "stdout": printed,
            "stderr": str(local.get("stderr", "")), "exit_code": local.get("return_code"),
            "succeeded": bool(outcome.get("succeeded"))}
