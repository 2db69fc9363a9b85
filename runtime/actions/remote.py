"""``core.remote`` and ``core.remote_sudo`` (StackStorm's remote-shell-cmd), on this host only.

StackStorm runs the command over SSH on every host of ``hosts`` (a comma-separated string)
and returns one shell result per host: ``{HOST: {stdout, stderr, return_code, succeeded,
failed}}``. Troupe has no SSH fleet to reach, so it runs the command here, once per host,
when every host names this machine (:data:`LOCAL_HOSTS`); any other host is refused before
anything runs, with an error naming the task and the host. The result has StackStorm's
shape; the action fails (with the whole per-host result) when the command failed on any
host. ``username`` must be this process's user if given; the connection parameters
(``password``, ``private_key``, ``passphrase``, ``port``, ``bastion_host``) have no local
meaning and are accepted and not used. ``dir`` is StackStorm's other name for ``cwd``.

Misuse: do not expect a remote login shell (no ``~/.profile`` is read, the engine's
environment is merged with ``env`` as for ``core.local``); do not list ``localhost`` twice
to run a command twice in parallel: hosts run one after the other and a repeated host
appears once in the result, as in StackStorm.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from typing import Any

from runtime.actions.call import Call
from runtime.actions.local import core_local
from runtime.errors import ActionFailed

__all__ = ["LOCAL_HOSTS", "core_remote", "core_remote_sudo", "parse_hosts"]

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "localhost.localdomain"})
"""The host names ``core.remote`` runs on this machine; every other one is refused."""


def parse_hosts(hosts: object) -> list[str]:
    """The hosts of a ``hosts`` value (a comma-separated string or a list), in order, once."""
    if isinstance(hosts, str):
        names = hosts.split(",")
    elif isinstance(hosts, (list, tuple)):
        names = [str(name) for name in hosts]
    else:
        raise ActionFailed("hosts must be a comma-separated string of host names",
                           result=None)
    found = [name.strip() for name in names if name.strip()]
    if not found:
        raise ActionFailed("hosts is empty", result=None)
    return list(dict.fromkeys(found))


def _check_local(hosts: list[str], username: str | None, task: str) -> None:
    """Refuse hosts that are not this machine and a user that is not this process's."""
    remote = [name for name in hosts if name.lower() not in LOCAL_HOSTS]
    if remote:
        raise ActionFailed(
            f"task {task!r}: core.remote runs only on this host (hosts: localhost), and "
            f"Troupe does not connect to other hosts over SSH: {', '.join(remote)}",
            result={"refused_hosts": remote})
    if username is not None and username != getpass.getuser():
        raise ActionFailed(
            f"task {task!r}: core.remote on localhost runs as {getpass.getuser()!r}, "
            f"not as username {username!r}", result=None)


def _remote(cmd: str, hosts: object, *, sudo: bool, cwd: str | None,
            env: Mapping[str, str] | None, timeout: float | None, username: str | None,
            sudo_password: str | None, call: Call) -> dict[str, Any]:
    """Run ``cmd`` once per (local) host; return or raise with the per-host results."""
    names = parse_hosts(hosts)
    _check_local(names, username, call.task)
    results: dict[str, Any] = {}
    failures: list[str] = []
    for name in names:
        try:
            results[name] = core_local(cmd, cwd=cwd, env=env, timeout=timeout, sudo=sudo,
                                       sudo_password=sudo_password, call=call)
        except ActionFailed as exc:  # ActionTimedOut included: the other hosts still run
            results[name] = exc.result
            failures.append(f"{name}: {exc}")
    if failures:
        raise ActionFailed("; ".join(failures), result=results)
    return results


def core_remote(
    cmd: str,
    hosts: str | list[str],
    cwd: str | None = None,
    dir: str | None = None,  # StackStorm's name of cwd
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    sudo: bool = False,
    sudo_password: str | None = None,
    username: str | None = None,
    password: str | None = None,
    private_key: str | None = None,
    passphrase: str | None = None,
    port: int | None = None,
    bastion_host: str | None = None,
    parallel: bool = False,
    *,
    call: Call,
) -> dict[str, Any]:
    """Run a command on ``hosts`` (this host only: localhost) and return a result per host."""
    del password, private_key, passphrase, port, bastion_host, parallel  # no SSH here
    return _remote(cmd, hosts, sudo=sudo, cwd=cwd if cwd is not None else dir, env=env,
                   timeout=timeout, username=username, sudo_password=sudo_password,
                   call=call)


def core_remote_sudo(
    cmd: str,
    hosts: str | list[str],
    cwd: str | None = None,
    dir: str | None = None,  # StackStorm's name of cwd
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    sudo_password: str | None = None,
    username: str | None = None,
    password: str | None = None,
    private_key: str | None = None,
    passphrase: str | None = None,
    port: int | None = None,
    bastion_host: str | None = None,
    parallel: bool = False,
    *,
    call: Call,
) -> dict[str, Any]:
    """Run a command as root through sudo on ``hosts`` (localhost only), a result per host."""
    del password, private_key, passphrase, port, bastion_host, parallel  # no SSH here
    return _remote(cmd, hosts, sudo=True, cwd=cwd if cwd is not None else dir, env=env,
                   timeout=timeout, username=username, sudo_password=sudo_password,
                   call=call)
