"""The operations the routing core stores through the writer (writer.py), one class per change."""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields import CharField
from tortoise.functions import Max
from tortoise.transactions import in_transaction

from server.domain.phone import address_kind
from server.persistence.audit import audit_close, audit_transfer_ended, audit_transfer_requested, write_audit
from server.persistence.contact_writes import contacts_for_new_conversations
from server.persistence.db import Statements, dialect_sql, execute_statements
from server.persistence.models import Attachment, Interaction, Message, RoutingEvent, Transfer, User
from server.persistence.participations import joined_statements, store_joined, store_left
from server.persistence.writer import BulkWriteOp, WriteOp, WriterContext

# what a routing event's detail holds
HISTORY_DETAIL = cast(CharField, RoutingEvent._meta.fields_map["detail"]).max_length


def utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class InboundResult:
    message_id: int | None
    interaction_id: int | None
    queue_id: int
    created_interaction: bool
    duplicate: bool
    attachment_id: int | None = None  # a media message's file, still to fetch from the provider
    changed: bool = False  # the customer edited, deleted or reacted to this earlier message
    unrouted: bool = False  # it names no customer we can answer: kept for the admin, stored in no conversation


@dataclass
class StoreInbound(BulkWriteOp):
    """An inbound customer message: deduplicated on the provider's id, joined to the open interaction
    of its conversation, or opening a new one."""

    account_id: int
    queue_id: int
    provider_message_id: str
    phone: str
    name: str
    text: str
    kind: str = "text"
    media: tuple[str, str, str] | None = None  # (provider ref, content type, file name)
    received_at: datetime = field(default_factory=utcnow)
    sent_at: datetime | None = None  # when the customer sent it, as the provider says
    payload: str | None = None  # the provider's item, kept for a message the desk cannot show
    new_phone: str | None = None  # a notice that the customer's number changed: the conversation follows it
    on_committed: Callable[[InboundResult], None] | None = None

    @property
    def external_key(self) -> str:
        return f"{self.account_id}:{self.provider_message_id}"

    @classmethod
    async def apply_many(cls, ops: list[WriteOp], conn: BaseDBAsyncClient, ctx: WriterContext) -> list[Any]:
        inbound: list[StoreInbound] = ops  # type: ignore[assignment]
        # Messages of conversations all open already (the usual case) are told apart from a provider's retries by
        # the insert itself, which skips a stored key; one that would open a conversation is checked first.
        continuing = all((op.account_id, op.phone) in ctx.open_conversations for op in inbound)
        seen = set() if continuing else {row[0] for row in await _select_in(
            conn, "SELECT external_key FROM messages WHERE external_key IN", [op.external_key for op in inbound])}
        interactions, messages, plan = cls._rows(inbound, ctx, seen)
        if interactions:
            # the contact manager keeps E.164 numbers: a WhatsApp id phonenumbers refuses, or a user id, is not one
            contacts = await contacts_for_new_conversations(conn, [(r[1], r[2], r[3], r[4]) for r in interactions
                                                                   if address_kind(r[3]) == "e164"])
            for row in interactions:
                row.append(contacts.get((row[1], row[3])))
            await conn.execute_many(dialect_sql(
                conn, "INSERT INTO interactions (id, account_id, queue_id, customer_phone, customer_name, status, "
                      "created_at, last_inbound_at, read_marker, returned_unread, contact_id) "
                      "VALUES (?, ?, ?, ?, ?, 'open', ?, ?, 0, ?, ?)"), interactions)
        ids: dict[str, int] = {}
        if messages:  # one statement, which answers the new rows' ids
            rows = await conn.execute_query_dict(dialect_sql(conn, _insert_messages_sql(len(messages), continuing)),
                                                 [value for message in messages for value in message])
            ids = {row["external_key"]: row["id"] for row in rows}
            plan, touched = _what_was_stored(messages, interactions, plan, ids)
            if touched:
                await conn.execute_query(dialect_sql(conn, _touch_sql(len(touched))),
                                         [inbound[-1].received_at, *touched])
        files = await cls._attachments(inbound, plan, ids, conn)
        for op, step in zip(inbound, plan):
            if step is not None and op.new_phone:
                await _follow_new_number(conn, ctx, op.account_id, op.phone, op.new_phone, step[1])
        return cls._results(inbound, plan, ids, files)

    @classmethod
    def in_one_hop(cls, ops: list[WriteOp], ctx: WriterContext) -> Callable[[sqlite3.Connection], list[Any]] | None:
        """In one hop when the batch holds only messages of conversations open already, without files or new
        numbers: the usual batch."""
        inbound: list[StoreInbound] = ops  # type: ignore[assignment]
        if not all(op.media is None and not op.new_phone and (op.account_id, op.phone) in ctx.open_conversations
                   for op in inbound):
            return None
        _, messages, plan = cls._rows(inbound, ctx, set())
        insert = _insert_messages_sql(len(messages), skip_stored=True)
        values = [value for message in messages for value in message]

        def store(db: sqlite3.Connection) -> list[Any]:
            ids = {key: message_id for key, message_id in db.execute(insert, values).fetchall()}
            stored, touched = _what_was_stored(messages, [], plan, ids)
            if touched:
                db.execute(_touch_sql(len(touched)), [inbound[-1].received_at, *touched])
            return cls._results(inbound, stored, ids, {})

        return store

    @staticmethod
    def _rows(inbound: list[StoreInbound], ctx: WriterContext, seen: set[str]) -> tuple[
            list[list[Any]], list[list[Any]], list[tuple[str, int, bool] | None]]:
        """The interactions to open, the messages to insert, and per message its (key, interaction, opened it), or
        None when `seen` (stored before, or earlier in the batch). Plain rows: the ORM's per-object work was a
        tenth of a webhook's cost."""
        interactions: list[list[Any]] = []
        messages: list[list[Any]] = []
        plan: list[tuple[str, int, bool] | None] = []
        for op in inbound:
            if op.external_key in seen:
                plan.append(None)
                continue
            seen.add(op.external_key)
            conversation = (op.account_id, op.phone)
            interaction_id = ctx.open_conversations.get(conversation)
            created = interaction_id is None
            if interaction_id is None:
                interaction_id = ctx.allocate_interaction_id()
                ctx.open_conversation(conversation, interaction_id)
                interactions.append([interaction_id, op.account_id, op.queue_id, op.phone, op.name, op.received_at,
                                     op.received_at, False])
            messages.append([interaction_id, op.kind, op.text, (op.name or op.phone)[:128], op.external_key,
                             op.received_at, op.sent_at, op.payload])
            plan.append((op.external_key, interaction_id, created))
        return interactions, messages, plan

    @staticmethod
    def _results(inbound: list[StoreInbound], plan: list[tuple[str, int, bool] | None], ids: dict[str, int],
                 files: dict[int, int]) -> list[InboundResult]:
        results = []
        for op, step in zip(inbound, plan):
            if step is None:
                results.append(InboundResult(None, None, op.queue_id, False, True))
            else:
                key, interaction_id, created = step
                results.append(InboundResult(ids[key], interaction_id, op.queue_id, created, False,
                                             files.get(ids[key])))
        return results

    @staticmethod
    async def _attachments(inbound: list[StoreInbound], plan: list[tuple[str, int, bool] | None],
                           ids: dict[str, int], conn: BaseDBAsyncClient) -> dict[int, int]:
        """Attachment rows (pending) for the new media messages; their ids by message id."""
        rows = [Attachment(message_id=ids[step[0]], ref=op.media[0][:1000], content_type=op.media[1][:128],
                           filename=op.media[2][:255], state="pending")
                for op, step in zip(inbound, plan) if step is not None and op.media is not None]
        if not rows:
            return {}
        await Attachment.bulk_create(rows, using_db=conn)
        return dict(await Attachment.filter(message_id__in=[r.message_id for r in rows]).using_db(conn)
                    .values_list("message_id", "id"))

    def after_commit(self, result: InboundResult) -> None:
        if self.on_committed is not None and not result.duplicate:
            self.on_committed(result)


