"""A throw-away PostgreSQL cluster for the psycopg scenario (`python -m
otelaudit.servers.postgres`): initdb into a temporary directory (trust auth, user
`otelaudit`, fsync off), then postgres on a free loopback port. PostgreSQL refuses to run
as root, so as root both run as the `postgres` (or `nobody`) user. Protocol: `_native_server`."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import tempfile
from typing import Callable, List, Optional, Tuple

from otelaudit.servers.native import HOST, free_port, missing, serve_process, which

INSTALL_HINT = "apt-get install postgresql"
USER = "otelaudit"


def _bin_dirs() -> List[str]:
    return sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)


def _demote(directory: str) -> Optional[Callable[[], None]]:
    """As root: hand `directory` to an unprivileged user and return a pre-exec that becomes it."""
    if os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
            break
        except KeyError:
            continue
    else:
        raise RuntimeError("running as root and neither a postgres nor a nobody user exists")
    os.chown(directory, user.pw_uid, user.pw_gid)

    def become() -> None:
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)

    return become


def _binaries() -> Tuple[Optional[str], ...]:
    return tuple(which(name, _bin_dirs()) for name in ("initdb", "postgres", "pg_isready"))


def unavailable() -> Optional[str]:
    if None in _binaries():
        return f"PostgreSQL server binaries (initdb, postgres, pg_isready) not found ({INSTALL_HINT})"
    return None


def main() -> int:
    initdb, postgres, isready = _binaries()
    if initdb is None or postgres is None or isready is None:
        return missing(unavailable() or "")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="otelaudit-pg-") as directory:
        os.chmod(directory, 0o755)
        become = _demote(directory)
        data = os.path.join(directory, "data")
        init = subprocess.run([initdb, "-D", data, "-U", USER, "--auth=trust", "--no-sync", "-E", "UTF8"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=become)
        if init.returncode != 0:
            last = (init.stderr.decode().strip().splitlines() or ["no output"])[-1]
            print(f"failed initdb: {last}", flush=True)
            return 1

        def ready(port: int) -> bool:
            return subprocess.run([isready, "-q", "-h", HOST, "-p", str(port)]).returncode == 0

        command = [postgres, "-D", data, "-p", str(port), "-c", f"listen_addresses={HOST}", "-k", directory,
                   "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                   "-c", "max_connections=50"]
        return serve_process(command, port, ready=ready, preexec=become)


if __name__ == "__main__":
    sys.exit(main())
