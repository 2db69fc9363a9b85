"""The reference interpreter alone, on cases whose outcome dsl.md states outright."""

from __future__ import annotations

from tests.reference.interpreter import reference
from tests.reference.model import Cond, Pub, Retry, Task, Trans, Workflow

VARS = (("x", 0), ("y", 0))


def test_orquesta_join_merges_branches_and_the_last_writer_wins() -> None:
    """a -> (b, c) -> j (join all); b publishes x=1 and c x=2, y=2: c arrives last."""
    wf = Workflow("orquesta", (
        Task("a", next=(Trans(do=("b", "c")),)),
        Task("b", next=(Trans(publish=(Pub("x", "const", 1),), do=("j",)),)),
        Task("c", next=(Trans(publish=(Pub("x", "const", 2), Pub("y", "const", 2)),
                              do=("j",)),)),
        Task("j", join="all")), vars=VARS, output=("x", "y"))
    out = reference(wf)
    assert (out.status, out.output) == ("succeeded", {"x": 2, "y": 2})
    assert sorted(r[0] for r in out.runs) == ["a", "b", "c", "j"]


def test_orquesta_unhandled_failure_fails_fast_and_noop_remediates() -> None:
    """A failure with only ``continue`` fails the workflow; ``noop`` on failed() handles it."""
    fails = frozenset({("a", None, 1)})
    bare = Workflow("orquesta", (Task("a", next=(Trans(do=("b",), when=Cond("ok")),)),
                                 Task("b")), fails=fails)
    assert reference(bare).status == "failed"
    assert [r[0] for r in reference(bare).runs] == ["a"]
    handled = Workflow("orquesta", (Task("a", next=(Trans(when=Cond("fail"), do=("noop",)),)),),
                       fails=fails)
    assert reference(handled).status == "succeeded"


def test_orquesta_split_runs_once_per_arrival_and_a_loop_counts() -> None:
    """Two transitions into ``b`` run it twice; a self-loop on ``x < 2`` runs three times,
    and its exit (``continue``) carries its context to the output."""
    wf = Workflow("orquesta", (
        Task("a", next=(Trans(do=("b",)), Trans(do=("b",)))),
        Task("b"),
        Task("l", next=(Trans(when=Cond("lt", var="x", k=2),
                              publish=(Pub("x", "incr", var="x"),), do=("l",)),
                        Trans(when=Cond("ge", var="x", k=2)))),  # exits through continue
        Task("s", next=(Trans(do=("l",)),))), vars=VARS, output=("x",))
    out = reference(wf)
    assert [r[0] for r in out.runs].count("b") == 2
    assert [r[0] for r in out.runs].count("l") == 3
    assert out.output == {"x": 2}


def test_retry_counts_attempts_and_items_stop_after_a_failure() -> None:
    """count=2 gives 3 attempts; an item failing at concurrency 1 leaves later items unrun."""
    fails = frozenset({("a", None, 1), ("a", None, 2), ("w", 1, 1)})
    wf = Workflow("orquesta", (Task("a", retry=Retry(count=2)),
                               Task("w", items=4, concurrency=1,
                                    next=(Trans(when=Cond("fail"), do=("noop",)),))),
                  fails=fails)
    out = reference(wf)
    assert ("a", "succeeded", 3) in out.runs
    assert ("w", "failed", None) in out.runs
    assert sorted(e for e in out.errors if e[0] == "w") == [("w", 1, "action_failed")]


def test_attune_drains_runs_each_task_once_and_outputs_only_on_success() -> None:
    """A failure does not stop the other branch; the failed workflow has no output."""
    fails = frozenset({("a", None, 1)})
    wf = Workflow("attune", (Task("a"), Task("b", next=(Trans(do=("c",)),)),
                             Task("c", next=(Trans(do=("c",)),))),
                  vars=VARS, output=("x",), fails=fails)
    out = reference(wf)
    assert out.status == "failed" and out.output == {}
    assert sorted(r[0] for r in out.runs) == ["a", "b", "c"]
