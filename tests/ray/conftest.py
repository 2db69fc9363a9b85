"""The Ray tests: one local Ray instance for the session, only inside a network namespace.

Ray's processes listen on every interface, and tests send no traffic beyond loopback, so
these tests run only where the run made a network namespace and says so with
``TROUPE_RAY_NETNS=1`` (``.ci/run``: ``unshare --net sh -c 'ip link set lo up && ...'``);
without ray installed, or outside a namespace, they skip with the reason. Every test module
of this directory is marked ``ray`` (``pytest -m ray`` selects them).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def _namespace_problem() -> str | None:
    if os.environ.get("TROUPE_RAY_NETNS") != "1":
        return ("Ray binds every interface: run the ray tests inside a network namespace "
                "(TROUPE_RAY_NETNS=1, see .ci/run)")
    interfaces = {name for _, name in socket.if_nameindex()}  # this namespace's own
    if interfaces - {"lo"}:
        return f"TROUPE_RAY_NETNS=1 but interfaces besides lo exist: {sorted(interfaces)}"
    return None


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    problem = _namespace_problem()
    try:
        import ray  # noqa: F401
    except ImportError:
        problem = problem or "ray is not installed (pip install -e '.[ray]')"
    for item in items:
        if problem and HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.skip(reason=problem))


def start_local_ray(**kwargs: Any) -> Any:
    import ray

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # the workers import this checkout (not an installed copy) and the tests' actions
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    ray.init(include_dashboard=False, log_to_driver=False, **kwargs)
    return ray


@pytest.fixture
def ray_session(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The session's Ray (``num_cpus=2``), started at the first test that needs it and
    stopped at the end of the session (a node-loss test stops it and the next starts it
    again)."""
    import ray

    if not ray.is_initialized():
        start_local_ray(num_cpus=2)
        request.session.config.add_cleanup(_shutdown)
    yield ray


def _shutdown() -> None:
    import ray

    from actors.remote import disconnect

    disconnect()
    ray.shutdown()
