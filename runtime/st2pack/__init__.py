"""StackStorm packs under Troupe: a pack's Python actions registered as ``PACK.ACTION``.

:func:`load_pack` / :func:`load_packs` (:mod:`.actions`) read a pack directory and return
its actions as callables for ``start_workflow(actions=...)``, ``Engine(actions=...)`` or
``troupe run --pack DIR``; the action code runs in a process of its own
(:mod:`.wrapper`) with a minimal ``st2common.runners.base_action.Action`` (:mod:`.shim`).

Misuse: only ``python-script`` actions are imported; see :mod:`.actions` for the rest.
"""

from .actions import PackError, load_pack, load_packs

__all__ = ["PackError", "load_pack", "load_packs"]
