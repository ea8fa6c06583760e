"""What campaigns read (SPEC T5): totals per recipient state, a page of recipients, messages in flight, and
whether a customer has a campaign message still to come."""
from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from tortoise import Tortoise
from tortoise.expressions import Q

from server.persistence.db import dialect_sql
from server.persistence.models import CampaignRecipient

STATES = ("pending", "queued", "sent", "delivered", "read", "failed", "skipped", "cancelled")
LIVE = ("running", "paused")


def shown_state(recipient_state: str, message_status: str | None) -> str:
    """A queued recipient is as far as its message got (a voice message "played" counts as read)."""
    if recipient_state != "queued":
        return recipient_state
    return "read" if message_status == "played" else message_status or "queued"


async def totals(campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    """Recipients per shown state, for each campaign (every state present, zero when none)."""
    found: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATES, 0))
    if not campaign_ids:
        return {}
    marks = ", ".join("?" for _ in campaign_ids)
    connection = Tortoise.get_connection("default")
    rows = await connection.execute_query_dict(dialect_sql(
        connection, "SELECT r.campaign_id AS campaign, r.state AS state, m.status AS status, COUNT(*) AS n "
        "FROM campaign_recipients r LEFT JOIN messages m ON m.id = r.message_id "
        f"WHERE r.campaign_id IN ({marks}) GROUP BY r.campaign_id, r.state, m.status"), campaign_ids)
    for row in rows:
        found[row["campaign"]][shown_state(row["state"], row["status"])] += int(row["n"])
    return {campaign_id: found[campaign_id] for campaign_id in campaign_ids}


async def recipients(campaign_id: int, offset: int, limit: int, state: str | None = None) -> list[dict[str, Any]]:
    query = CampaignRecipient.filter(campaign_id=campaign_id)
    if state in ("pending", "skipped", "cancelled"):
        query = query.filter(state=state)
    elif state == "queued":
        query = query.filter(state="queued", message__status="queued")
    elif state in STATES:
        query = query.filter(state="queued", message__status=state)
    rows = await query.order_by("id").offset(offset).limit(limit).values(
        "id", "contact_id", "name", "phone", "state", "reason", "message_id", "message__status",
        "message__error", "message__interaction_id")
    return [{"id": r["id"], "contact_id": r["contact_id"], "name": r["name"], "phone": r["phone"],
             "state": shown_state(r["state"], r["message__status"]),
             "reason": r["message__error"] or r["reason"] or "", "message_id": r["message_id"],
             "interaction_id": r["message__interaction_id"]} for r in rows]


async def in_flight(campaign_id: int) -> bool:
    """Whether a message of the campaign is still waiting for the provider's answer."""
    return await CampaignRecipient.filter(campaign_id=campaign_id, state="queued", message__status="queued").exists()


async def pending_for(account_id: int, phone: str) -> str | None:
    """The name of a running or paused campaign of the account with a message still to go to `phone`."""
    return cast(str | None, await CampaignRecipient.filter(
        Q(state="pending") | Q(state="queued", message__status="queued"), phone=phone,
        campaign__account_id=account_id, campaign__state__in=LIVE).first().values_list("campaign__name", flat=True))
