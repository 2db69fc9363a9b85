"""``troupe kv``: read and write the key-value store that ``st2kv`` reads.

    troupe kv get KEY [--decrypt] [--json]
    troupe kv set KEY VALUE [--secret]
    troupe kv list [--prefix P] [--json]
    troupe kv delete KEY

KEY is ``system.K`` (the system scope), ``user.K`` (the current user's, ``$TROUPE_USER`` or
the login name), or ``K``, which ``--scope`` places (``system`` by default, as ``st2 key``
does; note that ``st2kv('K')`` reads the *user* scope, as in StackStorm). The store is
``--store``, else ``$TROUPE_STORE``, else the default SQLite file, as for ``troupe
executions``. ``--secret`` encrypts the value (Fernet; the key file is created 0600 on the
first secret, :mod:`runtime.kv.crypto`); ``get`` prints a secret's token unless
``--decrypt``; ``list`` never prints a secret's value. Exit codes: 0 done, 2 an unknown
key, a store that does not open, or bad arguments.

Misuse: these are the CLI's, run in the main thread against a store this process opens;
never point them at a store through another thread's connection.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import IO, Any

from runtime.cli_output import table, timestamp
from runtime.cli_store import STORE_ENV, STORE_URLS, opened, the_store
from runtime.errors import KvError
from runtime.store import KvRow, default_store_url

from . import crypto
from .names import SCOPES, SYSTEM, current_user, shown, stored_key

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add ``kv get|set|list|delete`` to the ``troupe`` subcommands (argparse's)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", metavar="URL", help=(
        f"the store ({STORE_URLS}); default: ${STORE_ENV}, else {default_store_url()}"))
    common.add_argument("--scope", choices=SCOPES, default=SYSTEM,
                        help="the scope of a KEY without a system./user. prefix (system)")
    kv = sub.add_parser("kv", help="the key-value store st2kv reads (StackStorm's datastore)")
    what = kv.add_subparsers(dest="kv_command", required=True)
    get = what.add_parser("get", parents=[common], help="print a key's value")
    get.add_argument("key", metavar="KEY")
    get.add_argument("--decrypt", action="store_true", help="a secret's value, decrypted")
    get.add_argument("--json", action="store_true", help="machine-readable output")
    get.set_defaults(handler=_get)
    put = what.add_parser("set", parents=[common], help="set a key's value")
    put.add_argument("key", metavar="KEY")
    put.add_argument("value", metavar="VALUE")
    put.add_argument("--secret", action="store_true", help="encrypt it at rest")
    put.set_defaults(handler=_set)
    listing = what.add_parser("list", parents=[common], help="the keys and their values")
    listing.add_argument("--prefix", default="", help="only the keys starting with this")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(handler=_list)
    delete = what.add_parser("delete", parents=[common], help="remove a key")
    delete.add_argument("key", metavar="KEY")
    delete.set_defaults(handler=_delete)


def _get(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    user = current_user()
    scope, key = stored_key(args.key, user, default_scope=args.scope)
    with opened(the_store(args)) as store:
        row = store.kv_get(scope, key)
    if row is None:
        raise KvError(key=args.key, problem="no such key")
    value = crypto.decrypt(row.value, args.key) if args.decrypt and row.secret else row.value
    if args.json:
        out.write(json.dumps({**_row_json(row, user), "value": value}) + "\n")
    else:
        out.write(value + "\n")
    return 0


def _set(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    scope, key = stored_key(args.key, current_user(), default_scope=args.scope)
    value = crypto.encrypt(args.value) if args.secret else args.value
    with opened(the_store(args)) as store:
        store.kv_set(KvRow(scope=scope, key=key, value=value, secret=args.secret,
                           updated_at=time.time()))
    return 0


def _list(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    user = current_user()
    with opened(the_store(args)) as store:
        rows = [r for r in store.kv_list() if _matches(shown(r.scope, r.key, user), args.prefix)]
    if args.json:
        out.write(json.dumps([_row_json(r, user) for r in rows], indent=2) + "\n")
        return 0
    table(("KEY", "VALUE", "SECRET", "UPDATED"),
          [(shown(r.scope, r.key, user), "***" if r.secret else r.value,
            "yes" if r.secret else "", timestamp(r.updated_at)) for r in rows], out)
    return 0


def _delete(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    scope, key = stored_key(args.key, current_user(), default_scope=args.scope)
    with opened(the_store(args)) as store:
        if not store.kv_delete(scope, key):
            raise KvError(key=args.key, problem="no such key")
    return 0


def _matches(name: str, prefix: str) -> bool:
    """Whether a shown name (``system.K``, ``user.K``) starts with ``prefix``, with or
    without its scope."""
    return name.startswith(prefix) or name.partition(".")[2].startswith(prefix)


def _row_json(row: KvRow, user: str) -> dict[str, Any]:
    """A pair as ``--json`` prints it (a secret's value: its token, never the plaintext)."""
    return {"name": shown(row.scope, row.key, user), "scope": row.scope, "key": row.key,
            "value": row.value, "secret": row.secret, "updated_at": timestamp(row.updated_at)}
