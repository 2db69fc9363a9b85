"""``st2common.runners.base_action.Action``: the base class of a StackStorm Python action.

A pack's action subclasses it and implements ``run(**parameters)``; Troupe's wrapper
(:mod:`runtime.st2pack.wrapper`) builds it with the pack's config and calls ``run``. What a
subclass may use, as in StackStorm: ``self.config`` (the pack's config mapping),
``self.logger`` (a :mod:`logging` logger named after the class, writing to stderr) and
``self.action_service`` (None here: Troupe has no st2 datastore service for actions).

Misuse: ``run`` returns a JSON-able value, or ``(succeeded, value)``; anything else it
returns is written as its ``str``.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["Action"]


class Action:
    """Base class of a pack's Python action."""

    def __init__(self, config: dict[str, Any] | None = None,
                 action_service: Any = None) -> None:
        self.config: dict[str, Any] = dict(config or {})
        self.action_service = action_service
        self.logger = logging.getLogger(f"st2.actions.{type(self).__name__}")

    def run(self, **kwargs: Any) -> Any:
        """What the action does; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__}.run() is not implemented")
