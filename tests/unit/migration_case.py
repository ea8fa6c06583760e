"""Upgrading a database that already holds rows: the shared steps of the migration tests (their databases,
SQLite and PostgreSQL wherever its binaries are installed, come from the `database_url` fixture of
tests/unit/conftest.py)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tortoise import Tortoise
from tortoise.migrations.api import migrate

from server.persistence.db import tortoise_config


async def upgrade_holding(url: str, last_before: str, rows_sql: str) -> None:
    """Migrate an empty database up to `last_before`, store `rows_sql` there, then apply every later
    migration; Tortoise is left connected to the result (the caller closes it)."""
    config = tortoise_config(url)
    await migrate(config=config, target=f"models.{last_before}")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    await Tortoise.get_connection("default").execute_script(rows_sql)
    await Tortoise.close_connections()
    await migrate(config=config)
    await Tortoise.close_connections()
    await Tortoise.init(config=config)


def run_scenario(module: str, database_url: str) -> None:
    """`module`'s `_scenario(url)` in a process of its own: tortoise keeps each table's INSERT statement, in the
    first database's dialect, for the life of the process."""
    run = subprocess.run([sys.executable, "-c", f"import asyncio, sys; from {module} import _scenario; "
                          "asyncio.run(_scenario(sys.argv[1]))", database_url],
                         cwd=Path(__file__).parents[2], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
