"""Executors: where a task's action attempts run, and what crosses to them and back.

An attempt goes through an executor. The default, ``local``, is the process's own workers
(threads, and a process group per shell command: :mod:`actors.workers`); ``ray`` sends
attempts to a Ray cluster (the optional extra, :mod:`actors.ray_executor`). What crosses
the seam is JSON: an :class:`ActionSpec` out (:func:`build_spec` makes it from a resolved
action and the machine's ``RunAction``), an :class:`ActionOutcome` back (:func:`run_spec`
makes it where the attempt runs). Which executor a task uses is its
:class:`Placement` (``executor:``, ``resources:``, ``runtime_env:`` in both dialects,
:func:`load_placement`) over the engine's default :class:`ExecutorChoice`
(``Engine(executor=...)``, ``troupe daemon --executor``). ``docs/executors.md`` documents
all of it.

Misuse: the core never imports ray (``tests/test_layering.py``); only the actor shell talks
to an executor; never put anything in a spec that JSON cannot hold (a function given in
``actions=`` travels by its import path, or not at all).
"""

from __future__ import annotations

from runtime.executors.building import SpecRefused, build_spec
from runtime.executors.choice import LOCAL, ExecutorChoice, parse_executor, parse_threshold
from runtime.executors.running import run_spec
from runtime.executors.spec import ActionOutcome, ActionSpec, CallSpec
from runtime.spec.placement import EXECUTORS, Placement, Resources, load_placement

__all__ = [
    "EXECUTORS",
    "LOCAL",
    "ActionOutcome",
    "ActionSpec",
    "CallSpec",
    "ExecutorChoice",
    "Placement",
    "Resources",
    "SpecRefused",
    "build_spec",
    "load_placement",
    "parse_executor",
    "parse_threshold",
    "run_spec",
]
