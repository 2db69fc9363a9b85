"""The bad-input corpus: every file gets a located error (or a clear run-time failure).

``expect.yaml`` says, for each file in ``workflows/`` and ``params/``, the code and the
location (line, column, task) it must get, or the run-time error kind. ``troupe validate``
and ``troupe run`` run in process through :func:`runtime.cli.main` with captured output (and
a few as real subprocesses); their ``--json`` output is parsed strictly and the assertions
are on its fields, never on message text. No traceback ever reaches the user, nothing hangs.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from runtime.cli import main
from runtime.spec import validate

HERE = Path(__file__).parent
EXPECT = yaml.safe_load((HERE / "expect.yaml").read_text(encoding="utf-8"))
ROOT = HERE.parent.parent


def _strict_json(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def _cli(*argv: str) -> tuple[int, Any, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    assert "Traceback" not in err.getvalue() + out.getvalue()
    return code, _strict_json(out.getvalue()), err.getvalue()


def _located(diagnostics: list[dict[str, Any]], want: dict[str, Any], file: str,
             severity: str = "error") -> None:
    found = [(d["code"], d["line"], d["column"], d["task"], d["file"]) for d in diagnostics
             if d["severity"] == severity]
    code = want["code"] if severity == "error" else want[severity]
    assert (code, want["line"], want["column"], want["task"], file) in found, found


def test_the_corpus_is_complete() -> None:
    """Every file has an expectation and every expectation a file; at least 80 files."""
    workflows = {p.name for p in (HERE / "workflows").iterdir()}
    params = {p.name for p in (HERE / "params").iterdir()}
    assert workflows == set(EXPECT["workflows"])
    assert params == set(EXPECT["params"])
    assert len(workflows) + len(params) >= 80


@pytest.mark.parametrize("name", sorted(EXPECT["workflows"]))
def test_workflow(name: str) -> None:
    """validate and run give the expected located error, or the run fails as expected, or
    validate accepts the file with the expected located warning."""
    want = EXPECT["workflows"][name]
    path = str(HERE / "workflows" / name)
    code, report, _ = _cli("validate", "--json", path)
    if "warning" in want:
        assert code == 0 and report["valid"] is True
        _located(report["diagnostics"], want, path, "warning")
        return
    if "run" not in want:
        assert code == 2 and report["valid"] is False
        _located(report["diagnostics"], want, path)
        code, result, err = _cli("run", "--json", "--progress", "never", path)
        assert code == 2 and result["status"] == "invalid"
        assert result["error"]["kind"] == "invalid_workflow"
        _located(result["error"]["diagnostics"], want, path)
        line = f"{path}:{want['line']}:{want['column']}: error {want['code']}"
        assert line in err  # the human form is located too
        return
    assert code == 0 and report["valid"] is True
    code, result, _ = _cli("run", "--json", "--progress", "never", path)
    assert code == want["run"] and result["status"] == "failed"
    assert (want["kind"], want["task"]) in [(e["kind"], e["task"]) for e in result["errors"]]


@pytest.mark.parametrize("name", sorted(EXPECT["params"]))
def test_params_file(name: str) -> None:
    """A bad parameters file is refused, located, before anything runs (exit 2)."""
    want = EXPECT["params"][name]
    path = str(HERE / "params" / name)
    target = str(HERE / "targets" / f"{want['target']}.yaml")
    code, result, _ = _cli("run", "--json", "--progress", "never", target, "--params-file", path)
    assert code == 2 and result["status"] == "invalid"
    error = result["error"]
    if "code" in want:
        assert error["kind"] == "invalid_workflow"
        _located(error["diagnostics"], {**want, "task": None}, path)
        return
    assert error["kind"] == "bad_parameters"
    if "parameter" in want:
        assert (want["parameter"], want["validator"]) in [
            (p["parameter"], p["validator"]) for p in error["problems"]]
    else:
        assert error["missing"] == want["missing"] and error["unknown"] == want["unknown"]


@pytest.mark.parametrize("argv", [
    ["validate", "--json", "workflows/y_billion_laughs_vars.yaml"],
    ["run", "--json", "workflows/y_latin1.yaml"],
    ["run", "--json", "workflows/o_int_5000_digits.yaml"],
    ["run", "--json", "workflows/r_result_itself.yaml"],
    ["run", "--json", "targets/orquesta_params.yaml", "--params-file",
     "params/p_billion_laughs.yaml"],
    ["run", "targets/orquesta_params.yaml", "--params-file", "params/p_nesting_200.yaml"],
])
def test_real_processes(argv: list[str]) -> None:
    """The console entry point, as a user runs it: no traceback, a clean exit, valid JSON."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "runtime.cli", *argv], cwd=HERE, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in done.stderr + done.stdout
    assert done.returncode in (1, 2)
    if "--json" in argv:
        _strict_json(done.stdout)


