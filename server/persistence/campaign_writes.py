"""What campaigns store through the database writer (SPEC T5).

A recipient's message is written in the same transaction that marks the recipient queued, so after any
crash a recipient is either pending (nothing written) or queued with its one message: nobody is queued
twice. The message lives in a closed interaction of its own (no owner, offered to nobody), so the
customer's reply opens a new interaction in the account's queue, as any inbound message does.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server.domain.recontact import SYSTEM_SENDER
from server.domain.templates import render
from server.errors import Invalid
from server.persistence.db import dialect_sql
from server.persistence.models import Campaign, CampaignRecipient, Interaction, Message, RoutingEvent, SendOnce
from server.persistence.writer import BulkWriteOp, WriteOp, WriterContext
from server.persistence.writes import utcnow


@dataclass(frozen=True)
class Queued:
    """What one QueueCampaignMessages did: the messages to send, whether recipients are left, and whether
    the campaign was still running."""

    messages: list[tuple[int, int]]  # (message id, interaction id)
    more: bool
    running: bool


@dataclass
class QueueCampaignMessages(WriteOp):
    """Write the messages of the campaign's next `limit` pending recipients, in order, if it is running."""

    campaign_id: int
    limit: int
    on_queued: Callable[[Queued], None] | None = field(default=None, repr=False)

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> Queued:
        rows = await Campaign.filter(id=self.campaign_id).using_db(conn).values(
            "name", "state", "account_id", "account__key", "account__provider", "account__queue_id",
            "template__name", "template__language", "template__body", "template__provider_ids")
        if not rows or rows[0]["state"] != "running":
            return Queued([], False, False)
        campaign = rows[0]
        recipients = await CampaignRecipient.filter(campaign_id=self.campaign_id, state="pending").using_db(
            conn).order_by("id").limit(self.limit + 1).values("id", "contact_id", "name", "phone", "variables")
        more = len(recipients) > self.limit
        now = utcnow()
        ids = campaign["template__provider_ids"] or {}
        provider_id = ids.get(campaign["account__key"]) or ids.get(campaign["account__provider"]) or ""
        interactions, messages, queued_ids, skipped = [], [], [], []
        for recipient in recipients[:self.limit]:
            try:
                text = render(campaign["template__body"], recipient["variables"])
            except Invalid as error:  # the template changed since the campaign started
                skipped.append([f"The template no longer fits: {error.message}"[:255], recipient["id"]])
                continue
            interaction_id = ctx.allocate_interaction_id()
            interactions.append(Interaction(
                id=interaction_id, account_id=campaign["account_id"], queue_id=campaign["account__queue_id"],
                customer_phone=recipient["phone"], customer_name=recipient["name"][:128], status="closed",
                contact_id=recipient["contact_id"], created_at=now, closed_at=now))
            messages.append(Message(
                interaction_id=interaction_id, direction="out", kind="template", text=text, sender=SYSTEM_SENDER,
                status="queued", created_at=now, template={
                    "name": campaign["template__name"], "language": campaign["template__language"],
                    "variables": recipient["variables"], "provider_id": provider_id}))
            queued_ids.append((recipient["id"], interaction_id))
        if skipped:
            await conn.execute_many(dialect_sql(
                conn, "UPDATE campaign_recipients SET state = 'skipped', reason = ? WHERE id = ?"), skipped)
        if not interactions:
            return Queued([], more, True)
        await Interaction.bulk_create(interactions, using_db=conn)
        await Message.bulk_create(messages, using_db=conn)
        message_of = dict(await Message.filter(interaction_id__in=[i.id for i in interactions]).using_db(conn)
                          .values_list("interaction_id", "id"))
        await SendOnce.bulk_create([SendOnce(message_id=message_of[i.id]) for i in interactions], using_db=conn)
        await conn.execute_many(dialect_sql(
            conn, "UPDATE campaign_recipients SET state = 'queued', message_id = ? WHERE id = ?"),
            [[message_of[interaction_id], recipient_id] for recipient_id, interaction_id in queued_ids])
        await RoutingEvent.bulk_create([RoutingEvent(interaction_id=i.id, kind="campaign", agents=[],
                                                     detail=campaign["name"][:255], created_at=now)
                                        for i in interactions], using_db=conn)
        return Queued([(message_of[i.id], i.id) for i in interactions], more, True)

    def after_commit(self, result: Queued) -> None:
        if self.on_queued is not None:  # here, not in the caller: a caller cancelled meanwhile loses nothing
            self.on_queued(result)


@dataclass
class ClaimSend(BulkWriteOp):
    """Mark a send-once message as started, before its first attempt; False when it had been started
    already (the server stopped during that attempt: whether it reached the provider is unknown)."""

    message_id: int

    @classmethod
    async def apply_many(cls, ops: list[WriteOp], conn: BaseDBAsyncClient, ctx: WriterContext) -> list[Any]:
        ids = [op.message_id for op in ops]  # type: ignore[attr-defined]
        fresh = set(await SendOnce.filter(message_id__in=ids, started=False).using_db(conn).values_list(
            "message_id", flat=True))
        if fresh:
            await SendOnce.filter(message_id__in=fresh).using_db(conn).update(started=True)
        claimed = []
        for message_id in ids:
            claimed.append(message_id in fresh)
            fresh.discard(message_id)
        return claimed
