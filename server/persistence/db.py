"""Database start-up: the tortoise configuration, migrations applied at start, and shutdown."""
from __future__ import annotations

import logging
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
        credentials = {"file_path": database_url.removeprefix("sqlite://"), "journal_mode": "WAL",
                       "synchronous": "FULL", "busy_timeout": 10000, "foreign_keys": "ON"}
        connection: dict[str, Any] = {"engine": "tortoise.backends.sqlite", "credentials": credentials}
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


async def open_database(database_url: str) -> None:
    """Apply pending migrations, then open the connections for the whole process.

    The global fallback lets coroutines that actors hand to the loop use the connections: they run
    outside the context in which `Tortoise.init` ran.
    """
    config = tortoise_config(database_url)
    await migrate(config=config)
    await Tortoise.close_connections()
    await Tortoise.init(config=config, _enable_global_fallback=True)


async def close_database() -> None:
    await Tortoise.close_connections()


def dialect_sql(conn: BaseDBAsyncClient, sql: str) -> str:
    """Our raw SQL marks parameters with "?"; PostgreSQL wants $1, $2, ..."""
    if conn.capabilities.dialect != "postgres":
        return sql
    parts = sql.split("?")
    return "".join(p + (f"${i + 1}" if i < len(parts) - 1 else "") for i, p in enumerate(parts))
