"""Telling a workflow path from YAML text: one rule, and a missing file is a missing file."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime import start_workflow
from runtime.errors import FileProblem, WorkflowFileError
from runtime.spec import load_workflow, validate
from runtime.spec.source import SourceKind, classify

pytestmark = pytest.mark.timeout(30)

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


@pytest.mark.parametrize(("source", "kind"), [
    ("nope", SourceKind.PATH),
    ("examples/hello", SourceKind.PATH),
    ("examples/hello.yaml", SourceKind.PATH),
    (Path("x.txt"), SourceKind.PATH),
    ("tasks:\n  t: {action: core.noop}\n", SourceKind.TEXT),
    ("{tasks: {t: {action: core.noop}}}", SourceKind.TEXT),
    ("tasks: {t: {action: core.noop}}", SourceKind.TEXT),
    ({"tasks": {}}, SourceKind.MAPPING),
])
def test_classify_has_one_rule(source: object, kind: SourceKind) -> None:
    """PathLike and one-line non-mapping strings are paths; line breaks or mappings are text."""
    assert classify(source).kind is kind


@pytest.mark.parametrize("name", ["nope", "hello"])
def test_a_missing_path_raises_a_file_error_naming_it(name: str) -> None:
    """load_workflow and start_workflow say the file is missing instead of parsing its name."""
    missing = str(EXAMPLES / name)
    with pytest.raises(WorkflowFileError) as loaded:
        load_workflow(missing)
    assert (loaded.value.path, loaded.value.problem) == (missing, FileProblem.MISSING)
    with pytest.raises(WorkflowFileError) as started:
        start_workflow(missing)
    assert (started.value.path, started.value.problem) == (missing, FileProblem.MISSING)


def test_a_directory_is_a_directory() -> None:
    """A directory given as the workflow is reported as one."""
    with pytest.raises(WorkflowFileError) as caught:
        load_workflow(str(EXAMPLES))
    assert caught.value.problem is FileProblem.DIRECTORY
    defn, diagnostics = validate(EXAMPLES)
    assert defn is None
    assert [(d.code, d.file) for d in diagnostics] == [("T100", str(EXAMPLES))]


def test_a_file_without_extension_is_read(tmp_path: Path) -> None:
    """A path is a path whatever its extension."""
    flow = tmp_path / "flow"
    flow.write_text("tasks:\n  t:\n    action: core.noop\n")
    defn = load_workflow(str(flow))
    assert defn.file == str(flow)
    assert defn.task_order == ("t",)