_AGENTS_JSON = RoutingEvent._meta.fields_map["agents"]


def _history(lines: list[tuple[int, str, tuple[str, ...], str, datetime]]) -> tuple[str, list[list[Any]]]:
    """Lines of routing history (interaction, kind, agents, detail, at), as the ORM would store them."""
    return ("INSERT INTO routing_events (interaction_id, kind, agents, detail, created_at) VALUES (?, ?, ?, ?, ?)",
            [[interaction_id, kind, _AGENTS_JSON.to_db_value(list(agents), RoutingEvent), detail, at]
             for interaction_id, kind, agents, detail, at in lines])


def _in_one_hop(statements: Statements, results: list[Any]) -> Callable[[sqlite3.Connection], list[Any]]:
    def store(db: sqlite3.Connection) -> list[Any]:
        for sql, rows in statements:
            db.executemany(sql, rows)
        return results

    return store


def _insert_messages_sql(count: int, skip_stored: bool) -> str:
    """Inbound messages in one statement that answers their ids; `skip_stored`: a key stored before is skipped
    (a provider's retry), not an error."""
    rows = ", ".join(["(?, 'in', ?, ?, 'received', ?, ?, ?, ?, ?)"] * count)
    skip = "ON CONFLICT (external_key) DO NOTHING " if skip_stored else ""
    return ("INSERT INTO messages (interaction_id, direction, kind, text, status, sender, external_key, created_at, "
            f"sent_at, payload) VALUES {rows} {skip}RETURNING external_key, id")


