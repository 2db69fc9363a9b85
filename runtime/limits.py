"""Guards: how much one result, one execution and one template render may take.

The template, run and fan-out guards (the fields after the four size limits) are described
at the end of this docstring.

Every result an action attempt returns and every value a transition publishes is measured
once, when it arrives, as the length of its compact JSON text (:func:`json_size`: what the
journal stores). A :class:`Limits` record says where a warning is given and where the
engine refuses:

- a result over ``result_max_bytes`` fails its attempt (or item) with an error of kind
  ``result_too_large`` naming the task, the item, the size and the limit; the result is
  dropped, never truncated; over ``result_warn_bytes`` it is kept and a ``SizeWarning``
  notice (progress kind ``size_warning``) says so;
- the execution's total (every result kept and every value published, counted when they
  arrive) over ``context_max_bytes`` fails the workflow with ``result_too_large`` naming
  the task whose result or publish passed it; crossing ``context_warn_bytes`` gives one
  warning.

Defaults (:data:`DEFAULT_LIMITS`): warn at 1 MiB per result and 16 MiB per execution, fail
at 16 MiB per result and 256 MiB per execution. Action results are typically a few KB; 1
MiB is a thousand times that and already a result one should not pass around through
expressions (every ``result()`` or ``ctx()`` reader of it, every trace or progress reader,
the journal row); 16 MiB is the document limit StackStorm lives with (MongoDB), so a
workflow written for it fits, and one journal row of that size still commits in tens of
milliseconds. 256 MiB per execution keeps a few runaway executions from taking the host's
memory, and a recovery's replay of one execution to seconds. A limit of 0 turns that guard
off. The environment overrides the defaults (:meth:`Limits.from_env`):
``TROUPE_RESULT_WARN_BYTES``, ``TROUPE_RESULT_MAX_BYTES``, ``TROUPE_CONTEXT_WARN_BYTES``,
``TROUPE_CONTEXT_MAX_BYTES`` (integers, with an optional ``KiB``/``MiB``/``GiB`` suffix).

The limits of an execution travel in its ``WorkflowRequested`` event, so a replay applies
the ones it ran with.

Runaway guards, each ending in an error that names the task (0 turns one off):

- ``task_runs_max`` (100,000): task runs one execution may start (a loop with no exit, a
  fan-out self-loop) - the workflow fails with ``task_runs_exceeded``;
- ``subworkflow_depth_max`` (32): nesting of sub-workflows (one calling itself, two calling
  each other) - the task starting the one too deep fails with ``subworkflow_too_deep``;
- ``items_max`` (1,000,000): items of one with-items task (``too_many_items``);
- template work, per render of one field (:mod:`runtime.templating.guards`):
  ``template_max_chars`` (16 Mi characters of one string built or rendered),
  ``template_max_items`` (1,000,000: a list built by repetition or growth),
  ``template_max_int_bits`` (65,536: an integer an operation may make: ``10**(10**9)``
  fails before it is computed), ``template_max_width`` (10,000: a format width or
  precision), ``template_max_iterations`` (1,000,000 loop iterations in one render, nested
  loops counted together) and ``render_max_ms`` (2,000: wall time of one render, checked in
  the sandbox's hooks and given to regular expressions as their match timeout; a render
  fails within a second of passing any of these, most at once, before the work is done;
  2 s rather than 1 leaves a render of a million items room on a loaded machine). A render
  past one fails with an :class:`~runtime.errors.ExpressionError` whose ``limit`` is the
  field's name. Environment: ``TROUPE_`` and the field's name in capitals.

Misuse: do not measure a value more than once on its way in (it is O(size)); do not compare
sizes against the limits outside the machine (it keeps the running total).
"""

from __future__ import annotations

import json
import json.encoder
import os
import re
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii
from typing import Any

from runtime.errors import TroupeError
from runtime.records import evolve, record
from runtime.values import json_default

__all__ = ["DEFAULT_LIMITS", "ENV_VARS", "KIB", "MIB", "Limits", "LimitsError", "json_size"]

KIB = 1024
MIB = 1024 * KIB


class LimitsError(TroupeError):
    """A size limit that is not a non-negative integer (``name`` says which, ``value`` what
    was given)."""

    def __init__(self, name: str, value: str) -> None:
        super().__init__(f"{name} must be a non-negative number of bytes, got {value!r}")
        self.name = name
        self.value = value


