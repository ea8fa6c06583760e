"""A throwaway PostgreSQL server for tests, from the machine's PostgreSQL binaries (Debian layout)."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from tests.serverproc import free_port


def postgres_binaries() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a private cluster on a free port; yields a database URL; removes it all afterwards."""
    bindir = postgres_binaries()
    assert bindir, "PostgreSQL binaries are not installed"
    root = tempfile.mkdtemp(prefix="xc-pg-")
    os.chmod(root, 0o755)
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data, port = os.path.join(root, "data"), free_port()
    run = lambda *args: subprocess.run([*as_postgres, *args], check=True, capture_output=True)  # noqa: E731
    run(f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "postgres")
    run(f"{bindir}/pg_ctl", "-D", data, "-l", os.path.join(root, "log"), "-w", "start",
        "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=on")
    try:
        run(f"{bindir}/psql", "-h", root, "-p", str(port), "-U", "postgres", "-c", "CREATE DATABASE xc")
        yield f"postgres://postgres@127.0.0.1:{port}/xc"
    finally:
        run(f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    """A new database on the server of `server_url` (empty, or a copy of the database `template`, which
    nobody may be connected to); returns its URL."""
    import asyncio

    import asyncpg

    async def create() -> None:
        connection = await asyncpg.connect(server_url.replace("postgres://", "postgresql://", 1))
        try:
            await connection.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        finally:
            await connection.close()

    asyncio.run(create())
    return server_url.rsplit("/", 1)[0] + "/" + name
