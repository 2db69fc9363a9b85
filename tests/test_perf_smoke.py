"""Smoke test of the benchmarks: ``python perf/run.py --quick`` runs every benchmark at small
sizes, and every workflow it starts must succeed. No timing is asserted (CI machines are
noisy); the numbers live in perf/README.md, produced by the full ``python perf/run.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = {"context", "with_items", "languages", "orquesta", "latency", "concurrency", "floor",
            "memory", "trace"}


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_quick_benchmarks_all_succeed(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "perf" / "run.py"), "--quick", "--out", str(out)],
        capture_output=True, text=True, timeout=280, cwd=ROOT, check=False,
    )
    assert out.exists(), f"perf/run.py --quick wrote no results:\n{proc.stderr[-4000:]}"
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["failures"] == [], "\n".join(results["failures"])
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert set(results["sections"]) == SECTIONS
    orquesta = results["sections"]["orquesta"]
    assert orquesta.get("skipped") or all(r["failures"] == [] for r in orquesta["rows"])
    assert results["cells"] > 0
