"""A whole transaction in one hop into SQLite's connection thread, for the writer's most frequent batch.

Through tortoise, a transaction on SQLite costs one hop into aiosqlite's connection thread per statement
plus three more (commit, BEGIN, COMMIT), and a hop costs about 160 us of CPU on our 2-core machine: more than
the statement itself (scripts/bench.py). `run_in_one_hop` runs BEGIN, the statements and COMMIT as one
function in that thread, under the lock with which tortoise serializes every use of its one SQLite
connection, so that nothing interleaves with it.

It reaches into tortoise's `_lock` and `_connection` and aiosqlite's `_execute` and `_conn`;
tests/unit/test_sqlite_hop.py fails first if either library changes them.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from tortoise import connections

T = TypeVar("T")

Work = Callable[[sqlite3.Connection], T]


def on_sqlite() -> bool:
    return connections.get("default").capabilities.dialect == "sqlite"


async def run_in_one_hop(work: Work[T]) -> T:
    """`work(db)` inside one transaction on the connection tortoise uses; rolled back if it raises."""
    client: Any = connections.get("default")
    async with client._lock:  # noqa: SLF001 - see the module's docstring
        connection = client._connection  # noqa: SLF001
        return await connection._execute(_transaction, connection, work)  # noqa: SLF001


def _transaction(connection: Any, work: Work[T]) -> T:
    db: sqlite3.Connection = connection._conn  # noqa: SLF001
    db.execute("BEGIN")
    try:
        result = work(db)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return result
