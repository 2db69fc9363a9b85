"""The engine's standing invariants, checked on the source tree."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parent.parent
SHELL_MODULES = {"runtime/api.py", "runtime/cli.py"}
"""The only runtime modules allowed to reach the actor shell."""


def _sources(*dirs: str) -> list[Path]:
    return sorted(p for d in dirs for p in (ROOT / d).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_pure_core_imports_neither_pykka_nor_threading_nor_actors() -> None:
    """No module of the pure core imports pykka, threading or the actor package."""
    offenders = []
    for path in _sources("runtime"):
        rel = path.relative_to(ROOT).as_posix()
        if rel in SHELL_MODULES:
            continue
        bad = _imports(path) & {"pykka", "threading", "actors"}
        if bad:
            offenders.append(f"{rel}: {sorted(bad)}")
    assert offenders == []


def test_importing_the_core_does_not_load_pykka() -> None:
    """Importing the core (loader, machine, driver) leaves pykka and actors unloaded."""
    code = (
        "import sys, runtime, runtime.machine, runtime.driver, runtime.spec, runtime.actions;"
        "print(sorted(m for m in ('pykka', 'actors') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


BANNED = re.compile(
    r"threading\.(Lock|RLock|Condition|Semaphore|BoundedSemaphore)\b"
    r"|\b(R?Lock|Condition|Semaphore|BoundedSemaphore)\(\)"
    r"|deepcopy"
)
SLEEP_LOOP = re.compile(r"while\b[^\n]*:\s*\n(?:[^\n]*\n){0,6}?[^\n]*\btime\.sleep\(")


def test_engine_holds_no_mutex_no_deepcopy_and_no_sleep_polling() -> None:
    """actors/ and runtime/ use no mutexes, no deepcopy and no sleep-and-check loops."""
    offenders = []
    for path in _sources("actors", "runtime"):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT).as_posix()
        offenders.extend(f"{rel}: {m.group(0)}" for m in BANNED.finditer(text))
        offenders.extend(f"{rel}: sleep loop" for _ in SLEEP_LOOP.finditer(text))
        if "time.sleep(" in text:
            offenders.append(f"{rel}: time.sleep")
    assert offenders == []
