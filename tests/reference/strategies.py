"""Hypothesis strategies for abstract workflows of both dialects.

Tasks ``t0 .. tN`` form a DAG (transitions go forward only) with joins (``all`` or N),
splits (a non-join task reached by several transitions), with-items (concurrency, batches),
retries (count, ``when``, back-off), failures injected by task, item and attempt,
remediation (transitions on ``failed()`` to tasks, ``noop``, ``fail``), a loop bounded by a
counter (a task that re-targets itself until ``ctx(c) >= K``), publish chains (a publish that
reads a variable published before it), and sub-workflows (a short chain run as the action).

Misuse: the workflows may be refused by the engine's validation (an ambiguous join after
nested splits, a join that can never be satisfied); the test discards those.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.reference.model import Cond, Pub, Retry, Task, Trans, Workflow

NUMS = ("v0", "v1")
RESULTS = ("r0",)
COUNTER = "c"


def _cond(draw: Any, dialect: str) -> Cond | None:
    kinds = ["none", "ok", "fail", "num"] + (["done"] if dialect == "orquesta" else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return None
    if kind == "num":
        return Cond(draw(st.sampled_from(["lt", "ge"])), var=draw(st.sampled_from(NUMS)),
                    k=draw(st.integers(0, 2)))
    return Cond(kind)


def _pubs(draw: Any) -> tuple[Pub, ...]:
    out = []
    for name in draw(st.lists(st.sampled_from(NUMS + RESULTS), max_size=2, unique=True)):
        if name in RESULTS:
            out.append(Pub(name, "result"))
        else:
            kind = draw(st.sampled_from(["const", "incr", "copy"]))
            out.append(Pub(name, kind, value=draw(st.integers(0, 3)),
                           var=draw(st.sampled_from(NUMS))))
    return tuple(out)


def _targets(draw: Any, index: int, count: int, dialect: str) -> tuple[str, ...]:
    later = [f"t{j}" for j in range(index + 1, count)]
    pool = later + (["noop", "fail"] if dialect == "orquesta" else [])
    if not pool:
        return ()
    return tuple(draw(st.lists(st.sampled_from(pool), max_size=2, unique=True)))


def _loop(name: str, exit_to: tuple[str, ...], bound: int) -> tuple[Trans, ...]:
    """A task that runs ``bound`` + 1 times, counting in ``c``, then goes on."""
    return (Trans(when=Cond("lt", var=COUNTER, k=bound), publish=(Pub(COUNTER, "incr",
                                                                       var=COUNTER),),
                  do=(name,)),
            Trans(when=Cond("ge", var=COUNTER, k=bound), do=exit_to))


def _task(draw: Any, index: int, count: int, dialect: str, sub_ok: bool) -> Task:
    name = f"t{index}"
    trans = tuple(Trans(when=_cond(draw, dialect), publish=_pubs(draw),
                        do=_targets(draw, index, count, dialect))
                  for _ in range(draw(st.integers(0, 2))))
    if dialect == "orquesta" and draw(st.integers(0, 7)) == 0:
        trans = _loop(name, _targets(draw, index, count, dialect), draw(st.integers(0, 2)))
    items = draw(st.none() | st.integers(0, 4))
    retry = None
    if draw(st.booleans()):
        when = _cond(draw, dialect) if dialect == "orquesta" else None
        if when is not None and when.kind in ("lt", "ge"):
            when = None
        retry = Retry(count=draw(st.integers(0 if dialect == "orquesta" else 1, 2)), when=when,
                      delay=draw(st.sampled_from([0.0, 0.0, 0.01])),
                      backoff=draw(st.sampled_from(["constant", "linear", "exponential"])))
    sub = None
    if sub_ok and items is None and draw(st.integers(0, 5)) == 0:
        sub = _sub(draw, name, dialect)
    return Task(name, next=trans, items=items, retry=retry, sub=sub,
                concurrency=draw(st.none() | st.integers(1, 3)) if items is not None else None,
                batch=(draw(st.none() | st.integers(1, 2))
                       if items is not None and dialect == "attune" else None))


def _sub(draw: Any, parent: str, dialect: str) -> Workflow:
    """A chain of one or two tasks, named after the calling task."""
    names = [f"{parent}s{i}" for i in range(draw(st.integers(1, 2)))]
    last = (Trans(publish=(Pub("r0", "result"),)),) if draw(st.booleans()) else ()
    tasks = tuple(Task(n, next=(Trans(do=(names[i + 1],)),) if i + 1 < len(names) else last)
                  for i, n in enumerate(names))
    outputs = ("r0",) if draw(st.booleans()) else ()
    return Workflow(dialect, tasks, vars=(("r0", 0),), output=outputs)


@st.composite
def workflows(draw: Any, dialect: str) -> Workflow:
    """One workflow of ``dialect`` with its injected failures."""
    count = draw(st.integers(1, 6))
    tasks = [_task(draw, i, count, dialect, True) for i in range(count)]
    inbound: dict[str, set[str]] = {t.name: set() for t in tasks}
    for t in tasks:
        for tr in t.next:
            for d in tr.do:
                if d in inbound and d != t.name:
                    inbound[d].add(t.name)
    for i, t in enumerate(tasks):
        preds = len(inbound[t.name])
        looping = any(t.name in tr.do for tr in t.next)
        if preds >= 2 and not looping and draw(st.booleans()):
            join: str | int = draw(st.sampled_from(
                (["all"] if dialect == "orquesta" else []) + list(range(1, preds + 1))))
            tasks[i] = Task(t.name, next=t.next, join=join, items=t.items,
                            concurrency=t.concurrency, batch=t.batch, retry=t.retry, sub=t.sub)
    names = [t.name for t in tasks] + [s.name for t in tasks if t.sub for s in t.sub.tasks]
    fails = draw(st.frozensets(st.tuples(st.sampled_from(names), st.none() | st.integers(0, 3),
                                         st.integers(1, 3)), max_size=4))
    variables = tuple((v, 0) for v in NUMS + RESULTS + (COUNTER,))
    return Workflow(dialect, tuple(tasks), vars=variables, output=NUMS + RESULTS + (COUNTER,),
                    fails=fails)