@record
class Limits:
    """Where a result (or an execution's total) warns and where it fails, in bytes.

    0 turns a guard off. Build one with keywords, from the environment
    (:meth:`from_env`), or from another with :meth:`but`.
    """

    result_warn_bytes: int = 1 * MIB
    """A result bigger than this is kept, with a ``SizeWarning``."""
    result_max_bytes: int = 16 * MIB
    """A result bigger than this fails its attempt (``result_too_large``); it is dropped."""
    context_warn_bytes: int = 16 * MIB
    """The execution's total passing this gives one ``SizeWarning``."""
    context_max_bytes: int = 256 * MIB
    """The execution's total passing this fails the workflow (``result_too_large``)."""
    task_runs_max: int = 100_000
    """Task runs one execution may start (``task_runs_exceeded``)."""
    subworkflow_depth_max: int = 32
    """How deep sub-workflows may nest (``subworkflow_too_deep``)."""
    items_max: int = 1_000_000
    """Items of one with-items task (``too_many_items``)."""
    template_max_chars: int = 16 * MIB
    """Longest string one render may build."""
    template_max_items: int = 1_000_000
    """Longest list one render may build by repetition or growth."""
    template_max_int_bits: int = 65_536
    """Biggest integer (in bits) one operation of a render may make."""
    template_max_width: int = 10_000
    """Widest format width or precision."""
    template_max_iterations: int = 1_000_000
    """Loop iterations of one render (nested loops counted together)."""
    render_max_ms: int = 2_000
    """Wall time of one render, in milliseconds (also the regex match timeout)."""

    def but(self, **changes: int) -> Limits:
        """These limits with ``changes`` (field names) applied; each is checked."""
        for name, value in changes.items():
            _check(name, value)
        return evolve(self, changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 base: Limits | None = None) -> Limits:
        """``base`` (the defaults) with what ``environ`` (``os.environ``) sets in
        :data:`ENV_VARS`; a value that is not a size raises :class:`LimitsError`."""
        env = os.environ if environ is None else environ
        limits = base if base is not None else DEFAULT_LIMITS
        changes = {field: _parse(var, env[var]) for var, field in ENV_VARS.items()
                   if env.get(var, "").strip()}
        return evolve(limits, changes) if changes else limits


DEFAULT_LIMITS = Limits()
"""The documented defaults (the environment is read only by :meth:`Limits.from_env`)."""

ENV_VARS: Mapping[str, str] = {
    "TROUPE_RESULT_WARN_BYTES": "result_warn_bytes",
    "TROUPE_RESULT_MAX_BYTES": "result_max_bytes",
    "TROUPE_CONTEXT_WARN_BYTES": "context_warn_bytes",
    "TROUPE_CONTEXT_MAX_BYTES": "context_max_bytes",
    **{f"TROUPE_{name.upper()}": name for name in (
        "task_runs_max", "subworkflow_depth_max", "items_max", "template_max_chars",
        "template_max_items", "template_max_int_bits", "template_max_width",
        "template_max_iterations", "render_max_ms")},
}
"""Environment variable -> the :class:`Limits` field it sets."""

_SIZE = re.compile(r"\s*(\d+)\s*(|b|kib|k|mib|m|gib|g)\s*", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": KIB, "kib": KIB, "m": MIB, "mib": MIB, "g": 1024 * MIB,
          "gib": 1024 * MIB}


def _parse(name: str, text: str) -> int:
    match = _SIZE.fullmatch(text)
    if match is None:
        raise LimitsError(name, text)
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def _check(name: str, value: Any) -> None:
    if name not in Limits.__dataclass_fields__:
        raise TypeError(f"Limits has no field {name!r}")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LimitsError(name, repr(value))


# -- measuring ----------------------------------------------------------------------------

# The C encoder itself, built once: JSONEncoder.encode builds one per call (1.5 of its 2.5
# us for a small dict). ``json.encoder.c_make_encoder`` is None where the C module is absent.
_c_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)

_ENCODER = json.JSONEncoder(default=json_default, separators=(",", ":"))
_C_ENCODE = (
    _c_make_encoder(None, json_default, encode_basestring_ascii, None, ":", ",", False,
                    False, True)
    if _c_make_encoder is not None else None
)
_FIXED = {type(None): 4, bool: 5}


def json_size(value: Any) -> int:
    """The length of ``value``'s compact JSON text (``ensure_ascii``: bytes = characters).

    Exact for JSON data, frozen or plain (a mapping's key order does not change it); a
    value JSON cannot hold is measured as the engine writes it (its ``repr``), and one that
    cannot be written at all (a key that is not a scalar) by its ``repr``. Scalars cost a
    few hundred nanoseconds; containers a C encoding pass.
    """
    kind = type(value)
    if kind is str:
        return len(encode_basestring_ascii(value))
    fixed = _FIXED.get(kind)
    if fixed is not None:
        return 4 if value is None or value is True else fixed
    if kind is int or kind is float:
        return len(repr(value))  # JSON's own spelling, but for inf (Infinity)
    try:
        if _C_ENCODE is not None:
            return len("".join(_C_ENCODE(value, 0)))
        return len(_ENCODER.encode(value))  # pragma: no cover - no C encoder
    except (TypeError, ValueError, RecursionError):
        return len(repr(value))
