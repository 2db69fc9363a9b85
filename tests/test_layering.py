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
SHELL_MODULES = {"runtime/api.py", "runtime/cli.py", "runtime/handle.py", "runtime/launch.py",
                 "runtime/engine.py"}
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


RAY_MODULES = {"actors/ray_executor.py", "actors/ray_kept.py"}
"""The only modules that import ray (the optional extra; :mod:`actors.remote` loads it;
``ray_kept`` only through ``ray_executor``)."""


def test_only_the_ray_executor_imports_ray() -> None:
    """The core never imports ray (nor does any other module of the shell): it is an
    optional extra, loaded only when an engine or a task asks for the ray executor."""
    offenders = [path.relative_to(ROOT).as_posix() for path in _sources("runtime", "actors")
                 if "ray" in _imports(path)
                 and path.relative_to(ROOT).as_posix() not in RAY_MODULES]
    assert offenders == []


def test_running_a_workflow_locally_does_not_load_ray() -> None:
    """A workflow on the default (local) executor runs without ray being imported."""
    code = (
        "import sys; from runtime.api import start_workflow;"
        "wf = 'version: 1.0\\ntasks:\\n  t:\\n    action: core.echo message=hi\\n';"
        "assert start_workflow(wf).wait(30).status.value == 'succeeded';"
        "print('ray' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _import_graph(*packages: str) -> dict[str, set[str]]:
    """Module -> the project modules it imports (at the top or inside functions).

    ``from a.b import c`` counts as importing ``a.b.c`` when that is a module, else ``a.b``;
    relative imports are resolved. The implicit import of a module's parent package is not
    counted (it is how Python loads any submodule, not a dependency the code chose).
    """
    paths = _sources(*packages)
    modules = {_module_name(p): p for p in paths}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in modules else base)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_runtime_and_actors_have_no_import_cycles() -> None:
    """Modules import one way only, lazy (function-level) imports included."""
    assert _cycles(_import_graph("runtime", "actors")) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def test_modules_stay_small() -> None:
    """No module of the engine holds more than ~400 lines."""
    sizes = {p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in _sources("runtime", "actors")}
    assert {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_long_functions_say_why_in_their_docstring() -> None:
    """A function over ~60 lines says why it is long (``Long because ...``) or is split."""
    offenders = []
    for path in _sources("runtime", "actors"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            reason = "long because" in (ast.get_docstring(node) or "").lower()
            if length > MAX_FUNCTION_LINES and not reason:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} "
                                 f"({length} lines)")
    assert offenders == []
