"""Reading and working an interaction: details, messages, send, notes, read, close, transfer (R7-R10, R12)."""
from __future__ import annotations

import asyncio
import builtins
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, cast

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from server.actors import mail
from server.actors.bridge import ask
from server.actors.interaction import InteractionView
from server.actors.system import ActorSystem
from server.connectors.media_rules import content_type_of, outbound_limit, too_large
from server.connectors.voice import RECORDED, webm_to_ogg
from server.connectors.outbox import Outbox
from server.connectors.sending import Senders
from server.domain.canned import NAME_PARTS, fill, placeholder_values
from server.domain.events import MessageAdded
from server.domain.masking import Masking, masking_for
from server.domain.phone import whole_number
from server.domain.recontact import SYSTEM_SENDER, recontact_variables
from server.domain.templates import render as render_template
from server.domain.window import window_closed_reason, window_closes_at, window_open
from server.domain.nul import refuse_nul
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.persistence import participations, queries
from server.persistence.files import MediaFiles, StoredFile
from server.persistence.models import (Account, Attachment, Contact, Interaction, QueueSupervisor, RoutingEvent,
                                       Tag, User)
from server.persistence.writer import Writer
from server.persistence.writes import StoreAgentMessage
from server.services import list_rights
from server.services.access import interaction_to_edit, owned_interaction, readable_interaction
from server.services.audit import record
from server.services.auth import Principal
from server.services.settings import SettingsService
from server.services.views import interaction_view, iso, message_view

MAX_TEXT = 4096
MAX_TRANSFER_NOTE = 200


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"The {what} cannot be empty.")
    return _storable(value, what)


def _storable(value: str, what: str) -> str:
    """A text a message can hold: WhatsApp's length, and no NUL (which databases refuse)."""
    if len(value) > MAX_TEXT:
        raise Invalid(f"The {what} is limited to {MAX_TEXT} characters.")
    return refuse_nul(value, f"The {what}")


