"""Secrets of any JSON type stay masked wherever they are printed or traced: `troupe run`
(text and --json), the trace, a sub-workflow's inputs; a secret whose default is a template
and a transformed secret (`| upper`) too (runtime.masking)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]

PARTS = ("alice-login-7781", "s3cr3t-pass-9931", "tok-list-one-4411", "tok-list-two-5522")


def troupe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=100, check=False)


def _leaks(text: str, secrets: tuple[str, ...]) -> list[str]:
    return [s for s in secrets for form in (s, s.upper()) if form in text]


@pytest.fixture
def workflow(tmp_path: Path) -> Path:
    (tmp_path / "child.yaml").write_text("""
version: 1.0
input: [given]
tasks:
  show:
    action: core.echo message="child sees {{ ctx('given') }}"
    next: [{publish: [{seen: '{{ result() }}'}]}]
output: [{seen: '{{ ctx("seen") }}'}]
""")
    wf = tmp_path / "secret.yaml"
    wf.write_text("""
version: 1.0
input:
  - creds: {required: true, secret: true}
  - tokens: {required: true, secret: true}
  - derived:
      secret: true
      default: 'derived-{{ ctx("creds").user }}-x9z8'
tasks:
  use:
    action: core.echo message="{{ ctx('creds') }} {{ ctx('tokens') }} {{ ctx('derived') }}"
    next:
      - publish:
          - whole: '{{ ctx("creds") }}'
          - loud: '{{ ctx("creds").password | upper }}'
          - listed: '{{ ctx("tokens") }}'
          - derived_seen: '{{ ctx("derived") }}'
        do: sub
  sub:
    action: child.yaml
    input: {given: '{{ ctx("creds").password }}'}
    next: [{publish: [{from_child: '{{ result() }}'}]}]
output:
  - whole: '{{ ctx("whole") }}'
  - loud: '{{ ctx("loud") }}'
  - listed: '{{ ctx("listed") }}'
  - derived: '{{ ctx("derived_seen") }}'
  - from_child: '{{ ctx("from_child") }}'
""")
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"creds": {"user": PARTS[0], "password": PARTS[1]},
                                  "tokens": [PARTS[2], PARTS[3]]}))
    return wf


def test_dict_list_derived_and_transformed_secrets_are_masked(workflow: Path) -> None:
    params = str(workflow.parent / "params.json")
    trace = workflow.parent / "run.jsonl"
    derived = f"derived-{PARTS[0]}-x9z8"
    secrets = (*PARTS, derived)
    text = troupe("run", str(workflow), "--params-file", params, "--trace", str(trace),
                  "--trace-level", "debug")
    assert text.returncode == 0, text.stderr
    assert _leaks(text.stdout + text.stderr, secrets) == []
    assert _leaks(trace.read_text(), secrets) == []
    as_json = troupe("run", str(workflow), "--params-file", params, "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert _leaks(as_json.stdout + as_json.stderr, secrets) == []
    output = json.loads(as_json.stdout)["output"]
    assert output["loud"] == "***"
    assert output["derived"] == "***"
    assert "***" in json.dumps(output["from_child"])
