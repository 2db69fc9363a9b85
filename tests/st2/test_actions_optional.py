"""``troupe validate --actions-optional`` and ``"actions_optional"`` on POST /api/v1/validate:
an unknown action is the warning T404 (the file validates); ``troupe run`` still refuses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.cli import main
from runtime.spec import validate

pytestmark = pytest.mark.timeout(60)

PACKED = """\
version: 1.0
tasks:
  create:
    action: examples.python-mock-create-vm
    input: {hostname: web1}
  echo:
    action: core.echo message=hi
"""


def _cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_the_library_reports_a_warning_only_when_asked() -> None:
    known = {"core.echo"}.__contains__
    defn, strict = validate(PACKED, action_exists=known)
    assert defn is None
    assert [(d.code, d.severity, d.task, d.line) for d in strict] == [
        ("T401", "error", "create", 4)]
    defn, lenient = validate(PACKED, action_exists=known, actions_optional=True)
    assert defn is not None
    assert [(d.code, d.severity, d.task, d.line, d.path) for d in lenient] == [
        ("T404", "warning", "create", 4, "tasks.create.action")]


def test_cli_validate_warns_and_run_still_refuses(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "packed.yaml"
    path.write_text(PACKED, encoding="utf-8")
    code, _ = _cli("validate", str(path), capsys=capsys)
    assert code == 2
    code, out = _cli("validate", "--actions-optional", str(path), capsys=capsys)
    assert code == 0
    assert "T404" in out and f"{path}: ok" in out
    code, out = _cli("validate", "--json", "--actions-optional", str(path), capsys=capsys)
    report = json.loads(out)
    assert code == 0 and report["valid"] is True
    assert [(d["code"], d["severity"]) for d in report["diagnostics"]] == [
        ("T404", "warning")]
    code = main(["run", "--json", "--progress", "never", str(path)])
    printed = json.loads(capsys.readouterr().out)
    assert code == 2
    assert [d["code"] for d in printed["error"]["diagnostics"]] == ["T401"]