def _touch_sql(count: int) -> str:
    return f"UPDATE interactions SET last_inbound_at = ? WHERE id IN ({', '.join('?' * count)})"


def _what_was_stored(messages: list[list[Any]], opened: list[list[Any]], plan: list[tuple[str, int, bool] | None],
                     ids: dict[str, int]) -> tuple[list[tuple[str, int, bool] | None], list[int]]:
    """The plan without the messages the insert skipped (retries), and the interactions already open that got
    a message (their last inbound time moves)."""
    stored = [step if step is not None and step[0] in ids else None for step in plan]
    touched = sorted({m[0] for m in messages if m[4] in ids} - {row[0] for row in opened})
    return stored, touched


async def _select_in(conn: BaseDBAsyncClient, select: str, values: list[Any]) -> Sequence[Any]:
    """Rows of `select` ending in "... IN" for `values` (the writer's hot reads, without the ORM's query building)."""
    _, rows = await conn.execute_query(dialect_sql(conn, f"{select} ({', '.join('?' * len(values))})"), values)
    return rows


async def _follow_new_number(conn: BaseDBAsyncClient, ctx: WriterContext, account_id: int, old: str, new: str,
                             interaction_id: int) -> None:
    """The customer changed their number: their open conversation moves to it, so that replies go there and
    their next messages join it. Left as it is when another conversation is already open on the new number."""
    if new == old or ctx.open_conversations.get((account_id, old)) != interaction_id \
            or (account_id, new) in ctx.open_conversations:
        return
    await Interaction.filter(id=interaction_id).using_db(conn).update(customer_phone=new)
    ctx.close_conversation((account_id, old), interaction_id)
    ctx.open_conversation((account_id, new), interaction_id)


@dataclass
class RecordHistory(BulkWriteOp):
    """Lines of routing history (SPEC R12); many arrive together and go in one statement."""

    interaction_id: int
    kind: str
    agents: tuple[str, ...] = ()
    detail: str = ""
    at: datetime = field(default_factory=utcnow)

    @classmethod
    async def apply_many(cls, ops: list[WriteOp], conn: BaseDBAsyncClient, ctx: WriterContext) -> list[Any]:
        await execute_statements(conn, cls._statements(ops))
        return [None] * len(ops)

    @classmethod
    def in_one_hop(cls, ops: list[WriteOp], ctx: WriterContext) -> Callable[[sqlite3.Connection], list[Any]] | None:
        return _in_one_hop(cls._statements(ops), [None] * len(ops))

    @staticmethod
    def _statements(ops: list[WriteOp]) -> Statements:
        lines: list[RecordHistory] = ops  # type: ignore[assignment]
        return [_history([(op.interaction_id, op.kind, op.agents, op.detail, op.at) for op in lines])]


