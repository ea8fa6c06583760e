"""Migration 0005 on a database that already holds contacts (saved from the desk before the contact manager):
they keep their values, gain empty custom values, and their search columns are filled. SQLite, and
PostgreSQL wherever its binaries are installed."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.migrations.api import migrate

from server.persistence.db import tortoise_config
from server.persistence.models import Contact
from tests.postgres import postgres_binaries, postgres_server


@pytest.fixture(params=["sqlite", "postgres"] if postgres_binaries() else ["sqlite"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'migrate.sqlite3'}"
        return
    with postgres_server() as url:
        yield url


async def _scenario(url: str) -> None:
    config = tortoise_config(url)
    await migrate(config=config, target="models.0004_message_search")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    await Tortoise.get_connection("default").execute_script(
        "INSERT INTO contact_lists (name) VALUES ('Customers');"
        "INSERT INTO contacts (list_id, first_name, last_name, email, company, notes, created_at, updated_at) "
        "VALUES (1, 'Ada', 'Lovelace', 'Ada@Example.com', 'Engines', '', '2026-01-01 00:00:00+00:00', "
        "'2026-01-01 00:00:00+00:00')")
    await Tortoise.close_connections()
    await migrate(config=config)
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    try:
        ada = await Contact.get(first_name="Ada")
        assert (ada.last_name, ada.email, ada.company, ada.field_values) == ("Lovelace", "Ada@Example.com",
                                                                            "Engines", {})
        assert (ada.search_name, ada.search_email) == ("ada lovelace", "ada@example.com")
    finally:
        await Tortoise.close_connections()


def test_existing_contacts_survive_and_become_searchable(database_url: str) -> None:
    """In a process of its own: tortoise keeps each table's INSERT statement, in the first database's dialect,
    for the life of the process."""
    run = subprocess.run([sys.executable, "-c", "import asyncio, sys; from tests.unit.test_contact_migration "
                          "import _scenario; asyncio.run(_scenario(sys.argv[1]))", database_url],
                         cwd=Path(__file__).parents[2], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
