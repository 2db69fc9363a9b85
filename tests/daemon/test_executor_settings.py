"""The daemon's executor settings: ``--executor``/``--ray-address``, ``TROUPE_EXECUTOR``/
``TROUPE_RAY_ADDRESS`` and the config file's ``executor``/``ray_address``."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.daemon.settings import load_settings
from runtime.errors import ConfigError
from runtime.executors import LOCAL, ExecutorChoice

from .test_settings import _flags

pytestmark = pytest.mark.timeout(30)


def test_the_executor_is_local_unless_asked() -> None:
    assert load_settings(_flags(), {}).executor == LOCAL


def test_flags_beat_the_environment_which_beats_the_file(tmp_path: Path) -> None:
    config = tmp_path / "troupe.toml"
    config.write_text('executor = "ray"\nray_address = "file:6379"\n', encoding="utf-8")
    from_file = load_settings(_flags(config=str(config)), {})
    assert from_file.executor == ExecutorChoice(kind="ray", address="file:6379")
    env = {"TROUPE_RAY_ADDRESS": "env:6379"}
    assert load_settings(_flags(config=str(config)), env).executor.address == "env:6379"
    flagged = load_settings(_flags(config=str(config), executor="ray://head:10001",
                                   ray_address="ray://head:10001"), env)
    assert flagged.executor == ExecutorChoice(kind="ray", address="ray://head:10001")


@pytest.mark.parametrize(("flags", "key"), [
    ({"executor": "celery"}, "executor"),
    ({"ray_address": "head:6379"}, "ray_address"),  # an address without the ray executor
])
def test_a_wrong_executor_setting_names_its_key(flags: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_flags(**flags), {})
    assert caught.value.key == key


def test_the_ray_result_threshold_is_off_unless_set(tmp_path: Path) -> None:
    assert load_settings(_flags(), {}).ray_result_threshold is None
    config = tmp_path / "troupe.toml"
    config.write_text("ray_result_threshold = 4096\n", encoding="utf-8")
    assert load_settings(_flags(config=str(config)), {}).ray_result_threshold == 4096
    env = {"TROUPE_RAY_RESULT_THRESHOLD": "1MiB"}
    assert load_settings(_flags(config=str(config)), env).ray_result_threshold == 2**20
    flagged = load_settings(_flags(ray_result_threshold="10kB"), env)
    assert flagged.ray_result_threshold == 10_000


@pytest.mark.parametrize("value", ["big", "-1", True])
def test_a_wrong_ray_result_threshold_names_its_key(tmp_path: Path, value: object) -> None:
    config = tmp_path / "troupe.toml"
    config.write_text(f"ray_result_threshold = {value!r}\n".replace("True", "true"),
                      encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(_flags(config=str(config)), {})
    assert (caught.value.key, caught.value.source) == ("ray_result_threshold", str(config))