@dataclass
class StoreAgentState(WriteOp):
    username: str
    state: str
    reason: str | None

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> None:
        await User.filter(username=self.username).using_db(conn).update(state=self.state, state_reason=self.reason)


@dataclass
class StoreOwner(BulkWriteOp):
    """The winner of an acceptance race owns the interaction (and the history and their participations say
    so); the first owner is remembered.

    Races are won in bursts, so the owners of a batch are stored with one statement.
    """

    interaction_id: int
    username: str
    at: datetime = field(default_factory=utcnow)

    @classmethod
    async def apply_many(cls, ops: list[WriteOp], conn: BaseDBAsyncClient, ctx: WriterContext) -> list[Any]:
        ids = await _user_ids(conn, ctx, {op.username for op in ops})  # type: ignore[attr-defined]
        await execute_statements(conn, cls._statements(ops, ids))
        return [None] * len(ops)

    @classmethod
    def in_one_hop(cls, ops: list[WriteOp], ctx: WriterContext) -> Callable[[sqlite3.Connection], list[Any]] | None:
        """In one hop once the writer knows the winners' ids (from their first race on)."""
        if any(op.username not in ctx.user_ids for op in ops):  # type: ignore[attr-defined]
            return None
        return _in_one_hop(cls._statements(ops, ctx.user_ids), [None] * len(ops))

    @staticmethod
    def _statements(ops: list[WriteOp], ids: dict[str, int]) -> Statements:
        owners: list[StoreOwner] = ops  # type: ignore[assignment]
        return [("UPDATE interactions SET owner_id = ?, first_agent_id = COALESCE(first_agent_id, ?), "
                 "accepted_at = COALESCE(accepted_at, ?) WHERE id = ?",
                 [[ids[op.username], ids[op.username], op.at, op.interaction_id] for op in owners]),
                *joined_statements([(op.interaction_id, ids[op.username], op.at) for op in owners]),
                _history([(op.interaction_id, "accepted", (op.username,), "", op.at) for op in owners])]


@dataclass
class StoreTransferStarted(WriteOp):
    interaction_id: int
    generation: int
    from_agent: str
    targets: list[str]
    expires_at: datetime
    to_agent: str | None = None
    to_queue_id: int | None = None
    detail: str = ""  # the target, as people read it ("agent bob", "queue Sales")
    note: str | None = None  # the sender's reason

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> None:
        now = utcnow()
        await Transfer.create(
            interaction_id=self.interaction_id, generation=self.generation,
            from_agent_id=await _user_id(conn, self.from_agent),
            to_agent_id=await _user_id(conn, self.to_agent) if self.to_agent else None,
            to_queue_id=self.to_queue_id, targets=self.targets, status="pending", created_at=now,
            expires_at=self.expires_at, note=self.note, using_db=conn)
        await RoutingEvent.create(interaction_id=self.interaction_id, kind="transfer_requested",
                                  agents=[self.from_agent, *self.targets], detail=self._history_detail(),
                                  created_at=now, using_db=conn)
        await audit_transfer_requested(conn, self.interaction_id, self.from_agent, self.detail, self.targets)

    def _history_detail(self) -> str:
        """The target, and the sender's reason when given, cut to what the routing history's column holds."""
        if not self.note:
            return self.detail
        detail = f"{self.detail} — why: {self.note}"
        return detail if len(detail) <= HISTORY_DETAIL else detail[:HISTORY_DETAIL - 1] + "…"


