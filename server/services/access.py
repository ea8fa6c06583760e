"""Who may see and act on an interaction: one place, below the API and the UI."""
from __future__ import annotations

from typing import Any

from server.errors import Forbidden, NotFound
from server.persistence import queries
from server.services.auth import Principal


async def readable_interaction(principal: Principal, interaction_id: int) -> dict[str, Any]:
    """The interaction's row if the principal may read it: supervisors and admins all, agents their own."""
    row = (await queries.interaction_rows([interaction_id])).get(interaction_id)
    if row is None:
        raise NotFound(f"There is no interaction {interaction_id}.")
    if not principal.sees_everything and row["owner__username"] != principal.username:
        raise Forbidden("This interaction belongs to another agent.")
    return row


async def owned_interaction(principal: Principal, interaction_id: int) -> dict[str, Any]:
    """The interaction's row if the principal owns it (only owners write, transfer and close)."""
    row = (await queries.interaction_rows([interaction_id])).get(interaction_id)
    if row is None:
        raise NotFound(f"There is no interaction {interaction_id}.")
    if row["owner__username"] != principal.username:
        raise Forbidden("Only the agent who owns this interaction can do that.")
    return row