def _transfer_note(value: Any) -> str | None:
    """The sender's reason for a transfer: optional free text, trimmed, at most MAX_TRANSFER_NOTE characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid("The transfer's note must be text.", field="note")
    note = value.strip()
    if len(note) > MAX_TRANSFER_NOTE:
        raise Invalid(f"The transfer's note is limited to {MAX_TRANSFER_NOTE} characters.", field="note")
    return refuse_nul(note, "The transfer's note") or None


def _part(principal: Principal, row: dict[str, Any], left_reason: str | None) -> str | None:
    """An agent's part in the interaction of `row`: "owner" while they own it (also once closed), else how they
    left it; None for supervisors and admins."""
    if principal.sees_everything:
        return None
    if row["owner__username"] == principal.username:
        return "owner"
    return left_reason or "transferred"


class FileUpload(Protocol):
    """A file arriving as a stream, with the text fields sent beside it (complete once it is consumed)."""

    filename: str
    content_type: str
    fields: dict[str, str]

    def chunks(self) -> AsyncIterator[bytes]: ...


class InteractionService:
    def __init__(self, system: ActorSystem, writer: Writer, settings: SettingsService, senders: Senders,
                 outbox: Outbox, files: MediaFiles) -> None:
        self.files = files
        self.system = system
        self.writer = writer
        self.settings = settings
        self.senders = senders
        self.outbox = outbox

    def masking(self, principal: Principal) -> Masking:
        return masking_for(principal.role, self.settings.get("masking"))

    async def _live(self, interaction_id: int) -> InteractionView | None:
        ref = self.system.interaction(interaction_id)
        return None if ref is None else await ask(ref, mail.Snapshot)

    async def get(self, principal: Principal, interaction_id: int) -> dict[str, Any]:
        row = await readable_interaction(principal, interaction_id)
        left_at = row["left_at"]  # an agent who left it reads what it held until then
        unread = (await queries.unread_counts([interaction_id])).get(interaction_id, 0)
        live = await self._live(interaction_id) if row["status"] == "open" and left_at is None else None
        transfer = None
        if live is not None and live.transfer_to:
            transfer = {"to": live.transfer_to, "targets": live.transfer_targets,
                        "expires_at": iso(live.transfer_deadline)}
        last = (await queries.last_messages([interaction_id], {interaction_id: left_at} if left_at else None)).get(
            interaction_id)
        tags = (await queries.interaction_tags([interaction_id])).get(interaction_id, [])
        view = interaction_view(row, unread, masking=self.masking(principal), tags=tags, last_message=last,
                                transfer=transfer, lists=await list_rights.list_ids(principal, "view"),
                                viewer=principal.username, part=_part(principal, row, row["left_reason"]))
        view["history"] = await self.history(interaction_id, until=left_at)
        return view

    async def edit(self, principal: Principal, interaction_id: int, body: Any) -> dict[str, Any]:
        """Its tags (the whole set) and disposition (SPEC C6, L1), by the agent who owns it, supervisors and
        admins (an agent who left it only reads it). Audited with the values before and after."""
        if not isinstance(body, dict) or not body or set(body) - {"tags", "disposition"}:
            raise Invalid("Send tags (a list of tag names) and/or disposition.")
        row = await interaction_to_edit(principal, interaction_id)
        before = {"tags": (await queries.interaction_tags([interaction_id])).get(interaction_id, []),
                  "disposition": row["disposition__name"]}
        after = dict(before)
        tags: list[Tag] | None = None
        if "tags" in body:
            names = body["tags"]
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise Invalid("tags must be a list of tag names.")
            tags = await Tag.filter(name__in=names)
            missing = sorted(set(names) - {t.name for t in tags})
            if missing:
                raise Invalid(f"There is no tag {missing[0]!r}; an administrator defines tags.")
            after["tags"] = sorted(t.name for t in tags)
        disposition_id = row["disposition_id"]
        if "disposition" in body:
            disposition_id, after["disposition"] = None, None
            if body["disposition"] not in (None, ""):
                found = await queries.find_disposition(body["disposition"]) if isinstance(
                    body["disposition"], (str, int)) else None
                if found is None:
                    raise Invalid(f"There is no disposition {body['disposition']!r}.")
                disposition_id, after["disposition"] = found.id, found.name
        async with in_transaction():
            interaction = await Interaction.get(id=interaction_id)
            if tags is not None:
                await interaction.tags.clear()
                await interaction.tags.add(*tags)
            await Interaction.filter(id=interaction_id).update(disposition_id=disposition_id)
            await record(principal, "interaction.update", f"interaction {interaction_id}", before, after)
        return await self.get(principal, interaction_id)

    async def history(self, interaction_id: int, *, until: datetime | None = None) -> list[dict[str, Any]]:
        """Its routing history; `until`: what happened by then (an agent who left it sees no later step)."""
        query = RoutingEvent.filter(interaction_id=interaction_id)
        if until is not None:
            query = query.filter(created_at__lte=until)
        rows = await query.order_by("id").values(
            "kind", "agents", "detail", "created_at")
        return [{"kind": r["kind"], "agents": r["agents"], "detail": r["detail"], "at": iso(r["created_at"])}
                for r in rows]

    async def list(self, principal: Principal, f: queries.InteractionFilter) -> tuple[list[dict[str, Any]], int]:
        """Agents see the interactions they took part in (owned, or owned until they transferred it or it was
        returned to its queue), each with their part; supervisors and admins see all. A field masked for the
        viewer is searched whole only (the full number or name): parts would probe it one guess at a time."""
        masking = self.masking(principal)
        region = self.settings.default_region
        f = replace(f, masking=masking, text_e164=whole_number(f.text or "", region),
                    phone_e164=whole_number(f.phone or "", region))
        if not principal.sees_everything:
            f = replace(f, participant=principal.id)
        rows, total = await queries.list_interactions(f)
        ids = [r["id"] for r in rows]
        left = {} if principal.sees_everything else await participations.left_parts(
            principal.id, [r["id"] for r in rows if r["owner__username"] != principal.username])
        unread = await queries.unread_counts(ids)
        last = await queries.last_messages(ids, {i: part.at for i, part in left.items()})
        unmanaged = await queries.unmanaged_counts(rows)
        tags = await queries.interaction_tags(ids)
        lists = await list_rights.list_ids(principal, "view")
        views = []
        for row in rows:
            part = left.get(row["id"])
            view = interaction_view(row, unread.get(row["id"], 0), masking=masking, tags=tags.get(row["id"], []),
                                    last_message=last.get(row["id"]), lists=lists, viewer=principal.username,
                                    part=_part(principal, row, part.reason if part else None))
            view["unmanaged"] = unmanaged.get((row["account__key"], row["customer_phone"]), 0)
            views.append(view)
        return views, total

    async def messages(self, principal: Principal, interaction_id: int, *, before: int | None = None,
                       limit: int = 100) -> builtins.list[dict[str, Any]]:
        row = await readable_interaction(principal, interaction_id)
        if not 1 <= limit <= 500:
            raise Invalid("limit must be from 1 to 500.")
        masking = self.masking(principal)
        agent = None if principal.sees_everything else principal.username
        return [message_view(m, masking, with_payload=principal.role == "admin")
                for m in await queries.messages_of(interaction_id, before=before, limit=limit, agent=agent,
                                                   until=row["left_at"])]

    async def message(self, principal: Principal, interaction_id: int, message_id: int) -> dict[str, Any] | None:
        """One message as `messages` shows it to the principal; None when it is not theirs to read."""
        interaction = await readable_interaction(principal, interaction_id)
        row = await queries.message_of(interaction_id, message_id, interaction["left_at"])
        if row is None or (row["recipient"] and not principal.sees_everything and row["recipient"] !=
                           principal.username):
            return None
        return message_view(row, self.masking(principal), with_payload=principal.role == "admin")

    async def send_text(self, principal: Principal, interaction_id: int, text: Any) -> dict[str, Any]:
        """Store the message as queued (placeholders such as {first_name} filled with the customer's real
        details); the outbox sends it (and retries) off the request path."""
        text = _text(text, "message")
        row = await self._writable(principal, interaction_id)
        self._require_window(row)
        text = _text(fill(text, self._placeholders(principal, row)), "message")
        return await self._queue_out(principal, interaction_id, text)

    async def canned_answers(self, principal: Principal, interaction_id: int,
                             search: str = "") -> builtins.list[dict[str, Any]]:
        """The canned answers for this conversation, filled for the viewer: a detail masked for them keeps
        its placeholder (it is filled when the message is sent)."""
        row = await owned_interaction(principal, interaction_id)
        values = self._placeholders(principal, row)
        masking = self.masking(principal)
        if masking.name != "none":
            values = {k: v for k, v in values.items() if k not in NAME_PARTS}
        if masking.phone != "none":
            values.pop("phone", None)
        return [{"name": answer["name"], "text": fill(answer["body"], values)}
                for answer in await queries.canned_answers(search)]

    @staticmethod
    def _placeholders(principal: Principal, row: dict[str, Any]) -> dict[str, str]:
        return placeholder_values(row["customer_name"] or "", row["customer_phone"],
                                  principal.full_name or principal.username)

    async def send_template(self, principal: Principal, interaction_id: int, template_ref: Any,
                            variables: Any = None) -> dict[str, Any]:
        """A template the provider approved: allowed whether or not the customer service window is open."""
        row = await self._writable(principal, interaction_id)
        if not isinstance(template_ref, (str, int)) or template_ref == "":
            raise Invalid("template must be a template's name or id.")
        if variables is None:
            variables = []
        if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
            raise Invalid("variables must be a list of texts.")
        template = await queries.find_template(template_ref)
        if template is None or not (template.available_for_agents or principal.role == "admin"):
            raise NotFound(f"There is no template {template_ref!r} for agents.")
        text = render_template(template.body, variables)
        return await self._queue_out(principal, interaction_id, text, kind="template",
                                     template=self._template_content(template, row, variables))

    @staticmethod
    def _template_content(template: Any, row: dict[str, Any], variables: builtins.list[str]) -> dict[str, Any]:
        """What the outbox sends: the template as the account's provider knows it."""
        ids = template.provider_ids or {}
        provider_id = ids.get(row["account__key"]) or ids.get(row["account__provider"]) or ""
        return {"name": template.name, "language": template.language, "variables": variables,
                "provider_id": provider_id}

    async def send_file(self, principal: Principal, interaction_id: int, upload: FileUpload) -> dict[str, Any]:
        """One attachment (with an optional caption, the form's `text`): its type and size are checked
        against the provider's limits and the admin's, while it streams to disk."""
        row = await self._writable(principal, interaction_id)
        self._require_window(row)
        policy = self.settings.get("attachments")
        if not policy["enabled"]:
            raise Conflict("Attachments are disabled by the administrator.", code="attachments_disabled")
        content_type = content_type_of(upload.content_type, upload.filename)
        recorded = content_type in RECORDED
        kind, limit = outbound_limit(row["account__provider"], "audio/ogg" if recorded else content_type,
                                     int(policy["max_mb"]))
        stored = await self.files.write(upload.chunks(), limit, lambda: too_large(kind, limit))
        if recorded:
            stored, content_type = await self._voice_note(stored), "audio/ogg"
        caption = _storable(upload.fields.get("text", ""), "caption")
        filename = "voice-message.ogg" if recorded else (upload.filename or kind).replace("/", "_").replace(
            "\\", "_").replace("\x00", "_")[-255:]
        return await self._queue_out(principal, interaction_id, caption, kind=kind, attachment={
            "content_type": content_type, "filename": filename, "size": stored.size, "sha256": stored.sha256})

    async def _voice_note(self, recording: StoredFile) -> StoredFile:
        """A browser recording (Opus in WebM) as WhatsApp's voice note (Opus in Ogg)."""
        target = self.files.scratch()
        try:
            await asyncio.to_thread(webm_to_ogg, self.files.path_of(recording.sha256), target)
            return await self.files.adopt(target)
        finally:
            target.unlink(missing_ok=True)
            if not await Attachment.filter(sha256=recording.sha256).exists():
                self.files.forget(recording.sha256)

    async def file_of(self, principal: Principal, interaction_id: int, message_id: int) -> tuple[Path, str, str]:
        """(path, content type, file name) of a stored attachment the principal may read."""
        row = await readable_interaction(principal, interaction_id)
        stored_by = {} if row["left_at"] is None else {"message__created_at__lte": row["left_at"]}
        file = await Attachment.filter(message_id=message_id, message__interaction_id=interaction_id,
                                       state="stored", **stored_by).first()
        if file is None or file.sha256 is None:
            raise NotFound("This message has no stored file.")
        return self.files.path_of(file.sha256), file.content_type, file.filename

    async def _writable(self, principal: Principal, interaction_id: int) -> dict[str, Any]:
        """The interaction's row when the principal may send on it now."""
        row = await owned_interaction(principal, interaction_id)
        self._require_open(row)
        self.senders.for_provider(row["account__provider"])  # refuse now what could never be sent
        return row

    @staticmethod
    def _require_window(row: dict[str, Any]) -> None:
        """SPEC T1, enforced here whatever the client: free text and files only while the window is open."""
        closes_at = window_closes_at(row["account__provider"], row["account__window_hours"], row["last_inbound_at"])
        if not window_open(closes_at, datetime.now(timezone.utc)):
            raise Invalid(window_closed_reason(row["account__provider"], row["account__window_hours"],
                                               row["last_inbound_at"]), code="window_expired")

    async def recontact(self, principal: Principal, interaction_id: int) -> dict[str, Any]:
        """SPEC T2: on an open interaction whose window closed, the account's recontact template, from
        "System", with the customer's first name and the agent's name for its variables."""
        row = await self._writable(principal, interaction_id)
        closes_at = window_closes_at(row["account__provider"], row["account__window_hours"], row["last_inbound_at"])
        if window_open(closes_at, datetime.now(timezone.utc)):
            raise Conflict("The customer can still be written to freely: no recontact template is needed.",
                           code="window_open")
        name = cast(list[str | None], await Account.filter(key=row["account__key"]).values_list(
            "recontact_template", flat=True))[0]
        template = await queries.find_template(name) if name else None
        if template is None:
            raise Conflict("This account has no recontact template: an administrator sets one.",
                           code="no_recontact_template")
        first_name = (row.get("contact__first_name") or row["customer_name"] or "").split(" ")[0] or "there"
        variables = recontact_variables(template.body, first_name, principal.full_name or principal.username)
        return await self._queue_out(principal, interaction_id, render_template(template.body, variables),
                                     sender=SYSTEM_SENDER, kind="template",
                                     template=self._template_content(template, row, variables))

    async def _queue_out(self, principal: Principal, interaction_id: int, text: str, *, sender: str | None = None,
                         **content: Any) -> dict[str, Any]:
        message_id = await self.writer.submit(StoreAgentMessage(
            interaction_id, "out", text, sender or principal.full_name or principal.username, "queued", **content))
        self.system.hub.publish(MessageAdded(interaction_id, message_id, "out"))
        message = await self._message(principal, interaction_id, message_id)
        self.outbox.enqueue(message_id, interaction_id)
        return message

    async def add_note(self, principal: Principal, interaction_id: int, text: Any) -> dict[str, Any]:
        """An internal note: kept with the conversation, never sent to the customer."""
        text = _text(text, "note")
        row = await owned_interaction(principal, interaction_id)
        self._require_open(row)
        message_id = await self.writer.submit(StoreAgentMessage(
            interaction_id, "note", text, principal.full_name or principal.username, "internal"))
        self.system.hub.publish(MessageAdded(interaction_id, message_id, "note"))
        return await self._message(principal, interaction_id, message_id)

    async def add_supervisor_note(self, principal: Principal, interaction_id: int, text: Any) -> dict[str, Any]:
        """A supervisor watching a live interaction (SPEC S2) writes to its owner: a note that only the owner
        sees (and supervisors), unread for the owner until they read the conversation, as a customer's message
        is; it never reaches the customer."""
        if not principal.sees_everything:
            raise Forbidden("Only supervisors and administrators can write to an agent from the board.")
        text = _text(text, "note")
        row = await readable_interaction(principal, interaction_id)
        self._require_open(row)
        owner = row["owner__username"]
        if owner is None:
            raise Conflict("Nobody has accepted this interaction yet: there is no agent to write to.",
                           code="no_owner")
        sender = f"{principal.full_name or principal.username} (supervisor)"
        note = StoreAgentMessage(interaction_id, "note", text, sender, "internal", recipient=owner)
        message_id = await ask(self.system.interaction(interaction_id),  # unread for its recipient
                               lambda reply: mail.SupervisorNote(note, owner, reply))
        self.system.hub.publish(MessageAdded(interaction_id, message_id, "note"))
        return await self._message(principal, interaction_id, message_id)

    async def return_to_queue(self, principal: Principal, interaction_id: int) -> dict[str, Any]:
        """A supervisor of the interaction's queue (or an admin) takes it from its owner, e.g. an agent who
        left without closing: it waits in its queue again and is offered as any waiting one (audited)."""
        if not principal.sees_everything:
            raise Forbidden("Only supervisors and administrators can return a conversation to its queue.")
        row = await readable_interaction(principal, interaction_id)
        self._require_open(row)
        if principal.role != "admin" and not await QueueSupervisor.filter(
                user_id=principal.id, queue__name=row["queue__name"]).exists():
            raise Forbidden(f"You do not supervise the queue {row['queue__name']}.")
        owner = row["owner__username"]
        if owner is None:
            raise Conflict("Nobody owns this interaction: it is waiting in its queue already.", code="no_owner")
        ref = self.system.interaction(interaction_id)
        if ref is None:  # closed meanwhile
            raise Conflict("This interaction is closed.", code="closed")
        reason = f"returned to the queue by {principal.username}"
        return await ask(ref, lambda reply: mail.ReturnToQueue(owner, reason, principal.username, reply))

    async def mark_read(self, principal: Principal, interaction_id: int) -> dict[str, Any]:
        """The owner read it: unread goes to zero. Anyone else reading changes nothing."""
        row = await readable_interaction(principal, interaction_id)
        ref = self.system.interaction(interaction_id)
        if row["status"] != "open" or ref is None or row["owner__username"] != principal.username:
            unread = (await queries.unread_counts([interaction_id])).get(interaction_id, 0)
            counts = row["status"] == "open" and row["left_at"] is None  # nothing is unread for who left it
            return {"interaction_id": interaction_id, "unread": unread if counts else 0}
        result = await ask(ref, lambda reply: mail.MarkRead(principal.username, reply))
        return {"interaction_id": interaction_id, "unread": result["unread"]}

    async def close(self, principal: Principal, interaction_id: int, disposition: Any = None) -> dict[str, Any]:
        row = await owned_interaction(principal, interaction_id)
        self._require_open(row)
        disposition_id, disposition_name = None, None
        if disposition not in (None, ""):
            if not isinstance(disposition, (str, int)):
                raise Invalid("disposition must be a disposition's name or id.")
            found = await queries.find_disposition(disposition)
            if found is None:
                raise Invalid(f"There is no disposition {disposition!r}.")
            disposition_id, disposition_name = found.id, found.name
        ref = self._ref(interaction_id)
        return await ask(ref, lambda reply: mail.Close(principal.username, reply, disposition_id, disposition_name))

    async def transfer(self, principal: Principal, interaction_id: int, *, agent: Any = None,
                       queue: Any = None, note: Any = None) -> dict[str, Any]:
        """Offer the interaction to an online agent or to a queue's online agents (SPEC R7), with the sender's
        optional `note` (why). A queue with nobody online but the sender is refused (Conflict `nobody_online`)
        before anything is stored or offered."""
        policy = self.settings.get("transfer")
        if not policy["enabled"]:
            raise Conflict("Transfers are disabled by the administrator.", code="transfer_disabled")
        if (agent in (None, "")) == (queue in (None, "")):
            raise Invalid("Transfer to exactly one of: agent, queue.")
        reason = _transfer_note(note)
        row = await owned_interaction(principal, interaction_id)
        self._require_open(row)
        timeout = float(self.settings.get("agent_timeout"))
        ref = self._ref(interaction_id)
        if agent not in (None, ""):
            if policy["to"] == "queues":
                raise Conflict("Transfers go to queues only.", code="transfer_not_allowed")
            user = await queries.find_user(agent)
            if user is None or user.disabled:
                raise NotFound(f"There is no agent {agent!r}.")
            if user.username == principal.username:
                raise Invalid("You already own this interaction.")
            desk = self.system.desk(user.username)
            view = await ask(desk, mail.Snapshot) if desk is not None else None
            if view is None or view.state != "online":
                raise Conflict(f"{user.username} is not online.", code="agent_not_online")
            return await ask(ref, lambda reply: mail.StartTransfer(
                principal.username, frozenset({user.username}), timeout, reply, to_agent=user.username,
                note=reason))
        if policy["to"] == "agents":
            raise Conflict("Transfers go to agents only.", code="transfer_not_allowed")
        found = await queries.find_queue(queue)
        if found is None:
            raise NotFound(f"There is no queue {queue!r}.")
        targets = frozenset(await self._online_members(found.name)) - {principal.username}
        if not targets:
            raise Conflict(f"Nobody else in queue {found.name} is online to take the transfer.",
                           code="nobody_online")
        return await ask(ref, lambda reply: mail.StartTransfer(
            principal.username, targets, timeout, reply, to_queue=found.name, to_queue_id=found.id, note=reason))

    async def transfer_targets(self, principal: Principal,
                               interaction_id: int) -> dict[str, builtins.list[dict[str, Any]]]:
        """Whom the owner may transfer to now (SPEC D9): online agents and/or queues, as the setting allows.
        Each queue with `agents_online`: how many of its members besides the owner could take it now (a queue
        with none is refused by `transfer`)."""
        row = await owned_interaction(principal, interaction_id)
        self._require_open(row)
        policy = self.settings.get("transfer")
        agents: list[dict[str, Any]] = []
        queues: list[dict[str, Any]] = []
        if not policy["enabled"]:
            return {"agents": agents, "queues": queues}
        members = {name: set(await self._online_members(name)) - {principal.username}
                   for name in self.system.queue_names()}
        if policy["to"] in ("agents", "both"):
            online: set[str] = set().union(*members.values())
            names = dict(await User.filter(username__in=online).values_list("username", "full_name"))
            agents = [{"username": u, "name": names.get(u) or u} for u in sorted(online)]
        if policy["to"] in ("queues", "both"):
            queues = [{"name": name, "agents_online": len(online_here)} for name, online_here in members.items()]
        return {"agents": agents, "queues": queues}

    async def _online_members(self, queue: str) -> builtins.list[str]:
        """The members of `queue` online now (none when its actor is not running)."""
        ref = self.system.queue(queue)
        return await ask(ref, mail.AvailableMembers) if ref is not None else []

    async def journey(self, principal: Principal, interaction_id: int) -> builtins.list[dict[str, Any]]:
        """The customer's interactions (same account and number, or same contact when the viewer may see
        the contact's list), newest first: when, with whom, how it ended (SPEC C6)."""
        row = await readable_interaction(principal, interaction_id)
        same = Q(account__key=row["account__key"], customer_phone=row["customer_phone"])
        if row["contact_id"] is not None:
            contact_list = cast(list[int | None], await Contact.filter(id=row["contact_id"]).values_list(
                "list_id", flat=True))
            if contact_list and await list_rights.allowed(principal, contact_list[0], "view"):
                same |= Q(contact_id=row["contact_id"])
        rows = await Interaction.filter(same).order_by("-created_at").limit(50).values(
            "id", "status", "created_at", "closed_at", "owner__username", "first_agent__username", "queue__name",
            "disposition__name")
        return [{"id": r["id"], "status": r["status"], "created_at": iso(r["created_at"]),
                 "closed_at": iso(r["closed_at"]), "agent": r["owner__username"] or r["first_agent__username"],
                 "queue": r["queue__name"], "disposition": r["disposition__name"], "current": r["id"] == interaction_id}
                for r in rows]

    def _ref(self, interaction_id: int) -> Any:
        ref = self.system.interaction(interaction_id)
        if ref is None:
            raise Conflict("This interaction is closed.", code="closed")
        return ref

    @staticmethod
    def _require_open(row: dict[str, Any]) -> None:
        if row["status"] != "open":
            raise Conflict("This interaction is closed.", code="closed")

    async def _message(self, principal: Principal, interaction_id: int, message_id: int) -> dict[str, Any]:
        row = await queries.message_of(interaction_id, message_id)
        assert row is not None
        return message_view(row, self.masking(principal))
