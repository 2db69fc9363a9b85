"""The daemon's own Python actions: mappings named ``MODULE:NAME`` in its settings.

    # myactions.py (importable by the daemon: installed, or on PYTHONPATH)
    from runtime.actions import idempotent
    ACTIONS = {"my.deploy": deploy, "my.fetch": idempotent(fetch)}

    troupe daemon --actions myactions:ACTIONS      # or actions = ["myactions:ACTIONS"]

Each named attribute is a mapping of action reference to callable (as ``Engine(actions=)``
takes); they are merged, later ones winning. Besides these, a daemon's workflows reach the
built-in ``core.*`` actions, ``python:package.module:function`` references and the plugins
of the ``troupe.actions`` entry-point group, as every engine does.

Misuse: these are imported once, at start (a SIGHUP does not re-import code: restart the
daemon for new action code); a module with import side effects runs them in the daemon.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from typing import Any

from runtime.errors import ConfigError

__all__ = ["load_actions"]


def load_actions(refs: Iterable[str], source: str = "actions") -> dict[str, Any]:
    """The merged mappings ``refs`` name; :class:`ConfigError` for one that is not one."""
    actions: dict[str, Any] = {}
    for ref in refs:
        module_name, _, name = ref.partition(":")
        try:
            found = getattr(importlib.import_module(module_name), name)
        except ImportError as exc:
            raise ConfigError(source=source, key="actions",
                              problem=f"{ref!r}: cannot import {module_name}: {exc}") from None
        except AttributeError:
            raise ConfigError(source=source, key="actions",
                              problem=f"{ref!r}: {module_name} has no {name}") from None
        if not isinstance(found, Mapping) or not all(
                isinstance(k, str) and callable(v) for k, v in found.items()):
            raise ConfigError(source=source, key="actions", problem=(
                f"{ref!r}: expected a mapping of action reference to callable"))
        actions.update(found)
    return actions