@dataclass
class StoreTransferResolved(WriteOp):
    """A pending transfer ends: accepted (owner changes: the sender's part ends, the new owner's begins), timed
    out or failed (returns unread), cancelled."""

    interaction_id: int
    generation: int
    status: str  # accepted | timed_out | failed | cancelled
    accepted_by: str | None = None
    detail: str = ""
    declined_by: str | None = None  # failed because this target, the last one left, declined

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> None:
        now = utcnow()
        accepted_id = await _user_id(conn, self.accepted_by) if self.accepted_by else None
        ended = await Transfer.filter(interaction_id=self.interaction_id, generation=self.generation,
                                      status="pending").using_db(conn).update(
            status=self.status, accepted_by_id=accepted_id, resolved_at=now)
        if ended:  # only the change that ended it is audited (persistence/audit.py)
            outcome = "declined" if self.declined_by else self.status
            await audit_transfer_ended(conn, self.interaction_id, self.generation, outcome,
                                       self.accepted_by or self.declined_by,
                                       None if self.status == "accepted" else self.detail)
        if self.status == "accepted":
            await Interaction.filter(id=self.interaction_id).using_db(conn).update(
                owner_id=accepted_id, returned_unread=False)
            if accepted_id is not None:  # the sender's part ends here, the new owner's begins
                await store_joined(conn, [(self.interaction_id, accepted_id, now)])
        elif self.status in ("timed_out", "failed"):
            await Interaction.filter(id=self.interaction_id).using_db(conn).update(returned_unread=True)
        kind = {"accepted": "transfer_accepted", "timed_out": "transfer_timed_out",
                "failed": "transfer_failed", "cancelled": "transfer_cancelled"}[self.status]
        await RoutingEvent.create(interaction_id=self.interaction_id, kind=kind,
                                  agents=[self.accepted_by] if self.accepted_by else [], detail=self.detail,
                                  created_at=now, using_db=conn)


@dataclass
class StoreReturnedToQueue(WriteOp):
    """The owner can no longer serve the interaction (disabled, or a supervisor took it from them): nobody
    owns it and it waits in its queue again; a pending transfer of it is cancelled. The history says who had
    it and why; a supervisor's request (`by`) is audited."""

    interaction_id: int
    previous_owner: str
    reason: str
    transfer_generation: int | None = None
    by: str | None = None

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext | None) -> None:
        await store_returned_to_queue(conn, self.interaction_id, self.previous_owner, self.reason,
                                      self.transfer_generation, self.by)


async def store_returned_to_queue(conn: BaseDBAsyncClient, interaction_id: int, previous_owner: str, reason: str,
                                  transfer_generation: int | None, by: str | None = None) -> None:
    now = utcnow()
    if transfer_generation is not None:
        ended = await Transfer.filter(interaction_id=interaction_id, generation=transfer_generation,
                                      status="pending").using_db(conn).update(status="cancelled", resolved_at=now)
        if ended:
            await audit_transfer_ended(conn, interaction_id, transfer_generation, "cancelled", None, reason)
            await RoutingEvent.create(interaction_id=interaction_id, kind="transfer_cancelled", agents=[],
                                      detail=reason, created_at=now, using_db=conn)
    owner_id = await _user_id(conn, previous_owner)
    if await Interaction.filter(id=interaction_id, status="open", owner_id=owner_id).using_db(conn).update(
            owner_id=None, returned_unread=True):  # whoever takes it next sees it as unread
        await store_left(conn, interaction_id, owner_id, now, "returned")
        await RoutingEvent.create(interaction_id=interaction_id, kind="returned", agents=[previous_owner],
                                  detail=reason, created_at=now, using_db=conn)
        if by is not None:
            await write_audit(conn, await _user_id(conn, by), by, "interaction.return", f"interaction {interaction_id}",
                              {"owner": previous_owner}, {"owner": None, "reason": reason})


async def return_interactions_of_disabled_owners() -> int:
    """At start-up: open interactions still owned by a disabled user (the server stopped before it returned
    them) wait in their queues again. Returns how many."""
    rows = await Interaction.filter(status="open", owner__disabled=True).values("id", "owner__username")
    transfers = dict(await Transfer.filter(interaction_id__in=[r["id"] for r in rows], status="pending")
                     .values_list("interaction_id", "generation"))
    for row in rows:
        async with in_transaction() as conn:
            await store_returned_to_queue(conn, row["id"], row["owner__username"], DISABLED_OWNER,
                                          transfers.get(row["id"]))
    return len(rows)


DISABLED_OWNER = "its owner was disabled"


@dataclass
class StoreTransferDeclined(WriteOp):
    """A target rejected a pending transfer: it is not offered to them again, even after a restart."""

    interaction_id: int
    generation: int
    agent: str
    remaining: list[str]

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> None:
        await Transfer.filter(interaction_id=self.interaction_id, generation=self.generation,
                              status="pending").using_db(conn).update(targets=self.remaining)
        await RoutingEvent.create(interaction_id=self.interaction_id, kind="transfer_rejected",
                                  agents=[self.agent], created_at=utcnow(), using_db=conn)


