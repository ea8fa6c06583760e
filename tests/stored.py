"""Reading what a test server stored, straight from its database (SQLite file or PostgreSQL), for checks that
the API cannot make: what lies on the disk, and rows the product never answers with."""
from __future__ import annotations

import asyncio
import re
import sqlite3
from typing import Any

from tests.serverproc import ServerProcess

SQLITE_FILE = "contact-center.sqlite3"


def rows(server: ServerProcess, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """The rows of `sql` (with `?` placeholders) on the server's database; JSON columns as text."""
    if not server.database_url:
        with sqlite3.connect(server.data_dir / SQLITE_FILE, timeout=10) as db:
            return db.execute(sql, params).fetchall()
    import asyncpg

    numbered = iter(range(1, len(params) + 1))
    postgres_sql = re.sub(r"\?", lambda _: f"${next(numbered)}", sql)

    async def fetch() -> list[tuple[Any, ...]]:
        connection = await asyncpg.connect(server.database_url.replace("postgres://", "postgresql://", 1))
        try:
            return [tuple(record) for record in await connection.fetch(postgres_sql, *params)]
        finally:
            await connection.close()

    return asyncio.run(fetch())


def stored_bytes(server: ServerProcess) -> bytes:
    """What the database keeps on the disk: SQLite's file and write-ahead log; on PostgreSQL, the text of
    every account's credentials and every audit entry (where a secret could have gone)."""
    if not server.database_url:
        return b"".join(p.read_bytes() for p in server.data_dir.glob(SQLITE_FILE + "*"))
    found = rows(server, "SELECT credentials::text FROM accounts")
    found += rows(server, "SELECT COALESCE(before::text, '') || COALESCE(after::text, '') FROM audit_entries")
    return "\n".join(str(value) for row in found for value in row).encode()
