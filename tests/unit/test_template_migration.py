"""Migration 0007 on a database that already holds templates: they keep what they had and get an empty
header, footer, buttons and statuses; names up to 512 characters fit afterwards. SQLite, and PostgreSQL
wherever its binaries are installed."""
from __future__ import annotations

from tortoise import Tortoise

from server.persistence.models import Template
from tests.unit.migration_case import run_scenario, upgrade_holding


async def _scenario(url: str) -> None:
    await upgrade_holding(url, "0006_contact_search_indexes", (
        "INSERT INTO templates (name, language, category, body, available_for_agents, provider_ids) "
        "VALUES ('shipping', 'it', 'utility', 'Ciao {{1}}', TRUE, '{\"tw\": \"HX1\"}')"))
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
    run_scenario(__name__, database_url)
