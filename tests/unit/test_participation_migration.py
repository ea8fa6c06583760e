"""Migration 0014 on a database that already holds interactions: each gets its owner's participation, and its
first agent's when someone else owns it now (left when it was accepted: transferred away, or returned to the
queue when nobody owns it). SQLite, and PostgreSQL wherever its binaries are installed."""
from __future__ import annotations

from datetime import datetime, timezone

from tortoise import Tortoise

from server.persistence.models import Participation
from tests.unit.migration_case import run_scenario, upgrade_holding

ACCEPTED = datetime(2026, 1, 1, 10, 1, tzinfo=timezone.utc)
CREATED = datetime(2026, 1, 1, 10, 0, tzinfo=timezone.utc)


def _interaction(interaction_id: int, owner: str, first_agent: str, accepted: str) -> str:
    return ("INSERT INTO interactions (id, account_id, queue_id, customer_phone, customer_name, status, owner_id, "
            "first_agent_id, read_marker, returned_unread, created_at, accepted_at) VALUES "
            f"({interaction_id}, 1, 1, '+3933300000{interaction_id:02d}', '', 'open', {owner}, {first_agent}, 0, "
            f"FALSE, '2026-01-01 10:00:00+00:00', {accepted});")


async def _scenario(url: str) -> None:
    accepted = "'2026-01-01 10:01:00+00:00'"
    await upgrade_holding(url, "0013_transfer_note", (
        "INSERT INTO users (id, username, password_hash, role, full_name, state, disabled, created_at) VALUES "
        "(1, 'ada', 'x', 'agent', '', 'offline', FALSE, '2026-01-01 00:00:00+00:00'), "
        "(2, 'bruno', 'x', 'agent', '', 'offline', FALSE, '2026-01-01 00:00:00+00:00');"
        "INSERT INTO queues (id, name, strategy, weight, offer_timeout, reoffer_delay, capacity, target_seconds) "
        "VALUES (1, 'q', 'ring_all', 0, 30, 60, 5, 60);"
        "INSERT INTO accounts (id, key, provider, name, phone_number, queue_id, credentials, api_base_url) "
        "VALUES (1, 'a', 'sandbox', '', '', 1, '{}', '');"
        + _interaction(1, "1", "1", accepted)  # ada's own
        + _interaction(2, "2", "1", accepted)  # ada transferred it to bruno
        + _interaction(3, "NULL", "1", accepted)  # a supervisor returned ada's to the queue
        + _interaction(4, "NULL", "NULL", "NULL")  # waiting: nobody took part
        + _interaction(5, "2", "2", "NULL")))  # bruno's outbound, no accept time recorded
    try:
        rows = await Participation.all().order_by("interaction_id", "user_id").values_list(
            "interaction_id", "user_id", "joined_at", "left_at", "left_reason")
        assert rows == [(1, 1, ACCEPTED, None, None),
                        (2, 1, ACCEPTED, ACCEPTED, "transferred"), (2, 2, ACCEPTED, None, None),
                        (3, 1, ACCEPTED, ACCEPTED, "returned"),
                        (5, 2, CREATED, None, None)]
    finally:
        await Tortoise.close_connections()


def test_existing_interactions_get_their_participations(database_url: str) -> None:
    run_scenario(__name__, database_url)
