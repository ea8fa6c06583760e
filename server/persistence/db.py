"""Database start-up: the tortoise configuration, migrations applied at start, and shutdown."""
from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.migrations.api import migrate

log = logging.getLogger(__name__)

MODELS = "server.persistence.models"
MIGRATIONS = "server.persistence.migrations"


def tortoise_config(database_url: str) -> dict[str, Any]:
    """Tortoise config for a sqlite:// or postgres:// URL. SQLite runs in WAL mode, fully synced."""
    if database_url.startswith("sqlite://"):
        # The WAL is checkpointed by a thread of its own (WalCheckpointer), not inside our commits.
        credentials = {"file_path": database_url.removeprefix("sqlite://"), "journal_mode": "WAL",
                       "synchronous": "FULL", "busy_timeout": 10000, "foreign_keys": "ON",
                       "wal_autocheckpoint": 0}
        connection: dict[str, Any] | str = {"engine": "tortoise.backends.sqlite", "credentials": credentials}
    elif database_url.startswith(("postgres://", "postgresql://")):
        connection = database_url.replace("postgresql://", "postgres://", 1)
    else:
        raise ValueError(f"Unsupported database URL scheme in {database_url.split('://')[0]!r}: "
                         "use sqlite:// or postgres://")
    return {
        "connections": {"default": connection},
        "apps": {"models": {"models": [MODELS], "migrations": MIGRATIONS, "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


# The tortoise CLI reads this (README: Schema changes).
TORTOISE_ORM = tortoise_config("sqlite://data/contact-center.sqlite3")


class WalCheckpointer:
    """Copies SQLite's write-ahead log back into the database file from a thread of its own.

    Left to SQLite, the checkpoint runs inside whichever commit crosses the threshold, and with the
    fsync of the database file it held the single writer for up to a third of a second under load
    (scripts/bench.py). A passive checkpoint from another connection never blocks the writer.
    """

    def __init__(self, path: str, every_seconds: float = 1.0) -> None:
        self._path, self._every = path, every_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        connection = sqlite3.connect(self._path, timeout=10)
        try:
            while not self._stop.wait(self._every):
                self._checkpoint(connection, "PASSIVE")
            self._checkpoint(connection, "TRUNCATE")
        finally:
            connection.close()

    @staticmethod
    def _checkpoint(connection: sqlite3.Connection, mode: str) -> None:
        try:
            connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
        except sqlite3.Error as error:  # busy or locked: the next round catches up
            log.warning("WAL checkpoint (%s) did not complete: %s", mode, error)


_checkpointer: WalCheckpointer | None = None


async def open_database(database_url: str) -> None:
    """Apply pending migrations, then open the connections for the whole process.

    The global fallback lets coroutines that actors hand to the loop use the connections: they run
    outside the context in which `Tortoise.init` ran.
    """
    global _checkpointer
    config = tortoise_config(database_url)
    await migrate(config=config)
    await Tortoise.close_connections()
    await Tortoise.init(config=config, _enable_global_fallback=True)
    if database_url.startswith("sqlite://") and _checkpointer is None:
        _checkpointer = WalCheckpointer(database_url.removeprefix("sqlite://"))
        _checkpointer.start()


async def close_database() -> None:
    global _checkpointer
    await Tortoise.close_connections()
    if _checkpointer is not None:
        _checkpointer.stop()
        _checkpointer = None


def dialect_sql(conn: BaseDBAsyncClient, sql: str) -> str:
    """Our raw SQL marks parameters with "?"; PostgreSQL wants $1, $2, ..."""
    if conn.capabilities.dialect != "postgres":
        return sql
    parts = sql.split("?")
    return "".join(p + (f"${i + 1}" if i < len(parts) - 1 else "") for i, p in enumerate(parts))


Statements = list[tuple[str, list[list[Any]]]]  # (SQL with "?" marks, the rows to execute it for)


async def execute_statements(conn: BaseDBAsyncClient, statements: Statements) -> None:
    """Each statement for each of its rows, in order (the writer's plain-SQL writes)."""
    for sql, rows in statements:
        await conn.execute_many(dialect_sql(conn, sql), rows)
