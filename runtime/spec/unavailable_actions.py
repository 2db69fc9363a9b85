"""StackStorm core actions that cannot apply under Troupe, and the check that rejects them.

:data:`UNAVAILABLE` maps each such reference to why it cannot run here and what to use
instead: ``core.pause`` (StackStorm's Python action that sleeps the workflow's thread; a
Troupe task does not own a thread to pause) and the Windows remoting actions
``core.winrm_cmd``, ``core.winrm_ps_cmd``, ``core.winrm_ps_script`` and ``core.windows_cmd``
(Troupe has no WinRM client). :func:`report_unavailable` reports every task that names one
as the error T405 at the task's ``action`` key, also under ``--actions-optional``: such a
workflow is known not to run, which is different from an action a pack may provide later.
So is a ``core.remote``/``core.remote_sudo`` task whose ``hosts`` is written out and names a
host other than this machine (Troupe runs remote commands on localhost only).

Misuse: do not add an action here that a pack could provide (that is T401/T404, unknown);
do not check a reference that is an expression (it is resolved at run time).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from runtime.actions.remote import LOCAL_HOSTS
from runtime.templating.nodes import constant_entry

from .model import TaskDef, WorkflowDef
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


_REMOTE = frozenset({"core.remote", "core.remote_sudo"})


def _remote_hosts(task: TaskDef) -> str | None:
    """Why a remote task cannot run here, when its literal ``hosts`` name another machine."""
    if task.action_ref not in _REMOTE:
        return None
    hosts = constant_entry(task.input, "hosts")
    if isinstance(hosts, str):
        hosts = hosts.split(",")
    if not isinstance(hosts, Sequence):
        return None  # absent or an expression: known when the task runs
    names = (str(host).strip() for host in hosts)
    remote = [host for host in names if host and host.lower() not in LOCAL_HOSTS]
    if not remote:
        return None
    return (f"Troupe runs {task.action_ref} on this host only (hosts: localhost) and does not "
            f"connect to other hosts over SSH: {', '.join(remote)}")


def report_unavailable(defn: WorkflowDef, reporter: Reporter,
                       container_of: Callable[[str], Any]) -> None:
    """Report T405 for every task whose action is one of :data:`UNAVAILABLE`, and for every
    remote task whose written-out hosts are not this machine."""
    for name in defn.task_order:
        task = defn.task(name)
        ref = task.action_ref
        why = UNAVAILABLE.get(ref) if ref is not None else None
        if why is None:
            why = _remote_hosts(task)
        if why is not None:
            reporter.report("T405", f"action {ref!r} cannot run here: {why}",
                            container_of(name), "action", task=name,
                            path=f"tasks.{name}.action")
