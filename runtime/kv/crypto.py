"""Secret values at rest: Fernet tokens (the ``cryptography`` package), one key file.

The key file is ``$TROUPE_KV_KEY_FILE``, else ``$XDG_CONFIG_HOME/troupe/kv.key``, else
``~/.config/troupe/kv.key``. It is created, with mode 0600 (its directory 0700), when the
first secret is set; reading a secret without it is a :class:`KvError`. The store holds
the token only, so a copy of the store without the key file reveals no secret.

Misuse: decrypt only where a user asked for it (``st2kv(k, decrypt=true)``, ``decrypt_kv``,
``troupe kv get --decrypt``); never log or journal a decrypted value; losing the key file
loses every secret (back it up apart from the store).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from runtime.errors import KvError

__all__ = ["KEY_FILE_ENV", "decrypt", "encrypt", "key_file"]

KEY_FILE_ENV = "TROUPE_KV_KEY_FILE"


def key_file() -> Path:
    """Where the key is: ``$TROUPE_KV_KEY_FILE``, else the user's config directory."""
    given = os.environ.get(KEY_FILE_ENV)
    if given:
        return Path(given)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "troupe" / "kv.key"


def _create(path: Path) -> None:
    """Write a new key, private from its first byte (O_EXCL: never over another key)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process made it first: use that one
    with os.fdopen(descriptor, "wb") as out:
        out.write(Fernet.generate_key())


@functools.lru_cache(maxsize=8)
def _fernet(path: str) -> Fernet:
    try:
        return Fernet(Path(path).read_bytes().strip())
    except (OSError, ValueError) as error:
        raise KvError(key=path, problem=(
            f"cannot read the key file ({type(error).__name__}); secrets need it")) from None


def encrypt(value: str, path: Path | None = None) -> str:
    """``value`` as a Fernet token (the key file is created if there is none)."""
    where = path or key_file()
    if not where.exists():
        _create(where)
    return _fernet(str(where)).encrypt(value.encode()).decode()


def decrypt(token: str, key: str, path: Path | None = None) -> str:
    """The value a token holds; :class:`KvError` naming ``key`` if it is not one of ours."""
    where = path or key_file()
    try:
        return _fernet(str(where)).decrypt(token.encode()).decode()
    except (InvalidToken, UnicodeError):
        raise KvError(key=key, problem=(
            "not a value encrypted with this key file (not a secret, or another key)")) from None
