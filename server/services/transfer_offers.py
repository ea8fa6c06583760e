"""Who sent a pending transfer, and why: what a transfer offer shows its targets (SPEC R7)."""
from __future__ import annotations

from server.persistence.models import Transfer


async def transfer_details(interaction_ids: list[int]) -> dict[int, dict[str, str | None]]:
    """For each of `interaction_ids` with a pending transfer: `{"from": username, "from_name": full name (or the
    username), "note": the sender's reason or None}`. Interactions without one are left out."""
    if not interaction_ids:
        return {}
    rows = await Transfer.filter(interaction_id__in=interaction_ids, status="pending").order_by(
        "interaction_id", "generation", "id").values(
        "interaction_id", "from_agent__username", "from_agent__full_name", "note")
    details: dict[int, dict[str, str | None]] = {}
    for row in rows:  # the newest pending transfer of an interaction last, so it wins
        username = row["from_agent__username"]
        details[row["interaction_id"]] = {"from": username, "from_name": row["from_agent__full_name"] or username,
                                          "note": row["note"] or None}
    return details