def test_ten_megabyte_document(tmp_path: Path) -> None:
    """A 10 MB document loads, and its one error (at the end) is located."""
    item = '    - "' + "x" * 90 + '"\n'
    count = 10_000_000 // len(item)
    text = ("version: 1.0\ntasks:\n  a:\n    action: core.noop\n    input:\n      data:\n"
            + item.replace("    -", "        -") * count + "    actoin: typo\n")
    path = tmp_path / "big.yaml"
    path.write_text(text, encoding="utf-8")
    assert path.stat().st_size > 10_000_000
    _, diagnostics = validate(path, path=str(path))
    assert [(d.code, d.line, d.column, d.task) for d in diagnostics] == [
        ("T102", count + 7, 5, "a")]


def _chain(count: int) -> str:
    lines = ["version: 1.0", "tasks:"]
    for i in range(count):
        lines.append(f"  t{i}:\n    action: core.noop")
        if i < count - 1:
            lines.append(f"    next:\n      - do: t{i + 1}")
    return "\n".join(lines) + "\n"


def _ring(count: int) -> str:
    """An entry task, then a loop of ``count`` unconditional tasks whose one way out is a
    conditional transition of its last task: every other task escapes only through it."""
    lines = ["version: 1.0", "tasks:", "  start:\n    action: core.noop\n    next: [{do: t1}]"]
    for i in range(count):
        way_out = ", {when: '{{ failed() }}', do: out}" if i == 0 else ""
        lines.append(f"  t{i}:\n    action: core.noop\n"
                     f"    next: [{{do: t{(i + 1) % count}}}{way_out}]")
    lines.append("  out:\n    action: core.noop")
    return "\n".join(lines) + "\n"


def _cpu_to_validate(text: str) -> float:
    start = time.process_time()
    defn, diagnostics = validate(text)
    assert defn is not None and not diagnostics
    return time.process_time() - start


@pytest.mark.parametrize("shape", [_chain, _ring], ids=["chain", "loop-with-one-exit"])
def test_validation_is_near_linear(shape: Callable[[int], str]) -> None:
    """10,000 tasks validate in seconds, and 4x the tasks costs far less than 16x (a loop
    with one exit too: the endless-loop check T209 frees its tasks one after another)."""
    small = min(_cpu_to_validate(shape(2_500)) for _ in range(2))
    large = _cpu_to_validate(shape(10_000))
    assert large < 20
    assert large < 10 * max(small, 0.05)


def test_a_set_result_becomes_a_sorted_list(tmp_path: Path) -> None:
    """Results JSON can hold once converted are converted at the boundary."""
    path = tmp_path / "set.yaml"
    path.write_text("version: 1.0\ntasks:\n  a:\n    action: python:tests.bad_inputs."
                    "odd_results:a_set\n    next:\n      - publish: {got: '{{ result() }}'}\n"
                    "output:\n  - got: '{{ ctx().got }}'\n", encoding="utf-8")
    code, result, _ = _cli("run", "--json", "--progress", "never", str(path))
    assert code == 0 and result["output"] == {"got": [1, 2, 3]}


def test_json_output_is_valid_with_nan(tmp_path: Path) -> None:
    """A NaN in the output (a parameter's, here) is printed as valid JSON (``"NaN"``)."""
    path = tmp_path / "nan.yaml"
    path.write_text("version: 1.0\ninput:\n  - x\ntasks:\n  a:\n    action: core.noop\n"
                    "output:\n  - x: \"{{ ctx().x }}\"\n", encoding="utf-8")
    code, result, _ = _cli("run", "--json", "--progress", "never", str(path), "-p", "x=.nan")
    assert code == 0 and result["output"] == {"x": "NaN"}
