"""What an execution reads of the key-value store: the pairs as of its start.

A :class:`KvSnapshot` is taken when an execution is started (:func:`take`, through the
engine's journal or from the engine-less file store) and travels in its first event
(``WorkflowRequested.kv``), so it is in the journal: a replay or a recovery renders every
``st2kv`` exactly as the first run did. Secret values stay encrypted in it (and so in the
journal); :func:`lookup` decrypts one only when asked. A sub-workflow reads its parent's
snapshot. Only workflows that call ``st2kv`` or ``decrypt_kv`` take one (:func:`uses_kv`).

Misuse: never build a snapshot from a store on a thread that does not own the store (use
the journal's ``Query``); never put a decrypted value in a snapshot.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pyrsistent import PMap, PVector, pmap

from runtime.errors import ExpressionError, KvError
from runtime.records import record
from runtime.store.base import KvRow

from . import crypto
from .files import read_pairs
from .names import current_user, stored_key

__all__ = ["EMPTY_KV", "KvSnapshot", "decrypt_value", "lookup", "plaintexts", "snapshot_of",
           "take", "uses_kv"]

_NO_DEFAULT = object()
KV_NAMES = ("st2kv", "decrypt_kv")
"""The expression functions that read the store."""


@record
class KvSnapshot:
    """The key-value pairs an execution reads, and whose user-scoped keys bare names read."""

    user: str = ""
    key_file: str = ""
    """The key file secrets decrypt with (resolved when the snapshot was taken)."""
    pairs: PMap[tuple[str, str], tuple[str, bool]] = pmap()
    """``(scope, key)`` -> ``(value, secret)``; a secret's value is its token."""
    taken: bool = False
    """Whether the store was read (False: the workflow reads no key)."""


EMPTY_KV = KvSnapshot()


def snapshot_of(rows: Iterable[KvRow], user: str, key_file: Path | None = None) -> KvSnapshot:
    """A snapshot of these rows."""
    return KvSnapshot(user=user, key_file=str(key_file or crypto.key_file()), taken=True,
                      pairs=pmap({(r.scope, r.key): (r.value, r.secret) for r in rows}))


def take(reader: Any, definitions: Iterable[Any], user: str | None = None) -> KvSnapshot:
    """The snapshot an execution of these definitions reads: empty unless one of them
    calls ``st2kv`` or ``decrypt_kv``; ``reader`` gives the store's pairs (False: read
    nothing; None: the engine-less store, :func:`runtime.kv.files.read_pairs`)."""
    if reader is False or not uses_kv(definitions):
        return EMPTY_KV
    if reader is None:
        reader = read_pairs
    return snapshot_of(reader(), user or current_user())


def uses_kv(definitions: Iterable[Any]) -> bool:
    """Whether an expression of these workflow definitions names ``st2kv`` or
    ``decrypt_kv`` (a textual test: a false positive costs one read of the store at start,
    never a wrong value)."""
    return any(_names_kv(defn) for defn in definitions)


_LEAVES = (str, int, float, bool, type(None))


def _names_kv(value: Any) -> bool:
    """Whether a template source inside ``value`` (a definition's node, record, map or
    tuple, walked as the tree it is) names a key-value function."""
    if isinstance(value, _LEAVES):
        return False
    sources = getattr(value, "sources", None)
    if callable(sources):
        return any(name in source for source in sources() for name in KV_NAMES)
    names = _record_fields(type(value))
    if names:
        return any(_names_kv(getattr(value, name)) for name in names)
    if isinstance(value, Mapping):
        return any(_names_kv(item) for item in value.values())
    if isinstance(value, (tuple, list, PVector)):
        return any(_names_kv(item) for item in value)
    return False


def _record_fields(cls: type) -> tuple[str, ...]:
    """The fields of a record type worth walking (none for other types), computed once."""
    known = _FIELDS.get(cls)
    if known is None:
        known = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls)
                                     if f.name != "graph") if dataclasses.is_dataclass(cls) else ()
    return known


_FIELDS: dict[type, tuple[str, ...]] = {}


def lookup(snapshot: KvSnapshot, name: Any, *, decrypt: Any = False,
           default: Any = _NO_DEFAULT) -> Any:
    """StackStorm's ``st2kv(name, decrypt=false[, default=...])``: the value of a key, its
    token for a secret unless ``decrypt``; a missing key raises (or gives ``default``)."""
    if not isinstance(name, str):
        raise ExpressionError("st2kv() takes a key name (a string)", expression="")
    if not isinstance(decrypt, bool):
        raise ExpressionError("st2kv(): decrypt is true or false", expression="")
    try:
        scope, key = stored_key(name, snapshot.user)
    except KvError as error:
        raise ExpressionError(f"st2kv(): {error.problem}", expression="") from None
    found = snapshot.pairs.get((scope, key))
    if found is None:
        if default is not _NO_DEFAULT:
            return default
        if not snapshot.taken:
            raise ExpressionError(f"the key {name!r} cannot be read: the key-value store was "
                                  "not read for this execution", expression="")
        raise ExpressionError(f"the key {name!r} does not exist in the datastore",
                              expression="")
    value, secret = found
    return decrypt_value(snapshot, value, name) if decrypt and secret else value


def decrypt_value(snapshot: KvSnapshot, token: Any, name: str = "decrypt_kv") -> str:
    """StackStorm's ``decrypt_kv``: the value a secret's token holds."""
    if not isinstance(token, str):
        raise ExpressionError("decrypt_kv takes an encrypted value (a string)", expression="")
    try:
        return crypto.decrypt(token, name, Path(snapshot.key_file) if snapshot.key_file
                              else None)
    except KvError as error:
        raise ExpressionError(f"cannot decrypt {name!r}: {error.problem}",
                              expression="") from None


def plaintexts(snapshot: KvSnapshot) -> list[str]:
    """The values of the snapshot's secrets, for the execution's masker (a value an
    expression decrypts is masked wherever it travels, like a secret input)."""
    values = []
    for (scope, key), (value, secret) in snapshot.pairs.items():
        if secret:
            try:
                values.append(decrypt_value(snapshot, value, f"{scope}.{key}"))
            except ExpressionError:
                continue  # it cannot be decrypted, so no expression can reveal it
    return values
