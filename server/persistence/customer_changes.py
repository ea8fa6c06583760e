"""What the customer does to messages already stored: edits, deletions and reactions; and the items of a
delivery that belong to no conversation of ours."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server.persistence.models import Message, UnroutedInbound
from server.persistence.writer import WriteOp, WriterContext
from server.persistence.writes import InboundResult, StoreInbound, utcnow


@dataclass
class ApplyCustomerChange(WriteOp):
    """An edit, deletion (`revoke`) or reaction of the customer's to an earlier message of the same
    conversation. The edited message keeps its earlier texts; a deleted one stays, marked; an empty reaction
    removes the reaction. When that message is unknown here (never delivered to us), the change is stored as
    a message of its own (`unknown`), so nothing the customer sent is lost."""

    change: str  # edit | revoke | reaction
    change_id: str  # the provider's id of the change itself: a retry of an edit is applied once
    refers_to: str  # the provider's id of the message it changes
    text: str  # an edit's new text, a reaction's emoji
    at: datetime
    unknown: StoreInbound
    on_changed: Callable[[InboundResult, str], None] | None = None

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> InboundResult:
        op = self.unknown
        row = await Message.filter(external_key=f"{op.account_id}:{self.refers_to}",
                                   interaction__customer_phone=op.phone).using_db(conn).first().values(
            "id", "interaction_id", "direction", "text", "edits", "revoked_at")
        if row is None or (self.change != "reaction" and row["direction"] != "in"):
            return (await StoreInbound.apply_many([op], conn, ctx))[0]
        changes: dict[str, Any] = {}
        if self.change == "reaction":
            changes["reaction"] = self.text[:32] or None
        elif self.change == "revoke":
            if row["revoked_at"] is None:
                changes["revoked_at"] = self.at
        elif not any(edit.get("id") == self.change_id for edit in row["edits"] or []):
            earlier = {"text": row["text"], "at": self.at.isoformat(), "id": self.change_id}
            changes.update(text=self.text, edits=[*(row["edits"] or []), earlier])
        if changes:
            await Message.filter(id=row["id"]).using_db(conn).update(**changes)
        return InboundResult(row["id"], row["interaction_id"], op.queue_id, False, not changes, changed=bool(changes))

    def after_commit(self, result: InboundResult) -> None:
        if result.changed and self.on_changed is not None:
            self.on_changed(result, self.change)
        elif not result.changed and not result.duplicate:
            self.unknown.after_commit(result)


@dataclass
class StoreUnrouted(WriteOp):
    """Items no conversation of ours owns, kept for the admin (their reason and the item as delivered)."""

    account_id: int | None
    provider: str
    items: list[tuple[str, str]]  # (reason, raw item)

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> int:
        now = utcnow()
        await UnroutedInbound.bulk_create([UnroutedInbound(account_id=self.account_id, provider=self.provider,
                                                           reason=reason[:255], payload=raw, created_at=now)
                                           for reason, raw in self.items], using_db=conn)
        return len(self.items)
