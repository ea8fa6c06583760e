"""Who may see and act on an interaction: one place, below the API and the UI."""
from __future__ import annotations

from typing import Any

from server.errors import Forbidden, NotFound
from server.persistence import participations, queries
from server.services.auth import Principal


async def readable_interaction(principal: Principal, interaction_id: int) -> dict[str, Any]:
    """The interaction's row if the principal may read it: supervisors and admins all, agents their own, and
    those they took part in and left (transferred away, returned to the queue), read only: for them the row's
    `left_at` (its messages stored until then are theirs to read) and `left_reason`; None for everyone else."""
    row = (await queries.interaction_rows([interaction_id])).get(interaction_id)
    if row is None:
        raise NotFound(f"There is no interaction {interaction_id}.")
    row = {**row, "left_at": None, "left_reason": None}
    if principal.sees_everything or row["owner__username"] == principal.username:
        return row
    left = (await participations.left_parts(principal.id, [interaction_id])).get(interaction_id)
    if left is None:
        raise Forbidden("This interaction belongs to another agent.")
    return {**row, "left_at": left.at, "left_reason": left.reason}


async def interaction_to_edit(principal: Principal, interaction_id: int) -> dict[str, Any]:
    """The interaction's row if the principal may change its details (tags, disposition, its customer's
    contact): supervisors, admins and the agent who owns it, also once it is closed. An agent who left it
    only reads it."""
    row = await readable_interaction(principal, interaction_id)
    if row["left_at"] is not None:
        raise Forbidden("This interaction is another agent's now: you can only read it.")
    return row


async def owned_interaction(principal: Principal, interaction_id: int) -> dict[str, Any]:
    """The interaction's row if the principal owns it (only owners write, transfer and close)."""
    row = (await queries.interaction_rows([interaction_id])).get(interaction_id)
    if row is None:
        raise NotFound(f"There is no interaction {interaction_id}.")
    if row["owner__username"] != principal.username:
        raise Forbidden("Only the agent who owns this interaction can do that.")
    return row
