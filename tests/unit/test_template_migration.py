"""Migration 0007 on a database that already holds templates: they keep what they had and get an empty
header, footer, buttons and statuses; names up to 512 characters fit afterwards. SQLite, and PostgreSQL
wherever its binaries are installed."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.migrations.api import migrate

from server.persistence.db import tortoise_config
from server.persistence.models import Template
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
    await migrate(config=config, target="models.0006_contact_search_indexes")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    await Tortoise.get_connection("default").execute_script(
        "INSERT INTO templates (name, language, category, body, available_for_agents, provider_ids) "
        "VALUES ('shipping', 'it', 'utility', 'Ciao {{1}}', TRUE, '{\"tw\": \"HX1\"}')")
    await Tortoise.close_connections()
    await migrate(config=config)
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    try:
        old = await Template.get(name="shipping")
        assert (old.language, old.body, old.available_for_agents, old.provider_ids) == (
            "it", "Ciao {{1}}", True, {"tw": "HX1"})
        assert (old.header, old.footer, old.buttons, old.statuses) == ("", "", [], {})
        await Template.create(name="n" * 512, body="long name", buttons=["Yes"])
        assert (await Template.get(name="n" * 512)).buttons == ["Yes"]
    finally:
        await Tortoise.close_connections()


def test_existing_templates_survive_and_gain_the_new_parts(database_url: str) -> None:
    """In a process of its own: tortoise keeps each table's INSERT statement, in the first database's dialect,
    for the life of the process."""
    run = subprocess.run([sys.executable, "-c", "import asyncio, sys; from tests.unit.test_template_migration "
                          "import _scenario; asyncio.run(_scenario(sys.argv[1]))", database_url],
                         cwd=Path(__file__).parents[2], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