@dataclass
class StoreRead(WriteOp):
    """The owner read the interaction: everything up to its latest message is read."""

    interaction_id: int

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> None:
        row = await Message.filter(interaction_id=self.interaction_id).using_db(conn).annotate(
            last=Max("id")).first().values("last")
        await Interaction.filter(id=self.interaction_id).using_db(conn).update(
            read_marker=(row or {}).get("last") or 0, returned_unread=False)


@dataclass(frozen=True)
class Reopened:
    """Customer messages that arrived while their interaction was being closed, moved to a new one."""

    interaction_id: int
    queue_id: int
    message_ids: list[int]


@dataclass
class StoreClose(WriteOp):
    """Close, and give messages the agent never saw (they arrived while closing) a new interaction."""

    interaction_id: int
    by: str
    seen_inbound_id: int  # the latest customer message the interaction's actor had taken in
    disposition_id: int | None = None
    detail: str = ""
    on_reopened: Callable[[InboundResult], None] | None = None

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> Reopened | None:
        now = utcnow()
        row = await Interaction.filter(id=self.interaction_id).using_db(conn).first().values(
            "account_id", "queue_id", "customer_phone", "customer_name", "owner__username", "disposition__name")
        chosen = {} if self.disposition_id is None else {"disposition_id": self.disposition_id}  # else: as set before
        if await Interaction.filter(id=self.interaction_id, status="open").using_db(conn).update(
                status="closed", closed_at=now, **chosen):  # only the close that closed it is audited
            await audit_close(conn, self.interaction_id, self.by, row or {}, self.detail or None)
        await Transfer.filter(interaction_id=self.interaction_id, status="pending").using_db(conn).update(
            status="cancelled", resolved_at=now)
        await RoutingEvent.create(interaction_id=self.interaction_id, kind="closed", agents=[self.by],
                                  detail=self.detail, created_at=now, using_db=conn)
        if not row:
            return None
        conversation = (row["account_id"], row["customer_phone"])
        ctx.close_conversation(conversation, self.interaction_id)
        late = cast(list[int], await Message.filter(interaction_id=self.interaction_id, direction="in",
                                                    id__gt=self.seen_inbound_id).using_db(conn).order_by("id")
                    .values_list("id", flat=True))
        if not late:
            return None
        new_id = ctx.allocate_interaction_id()
        await Interaction.create(id=new_id, account_id=row["account_id"], queue_id=row["queue_id"],
                                 customer_phone=row["customer_phone"], customer_name=row["customer_name"],
                                 status="open", created_at=now, last_inbound_at=now, using_db=conn)
        await Message.filter(id__in=late).using_db(conn).update(interaction_id=new_id)
        ctx.open_conversation(conversation, new_id)
        return Reopened(new_id, row["queue_id"], list(late))

    def after_commit(self, result: Reopened | None) -> None:
        if result is None or self.on_reopened is None:
            return
        for n, message_id in enumerate(result.message_ids):
            self.on_reopened(InboundResult(message_id, result.interaction_id, result.queue_id, n == 0, False))


@dataclass
class StoreAgentMessage(WriteOp):
    """A message written by an agent: to the customer ("out", queued until sent) or a note. An outbound
    message may carry a stored file (`attachment`: content_type, filename, size, sha256) or be a template."""

    interaction_id: int
    direction: str  # out | note
    text: str
    sender: str
    status: str
    kind: str = "text"
    template: dict[str, Any] | None = None
    attachment: dict[str, Any] | None = None
    recipient: str | None = None  # a note that only this agent (and supervisors) may see

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> int:
        message = await Message.create(interaction_id=self.interaction_id, direction=self.direction,
                                       kind=self.kind, text=self.text, sender=self.sender, status=self.status,
                                       template=self.template, recipient=self.recipient, created_at=utcnow(),
                                       using_db=conn)
        if self.attachment is not None:
            await Attachment.create(message_id=message.id, state="stored", **self.attachment, using_db=conn)
        return message.id


