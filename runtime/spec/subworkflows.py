"""Sub-workflows of an execution, loaded and validated when the workflow is loaded.

An action reference names a sub-workflow when the caller registered it under that name (the
``known`` mapping: ``start_workflow(actions={"deploy": defn})``, ``workflows=``) or when it is
a workflow file (``*.yaml``/``*.yml``), relative to the directory of the workflow that refers
to it. :func:`resolve_subworkflows` follows every such reference of a definition, and of the
definitions it finds, recursively, and returns a :class:`SubWorkflows` table the supervisor
only looks up: nothing reads YAML while an execution runs, and a missing or invalid file is
a :class:`~runtime.errors.ValidationFailed` at start, naming the task that refers to it.

The table is keyed by ``(directory of the referring workflow, reference)``: ``child.yaml``
in ``a/parent.yaml`` and ``child.yaml`` in ``a/b/child.yaml`` are two files. Each entry
carries its own directory (:attr:`SubWorkflow.base_dir`), which a child execution uses to
look up its own references. Files are cached by resolved path, so a workflow calling itself,
or two calling each other, are loaded once each and the resolution terminates.

Misuse: only constant references are resolved (an ``action`` expression rendering to a file
name at run time is not a sub-workflow: the registry reports it unknown); a definition is
loaded once here and shared by every execution of it, never reloaded by an actor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyrsistent import PMap, pmap

from runtime.errors import Diagnostic, ValidationFailed

from .model import WorkflowDef
from .source import is_workflow_file

__all__ = ["SubWorkflow", "SubWorkflows", "is_workflow_file", "resolve_subworkflows"]

@dataclass(frozen=True, slots=True, kw_only=True)
class SubWorkflow:
    """A loaded sub-workflow and the directory its own references resolve from."""

    defn: WorkflowDef
    base_dir: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class SubWorkflows:
    """Every sub-workflow an execution tree may start, by who refers to it and how."""

    base_dir: Path
    """Where the root workflow's own references resolve from."""
    named: PMap[str, SubWorkflow] = pmap()
    """Reference -> :class:`SubWorkflow` registered by the caller (valid at every level)."""
    files: PMap[tuple[Path, str], SubWorkflow] = pmap()
    """(directory of the referring workflow, reference) -> :class:`SubWorkflow`."""

    def find(self, base_dir: Path, ref: str) -> SubWorkflow | None:
        """The sub-workflow ``ref`` names for a workflow in ``base_dir``, or None (an action)."""
        found: SubWorkflow | None = self.named.get(ref)
        if found is None and is_workflow_file(ref):
            found = self.files.get((base_dir, ref))
        return found


def _dir_of(defn: WorkflowDef, default: Path) -> Path:
    return Path(defn.file).resolve().parent if defn.file else default


def resolve_subworkflows(
    defn: WorkflowDef,
    base_dir: Path | None,
    known: Mapping[str, WorkflowDef] | None = None,
    *,
    action_exists: Callable[[str], bool] | None = None,
    action_inputs: Callable[[str], Any] | None = None,
) -> SubWorkflows:
    """Load every sub-workflow ``defn`` can reach; raise :class:`ValidationFailed` if one is
    missing or invalid (with a diagnostic at the referring task, then the file's own).

    ``base_dir`` is where ``defn``'s relative references resolve (default: the current
    directory); ``action_exists`` checks the action references of the files loaded here, as
    the caller checked ``defn``'s (and ``action_inputs`` their tasks' input names).
    """
    from runtime.spec import validate

    here = (base_dir or Path.cwd()).resolve()
    named = {ref: SubWorkflow(defn=sub, base_dir=_dir_of(sub, here))
             for ref, sub in (known or {}).items()}
    loaded: dict[Path, SubWorkflow | None] = {}
    if defn.file:
        loaded[Path(defn.file).resolve()] = SubWorkflow(defn=defn, base_dir=here)
    files: dict[tuple[Path, str], SubWorkflow] = {}
    problems: list[Diagnostic] = []
    pending = [(defn, here), *((sub.defn, sub.base_dir) for sub in named.values())]
    while pending:
        current, directory = pending.pop()
        for name in current.task_order:
            ref = current.task(name).action_ref
            if ref is None or ref in named or not is_workflow_file(ref):
                continue
            path = (directory / ref).resolve()
            if path not in loaded:
                sub_defn, diagnostics = validate(path, action_exists=action_exists,
                                             action_inputs=action_inputs)
                loaded[path] = None if sub_defn is None else SubWorkflow(
                    defn=sub_defn, base_dir=path.parent)
                if sub_defn is None:
                    problems.append(_located(current, name, ref, path))
                    if path.is_file():  # else "cannot read" says less than "not found"
                        problems.extend(diagnostics)
                    continue
                pending.append((sub_defn, path.parent))
            found = loaded[path]
            if found is None:
                problems.append(_located(current, name, ref, path))
            else:
                files[(directory, ref)] = found
    if problems:
        raise ValidationFailed(problems)
    return SubWorkflows(base_dir=here, named=pmap(named), files=pmap(files))


def _located(referrer: WorkflowDef, task: str, ref: str, path: Path) -> Diagnostic:
    """The diagnostic at the task whose action names a missing or invalid file."""
    what = "is invalid" if path.is_file() else "not found"
    return Diagnostic(code="T401", message=f"sub-workflow {ref!r} {what} ({path})",
                      file=referrer.file, line=referrer.task(task).line, task=task,
                      path=f"tasks.{task}.action")
