"""Make orquesta 1.2.0 (and networkx 1.11, jsonschema 2.6, which it pins) import on Python 3.11.

Apply before importing orquesta::

    import _orquesta_shim
    _orquesta_shim.apply()
    from orquesta import conducting

What it patches, all process-wide and idempotent:

* ``collections.Mapping`` / ``MutableMapping`` / ``Sequence`` / ``MutableSequence`` / ... :
  the ABC aliases removed from ``collections`` in Python 3.10 (orquesta's ``SequenceSpec``,
  jsonschema 2.6's ``compat`` and orquesta's ``item()`` function use them);
* ``fractions.gcd``: removed in Python 3.9, imported by networkx 1.11 (``math.gcd``);
* the inline regex flags in ``orquesta.utils.parameters``: ``(?i)true`` and ``(?i)false`` sit
  in the middle of an alternation, which Python 3.11 rejects ("global flags not at the start
  of the expression"); they become the scoped form ``(?i:true)`` / ``(?i:false)``.

Nothing here changes orquesta's algorithms: the benchmark measures orquesta as it ships.
"""

from __future__ import annotations

import collections
import collections.abc
import fractions
import math
import warnings

_ABC_NAMES = (
    "Callable",
    "Hashable",
    "Iterable",
    "Iterator",
    "Mapping",
    "MutableMapping",
    "MutableSequence",
    "MutableSet",
    "Sequence",
    "Set",
)

_applied = False


def apply() -> None:
    """Install the compatibility aliases and fix orquesta's inline regex flags."""
    global _applied
    if _applied:
        return
    for name in _ABC_NAMES:
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))
    if not hasattr(fractions, "gcd"):
        fractions.gcd = math.gcd  # type: ignore[attr-defined]
    with warnings.catch_warnings():
        # orquesta/networkx/eventlet emit DeprecationWarnings on import under 3.11
        warnings.simplefilter("ignore")
        from orquesta.utils import parameters

    for flag in ("true", "false"):
        parameters.REGEX_INLINE_PARAM_VARIATIONS = [
            f"(?i:{flag})" if p == f"(?i){flag}" else p
            for p in parameters.REGEX_INLINE_PARAM_VARIATIONS
        ]
        parameters.REGEX_INLINE_PARAMS = parameters.REGEX_INLINE_PARAMS.replace(
            f"(?i){flag}", f"(?i:{flag})"
        )
    _applied = True
