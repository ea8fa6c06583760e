"""A conversation the agent starts (SPEC T4), opened by the database writer: the one place that decides
which interaction a conversation's messages join, so a customer's message arriving meanwhile, or another
agent starting the same conversation, finds this one (or this one finds theirs)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server.persistence.contact_writes import contacts_for_new_conversations
from server.persistence.db import dialect_sql
from server.persistence.models import Contact, Interaction, RoutingEvent
from server.persistence.participations import store_joined
from server.persistence.writer import WriteOp, WriterContext
from server.persistence.writes import utcnow


@dataclass(frozen=True)
class OutboundOpened:
    interaction_id: int
    created: bool  # False: the conversation was open already (`owner` holds it, or nobody yet: it waits)
    owner: str | None = None


@dataclass
class OpenOutbound(WriteOp):
    """Open an interaction owned by `username` with no offer to anyone, linked to the customer's contact
    (a contact trigger of the account or queue makes one for an unknown number) - unless the conversation
    is open already, which is returned instead."""

    account_id: int
    queue_id: int
    phone: str
    user_id: int
    username: str

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> OutboundOpened:
        conversation = (self.account_id, self.phone)
        open_id = ctx.open_conversations.get(conversation)
        if open_id is not None:
            rows = await Interaction.filter(id=open_id).using_db(conn).values("owner__username")
            return OutboundOpened(open_id, False, rows[0]["owner__username"] if rows else None)
        interaction_id = ctx.allocate_interaction_id()
        ctx.open_conversation(conversation, interaction_id)
        contact_id = (await contacts_for_new_conversations(
            conn, [(self.account_id, self.queue_id, self.phone, "")])).get(conversation)
        names = await Contact.filter(id=contact_id).using_db(conn).values_list("first_name", "last_name") \
            if contact_id else []
        # The window is the conversation's (SPEC T1): it runs from the customer's last message, whichever
        # interaction it came in.
        last_inbound = await Interaction.filter(account_id=self.account_id, customer_phone=self.phone).exclude(
            last_inbound_at=None).using_db(conn).order_by("-last_inbound_at").first().values_list(
            "last_inbound_at", flat=True)
        now = utcnow()
        row: list[Any] = [interaction_id, self.account_id, self.queue_id, self.phone,
                          " ".join(filter(None, names[0]))[:128] if names else "", now, self.user_id, self.user_id,
                          now, contact_id, last_inbound]
        await conn.execute_query(dialect_sql(
            conn, "INSERT INTO interactions (id, account_id, queue_id, customer_phone, customer_name, status, "
                  "created_at, owner_id, first_agent_id, accepted_at, contact_id, last_inbound_at, read_marker, "
                  "returned_unread) VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, 0, false)"), row)
        await store_joined(conn, [(interaction_id, self.user_id, now)])
        await RoutingEvent.create(interaction_id=interaction_id, kind="outbound", agents=[self.username],
                                  created_at=now, using_db=conn)
        return OutboundOpened(interaction_id, True, self.username)
