"""Migration 0005 on a database that already holds contacts (saved from the desk before the contact manager):
they keep their values, gain empty custom values, and their search columns are filled. SQLite, and
PostgreSQL wherever its binaries are installed."""
from __future__ import annotations

from tortoise import Tortoise

from server.persistence.models import Contact
from tests.unit.migration_case import run_scenario, upgrade_holding


async def _scenario(url: str) -> None:
    await upgrade_holding(url, "0004_message_search", (
        "INSERT INTO contact_lists (name) VALUES ('Customers');"
        "INSERT INTO contacts (list_id, first_name, last_name, email, company, notes, created_at, updated_at) "
        "VALUES (1, 'Ada', 'Lovelace', 'Ada@Example.com', 'Engines', '', '2026-01-01 00:00:00+00:00', "
        "'2026-01-01 00:00:00+00:00')"))
    try:
        ada = await Contact.get(first_name="Ada")
        assert (ada.last_name, ada.email, ada.company, ada.field_values) == ("Lovelace", "Ada@Example.com",
                                                                            "Engines", {})
        assert (ada.search_name, ada.search_email) == ("ada lovelace", "ada@example.com")
    finally:
        await Tortoise.close_connections()


def test_existing_contacts_survive_and_become_searchable(database_url: str) -> None:
    run_scenario(__name__, database_url)
