"""Where the conformance suite is found: an explicit directory only, else the team's copy,
else the snapshot vendored with the tests (so a clean clone anywhere runs it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance.runner import VENDORED_DIR, locate_suite

pytestmark = pytest.mark.timeout(10)


def test_an_explicit_directory_is_the_only_place_looked_at(tmp_path: Path) -> None:
    location = locate_suite({"TROUPE_CONFORMANCE_DIR": str(tmp_path)})
    assert location.orquesta is None
    assert all(str(path).startswith(str(tmp_path)) for path in location.looked)


def test_without_one_the_vendored_snapshot_is_the_last_resort() -> None:
    location = locate_suite({})
    assert location.orquesta is not None
    assert location.looked[-2:] == (VENDORED_DIR / "orquesta" / "index.yaml",
                                    VENDORED_DIR / "index.yaml")
    assert (VENDORED_DIR / "orquesta" / "LICENSE").is_file()
