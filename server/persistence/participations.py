"""Who took part in which interaction (SPEC L1): an agent's list holds every conversation they owned at some
time, with their part in it. The writer's operations record a change of owner here in the transaction of the
change (writes.py, outbound_writes.py); the list and the access rule read it."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tortoise.backends.base.client import BaseDBAsyncClient

from server.persistence.db import Statements, execute_statements
from server.persistence.models import Participation

LeftReason = Literal["transferred", "returned"]  # transferred away, or returned to its queue by a supervisor


def joined_statements(owners: Sequence[tuple[int, int, datetime]]) -> Statements:
    """Each (interaction, user, at): the user owns the interaction from `at`, taking part in it again if they
    had before; whoever else still held it left then, transferred away. As (SQL, rows) to execute many."""
    return [("UPDATE participations SET left_at = ?, left_reason = 'transferred' "
             "WHERE interaction_id = ? AND user_id <> ? AND left_at IS NULL",
             [[at, interaction_id, user_id] for interaction_id, user_id, at in owners]),
            ("INSERT INTO participations (interaction_id, user_id, joined_at) VALUES (?, ?, ?) "
             "ON CONFLICT (interaction_id, user_id) DO UPDATE SET left_at = NULL, left_reason = NULL",
             [[interaction_id, user_id, at] for interaction_id, user_id, at in owners])]


async def store_joined(conn: BaseDBAsyncClient, owners: Sequence[tuple[int, int, datetime]]) -> None:
    """`joined_statements`, executed."""
    if owners:
        await execute_statements(conn, joined_statements(owners))


async def store_left(conn: BaseDBAsyncClient, interaction_id: int, user_id: int | None, at: datetime,
                     reason: LeftReason) -> None:
    """The user no longer owns the interaction, from `at`."""
    if user_id is not None:
        await Participation.filter(interaction_id=interaction_id, user_id=user_id, left_at=None).using_db(
            conn).update(left_at=at, left_reason=reason)


@dataclass(frozen=True)
class Left:
    """An agent's part in an interaction they no longer own: they read it up to `at`."""

    at: datetime
    reason: LeftReason


async def left_parts(user_id: int, interaction_ids: Sequence[int]) -> dict[int, Left]:
    """The interactions among these that the user took part in and left, by id."""
    if not interaction_ids:
        return {}
    rows = await Participation.filter(user_id=user_id, interaction_id__in=list(interaction_ids)).exclude(
        left_at=None).values("interaction_id", "left_at", "left_reason")
    return {r["interaction_id"]: Left(r["left_at"], r["left_reason"] or "transferred") for r in rows}
