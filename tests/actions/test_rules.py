"""Checks that runtime/actions keeps the project's hard rules and documents itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import runtime.actions

pytestmark = pytest.mark.timeout(30)

PACKAGE = Path(runtime.actions.__file__).parent
SOURCES = sorted(PACKAGE.glob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_banned_constructs(path: Path) -> None:
    """No threading, pykka, deepcopy or sleep in the actions package."""
    text = path.read_text()
    for banned in ("import threading", "pykka", "deepcopy", "time.sleep", "print("):
        assert banned not in text, banned


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_module_docstring_and_future_annotations(path: Path) -> None:
    """Every module has a docstring that says how it is misused, and postponed annotations."""
    tree = ast.parse(path.read_text())
    doc = ast.get_docstring(tree)
    assert doc
    assert "Misuse:" in doc
    assert any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )


def _isort_key(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then CamelCase, then the rest, each alphabetically."""
    if name.isupper():
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)


def test_public_names_are_sorted_and_exported() -> None:
    """__all__ is sorted the way ruff (RUF022) sorts it and every name in it exists."""
    names = runtime.actions.__all__
    assert names == sorted(names, key=_isort_key)
    for name in names:
        assert hasattr(runtime.actions, name)
