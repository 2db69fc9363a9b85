"""How a client command ends: an execution followed to its end and printed as ``troupe run``
prints a result (errors and the status line on stderr, the output as YAML on stdout), and
the daemon's JSON printed as the other ``--json`` outputs are.

Misuse: the exit code of a followed execution is ``troupe run``'s (0 succeeded, 1 not);
an execution that could not be followed raises, it never exits 0.
"""

from __future__ import annotations

import asyncio
import json
from typing import IO, Any

from runtime.cli_output import as_yaml
from runtime.client.http import Client
from runtime.client.render import error_text, status_line
from runtime.status import WorkflowStatus

__all__ = ["follow_and_report", "print_json"]


def follow_and_report(client: Client, execution: dict[str, Any], progress: IO[str] | None,
                      out: IO[str], err: IO[str], *, children: bool, as_json: bool) -> int:
    """Follow an execution to its end (drawing its progress on ``progress``, if any), then
    print it as ``troupe run`` prints a result; 0 if it succeeded, else 1."""
    from runtime.client.views import LineView, LiveView
    from runtime.client.watch import TreeWatch

    async def follow() -> None:
        view: Any = (None if progress is None else
                     LiveView(progress) if progress.isatty() else LineView(progress))
        async with client.async_client() as http:
            try:
                await TreeWatch(http, view or _Silent(), children=children).run(
                    execution["id"], execution.get("workflow"))
            finally:
                if view is not None:
                    view.close()

    asyncio.run(follow())
    final = client.get(f"/api/v1/executions/{execution['id']}")
    succeeded = final["status"] == WorkflowStatus.SUCCEEDED.value
    if as_json:
        print_json(final, out)
    else:
        for error in final.get("errors") or ():
            err.write(error_text(error, succeeded) + "\n")
        err.write(status_line(final) + "\n")
        if final.get("output"):
            out.write(as_yaml(final["output"]))
    return 0 if succeeded else 1


class _Silent:
    """A view that draws nothing (``submit --wait`` off a terminal)."""

    def event(self, node: Any, event: dict[str, Any]) -> None:
        """Nothing."""

    def ended(self, node: Any, summary: dict[str, Any]) -> None:
        """Nothing."""


def print_json(data: Any, out: IO[str]) -> None:
    """The daemon's JSON, indented as the other ``--json`` outputs are."""
    json.dump(data, out, indent=2)
    out.write("\n")
