"""The key-value store StackStorm workflows read with ``st2kv`` (StackStorm's datastore).

Pairs live in the ``kv`` table of a store (:class:`runtime.store.base.KvRow`): the engine's
store when there is one, else the default SQLite file (:func:`runtime.kv.files.kv_store_url`).
:mod:`runtime.kv.names` maps StackStorm's key names (``system.K``, ``user.K``, ``K``) to a
scope and a stored key; :mod:`runtime.kv.crypto` encrypts secret values (Fernet, a key file
created 0600); :mod:`runtime.kv.snapshot` is what an execution reads (the pairs as of its
start, in its first journal event); :mod:`runtime.kv.cli` is ``troupe kv``. docs/kv.md
tells the whole design.

Misuse: read the engine's store only through its journal (the snapshot is taken by a
journal query); never put a decrypted value anywhere but in an expression's result.
"""
