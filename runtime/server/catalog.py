"""The workflows directory: names confined to it, and each file's validation status.

``{"workflow": "deploy"}`` names ``deploy.yaml`` (or ``deploy.yml``) in the directory the
daemon was given. A name is letters, digits, ``_``, ``-`` and ``.`` (not first), so it holds
no ``/``, no ``..`` and no absolute path; the file it names must resolve (symlinks followed)
inside the directory. :meth:`Catalog.reload` validates every file of the directory, for
``GET /api/v1/workflows`` (SIGHUP reloads it); starting an execution reads its file then.

Misuse: never open a path built from a request without :meth:`Catalog.resolve`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runtime.spec import validation_report
from runtime.spec.input_checks import ActionInputs

from .errors import ApiError

__all__ = ["NAME", "Catalog", "looks_like_name"]

NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}")
SUFFIXES = (".yaml", ".yml")


def looks_like_name(text: str) -> bool:
    """Whether a ``workflow`` string is a name (else it is YAML text)."""
    return NAME.fullmatch(text) is not None


class Catalog:
    """The workflows of one directory."""

    def __init__(self, directory: Path | None,
                 action_exists: Callable[[str], bool] | None = None,
                 action_inputs: ActionInputs | None = None) -> None:
        self.directory = directory.resolve() if directory is not None else None
        self.action_exists = action_exists
        self.action_inputs = action_inputs
        self.reports: tuple[dict[str, Any], ...] = ()

    def resolve(self, name: str) -> Path:
        """The file ``name`` names (400 ``unknown_workflow`` if there is none)."""
        if self.directory is None:
            raise ApiError(400, "unknown_workflow", "no workflows directory: send the "
                           "workflow's YAML text", workflow=name)
        if not looks_like_name(name) or ".." in name:
            raise ApiError(400, "bad_workflow_name", "a workflow name is letters, digits, "
                           "'_', '-' and '.'", workflow=name)
        stem = name[:-len(name.rsplit(".", 1)[-1]) - 1] if name.endswith(SUFFIXES) else name
        for suffix in SUFFIXES:
            candidate = (self.directory / f"{stem}{suffix}").resolve()
            if candidate.is_relative_to(self.directory) and candidate.is_file():
                return candidate
        raise ApiError(400, "unknown_workflow", f"no workflow {name!r} in the workflows "
                       "directory", workflow=name)

    def reload(self) -> tuple[dict[str, Any], ...]:
        """Validate every workflow file of the directory again; the reports."""
        reports = []
        if self.directory is not None and self.directory.is_dir():
            for path in sorted(self.directory.iterdir()):
                if path.suffix not in SUFFIXES or not looks_like_name(path.name):
                    continue
                inside = path.resolve().is_relative_to(self.directory)
                if not inside or not path.is_file():
                    continue
                report = validation_report(path, path=path.name,
                                           action_exists=self.action_exists,
                                           action_inputs=self.action_inputs)
                reports.append({"name": path.stem, **report})
        self.reports = tuple(reports)
        return self.reports
