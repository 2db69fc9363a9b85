"""StackStorm core actions that cannot apply under Troupe, and the check that rejects them.

:data:`UNAVAILABLE` maps each such reference to why it cannot run here and what to use
instead: ``core.pause`` (StackStorm's Python action that sleeps the workflow's thread; a
Troupe task does not own a thread to pause) and the Windows remoting actions
``core.winrm_cmd``, ``core.winrm_ps_cmd``, ``core.winrm_ps_script`` and ``core.windows_cmd``
(Troupe has no WinRM client). :func:`report_unavailable` reports every task that names one
as the error T405 at the task's ``action`` key, also under ``--actions-optional``: such a
workflow is known not to run, which is different from an action a pack may provide later.

Misuse: do not add an action here that a pack could provide (that is T401/T404, unknown);
do not check a reference that is an expression (it is resolved at run time).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from .model import WorkflowDef
from .report import Reporter

__all__ = ["UNAVAILABLE", "report_unavailable"]

_WINRM = ("Windows remoting (WinRM) is not available in Troupe: run the command on a "
          "Windows host by other means, or use core.local / core.remote (localhost) here")

UNAVAILABLE: Mapping[str, str] = MappingProxyType({
    "core.pause": ("core.pause sleeps the workflow's thread in StackStorm; Troupe tasks have "
                   "no thread to pause: use core.sleep (seconds=N) or the task's delay"),
    "core.winrm_cmd": _WINRM,
    "core.winrm_ps_cmd": _WINRM,
    "core.winrm_ps_script": _WINRM,
    "core.windows_cmd": _WINRM,
})
"""Why each StackStorm core action that cannot apply here is rejected, and what to use."""


def report_unavailable(defn: WorkflowDef, reporter: Reporter,
                       container_of: Callable[[str], Any]) -> None:
    """Report T405 for every task whose action is one of :data:`UNAVAILABLE`."""
    for name in defn.task_order:
        ref = defn.task(name).action_ref
        why = UNAVAILABLE.get(ref) if ref is not None else None
        if why is not None:
            reporter.report("T405", f"action {ref!r} cannot run here: {why}",
                            container_of(name), "action", task=name,
                            path=f"tasks.{name}.action")