@dataclass
class StoreFetchedMedia(WriteOp):
    """An inbound media file was fetched from the provider (stored) or could not be (failed)."""

    attachment_id: int
    state: str  # stored | failed
    content_type: str = ""
    size: int | None = None
    sha256: str | None = None
    error: str | None = None
    kind: str = ""  # the fetched file's WhatsApp kind: a message whose file came with no declared type takes it

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> tuple[int, int] | None:
        """Returns (interaction id, message id), or None when the attachment was no longer pending."""
        changes: dict[str, Any] = {"state": self.state, "size": self.size, "sha256": self.sha256,
                                   "error": self.error}
        if self.content_type:
            changes["content_type"] = self.content_type[:128]
        row = await Attachment.filter(id=self.attachment_id, state="pending").using_db(conn).first().values(
            "message_id", "message__interaction_id", "content_type", "message__kind", "message__text")
        if row is None or not await Attachment.filter(id=self.attachment_id, state="pending").using_db(conn).update(
                **changes):
            return None
        if not row["content_type"] and self.kind and self.kind != row["message__kind"]:  # undeclared type
            text = re.sub(r"^\[[a-z]+\]", f"[{self.kind}]", row["message__text"], count=1)
            await Message.filter(id=row["message_id"]).using_db(conn).update(kind=self.kind, text=text)
        return row["message__interaction_id"], row["message_id"]


async def _user_ids(conn: BaseDBAsyncClient, ctx: WriterContext, usernames: set[str]) -> dict[str, int]:
    """The ids of `usernames`, read once per process."""
    unknown = usernames - ctx.user_ids.keys()
    if unknown:
        ctx.user_ids.update(await User.filter(username__in=unknown).using_db(conn).values_list("username", "id"))
    return {name: ctx.user_ids[name] for name in usernames if name in ctx.user_ids}


async def _user_id(conn: BaseDBAsyncClient, username: str | None) -> int | None:
    if username is None:
        return None
    return cast(int | None, await User.filter(username=username).using_db(conn).first().values_list("id", flat=True))


@dataclass
class StoreSendResult(WriteOp):
    """What the provider said to our send: sent with its message id, or failed with its reason."""

    message_id: int
    status: str  # sent | failed
    external_key: str | None = None
    error: str | None = None

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> int | None:
        """Returns the message's interaction, or None when it was no longer queued."""
        changed = await Message.filter(id=self.message_id, status="queued").using_db(conn).update(
            status=self.status, external_key=self.external_key, error=self.error)
        if not changed:
            return None
        return cast(int | None, await Message.filter(id=self.message_id).using_db(conn).first().values_list(
            "interaction_id", flat=True))


# A delivery state only moves forward (a late "delivered" never undoes "read"); a failure counts
# unless the message already reached the phone.
LATER_THAN = {"sent": ("queued",), "delivered": ("queued", "sent"), "read": ("queued", "sent", "delivered"),
              "played": ("queued", "sent", "delivered", "read"), "failed": ("queued", "sent")}


@dataclass
class ApplyStatuses(WriteOp):
    """Provider status callbacks for one account; retries and stale states change nothing."""

    account_id: int
    updates: list[tuple[str, str, str | None]]  # (provider message id, status, error)

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> list[tuple[int, int, str]]:
        """Returns (interaction, message, new status) for every message that changed."""
        changed = []
        for provider_id, status, error in self.updates:
            if status == "deleted":  # the On-Premises API's word for a customer deleting their message
                await Message.filter(external_key=f"{self.account_id}:{provider_id}", direction="in",
                                     revoked_at=None).using_db(conn).update(revoked_at=utcnow())
                continue
            earlier = LATER_THAN.get(status)
            if earlier is None:
                continue  # a state we do not track (e.g. "deleted")
            key = f"{self.account_id}:{provider_id}"
            if await Message.filter(external_key=key, direction="out", status__in=earlier).using_db(conn).update(
                    status=status, error=error if status == "failed" else None):
                row = await Message.filter(external_key=key).using_db(conn).first().values("id", "interaction_id")
                changed.append((row["interaction_id"], row["id"], status))
        return changed
