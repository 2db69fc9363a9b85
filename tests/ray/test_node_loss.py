"""Node loss (``ray.cluster_utils.Cluster``, two worker nodes): idempotent items are run
again on the node that is left and the workflow succeeds; a non-idempotent item on the lost
node fails with ``worker_lost``, routed like any failure.

The module stops the session's Ray for its own cluster (the next test starts it again).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.api import start_workflow
from runtime.status import WorkflowStatus

from .conftest import ROOT, _shutdown
from .fifo import Starts

pytestmark = [pytest.mark.ray, pytest.mark.timeout(240)]


@pytest.fixture
def cluster() -> Iterator[Any]:
    import ray
    from ray.cluster_utils import Cluster

    if ray.is_initialized():
        _shutdown()
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    made = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    try:
        ray.init(address=made.address, log_to_driver=False)
        yield made
    finally:
        _shutdown()
        made.shutdown()


def test_a_lost_node_reruns_idempotent_items_and_loses_the_others(
        cluster: Any, tmp_path: Path) -> None:
    doomed = cluster.add_node(num_cpus=3)
    cluster.wait_for_nodes()
    starts = Starts(tmp_path)
    done = tmp_path / "done"
    wf = f"""
version: 1.0
tasks:
  idem:
    with: {{items: "{{{{ range(2) | list }}}}", concurrency: 2}}
    action: python:tests.ray.actions:hold_idempotent
    input: {{marker: "{starts.path}", n: "{{{{ item() }}}}", done: "{done}"}}
    next:
      - publish: [idem: "{{{{ result() }}}}"]
  once:
    action: python:tests.ray.actions:hold
    input: {{marker: "{starts.path}", n: 5}}
    next:
      - when: "{{{{ failed() }}}}"
        publish: [lost: true]
        do: noop
output:
  - idem: "{{{{ ctx('idem') }}}}"
  - lost: "{{{{ ctx('lost') }}}}"
"""
    handle = start_workflow(wf, executor="ray")
    starts.take(3)  # all three run on the doomed node (the head has no CPU)
    done.write_text("", encoding="utf-8")
    cluster.add_node(num_cpus=3)
    cluster.remove_node(doomed, allow_graceful=False)
    result = handle.wait(timeout=180)
    starts.close()
    assert result.status is WorkflowStatus.SUCCEEDED, result.errors
    assert result.output == {"idem": [0, 1], "lost": True}
    (error,) = result.errors
    assert (error.kind, error.task, error.item) == ("worker_lost", "once", None)
    assert error.handled_by is not None
