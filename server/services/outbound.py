"""New conversations an agent starts (SPEC T4): from the desk's "+" or `POST /api/v1/outbound`.

The number is read in the workspace's region and its contact found in any format; then exactly one case
applies: the conversation is open already (with another agent: refused, naming them), the customer is
not a contact yet (a template opens it), the window closed or never opened (a template), or the window is
open (free text, or a template). The new interaction is the agent's from the start: offered to nobody.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, cast

from server.actors.system import ActorSystem
from server.domain.masking import Masking
from server.domain.phone import normalize_phone
from server.domain.templates import render as render_template
from server.domain.window import window_closed_reason, window_closes_at, window_open
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.persistence import queries
from server.persistence.models import Account, Interaction
from server.persistence.outbound_writes import OpenOutbound, OutboundOpened
from server.persistence.writer import Writer
from server.services import campaigns
from server.services.auth import Principal
from server.services.contacts import visible_contact_id
from server.services.interactions import InteractionService
from server.services.settings import SettingsService
from server.services.views import iso

TEMPLATE, FREE_TEXT = "template", "free_text"


@dataclass(frozen=True)
class Situation:
    """What may open the conversation, and why."""

    account: Account
    phone: str
    case: str  # TEMPLATE | FREE_TEXT
    reason: str
    contact_id: int | None
    window_closes_at: datetime | None


class OutboundService:
    def __init__(self, system: ActorSystem, writer: Writer, settings: SettingsService,
                 interactions: InteractionService) -> None:
        self.system = system
        self.writer = writer
        self.settings = settings
        self.interactions = interactions

    async def accounts(self, principal: Principal) -> list[str]:
        """The accounts `principal` may start conversations from: those routed to their queues."""
        queues = await queries.queue_names_of(principal.username)
        return list(cast(list[str], await Account.filter(queue__name__in=queues).order_by("key").values_list(
            "key", flat=True)))

    async def check(self, principal: Principal, account_ref: Any, phone: Any) -> dict[str, Any]:
        """For the "+" dialog: which case applies, as the agent may see it (the number masked for them)."""
        found = await self._situation(principal, account_ref, phone)
        masking: Masking = self.interactions.masking(principal)
        return {"account": found.account.key, "phone": masking.of_phone(found.phone), "case": found.case,
                "reason": found.reason, "contact_id": found.contact_id,
                "window_closes_at": iso(found.window_closes_at)}

    async def start(self, principal: Principal, body: Any) -> dict[str, Any]:
        """`{"account", "phone", "template"?, "variables"?, "text"?}` -> the new interaction and its first
        message. Everything is checked before the interaction is opened."""
        if not isinstance(body, dict) or set(body) - {"account", "phone", "template", "variables", "text"}:
            raise Invalid("Send account, phone, and either text or template (with its variables).")
        if ("text" in body) == ("template" in body):
            raise Invalid("Send either text or a template.")
        found = await self._situation(principal, body.get("account"), body.get("phone"))
        if "text" in body:
            if found.case == TEMPLATE:
                raise Invalid(found.reason, code="window_expired")
            if not isinstance(body["text"], str) or not body["text"].strip() or len(body["text"]) > 4096:
                raise Invalid("The message must be 1 to 4096 characters.")
        else:
            template = await queries.find_template(body["template"]) if isinstance(body["template"], (str, int)) \
                else None
            if template is None or not (template.available_for_agents or principal.role == "admin"):
                raise NotFound(f"There is no template {body['template']!r} for agents.")
            variables = body.get("variables") or []
            if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
                raise Invalid("variables must be a list of texts.")
            render_template(template.body, variables)  # every variable given, before anything is opened
        opened: OutboundOpened = await self.writer.submit(OpenOutbound(
            found.account.id, found.account.queue_id, found.phone, principal.id, principal.username))
        if not opened.created:
            raise self._open_already(principal, opened.interaction_id, opened.owner)
        self.system.outbound_opened(opened.interaction_id, found.account.queue_id, principal.username)
        if "text" in body:
            message = await self.interactions.send_text(principal, opened.interaction_id, body["text"])
        else:
            message = await self.interactions.send_template(principal, opened.interaction_id, body["template"],
                                                            body.get("variables") or [])
        return {"interaction": await self.interactions.get(principal, opened.interaction_id), "message": message}

    async def _situation(self, principal: Principal, account_ref: Any, raw_phone: Any) -> Situation:
        if not isinstance(account_ref, (str, int)) or account_ref == "":
            raise Invalid("Choose the account to write from.")
        account = await queries.find_account(account_ref)
        if account is None:
            raise NotFound(f"There is no account {account_ref!r}.")
        queue = self.system.queue_name(account.queue_id)
        if self.system.desk(principal.username) is None or queue not in await queries.queue_names_of(
                principal.username):
            raise Forbidden(f"Only agents of the queue {queue} can start conversations from {account.key}.")
        if not isinstance(raw_phone, str):
            raise Invalid("Give the customer's phone number.")
        phone = normalize_phone(raw_phone, self.settings.default_region)
        campaign = await campaigns.pending_for(account.id, phone)
        if campaign is not None:
            raise Conflict(f"Campaign {campaign!r} has a message still to send to this customer: wait until it "
                           "has gone.", code="campaign_pending")
        open_row = await Interaction.filter(account_id=account.id, customer_phone=phone, status="open").first(
        ).values("id", "owner__username")
        if open_row:
            raise self._open_already(principal, open_row["id"], open_row["owner__username"])
        contact_id = await visible_contact_id(principal, phone)  # one in a hidden list is none of theirs
        last_inbound = cast(datetime | None, await Interaction.filter(
            account_id=account.id, customer_phone=phone).exclude(last_inbound_at=None).order_by(
            "-last_inbound_at").first().values_list("last_inbound_at", flat=True))
        closes_at = window_closes_at(account.provider, account.window_hours, last_inbound)
        if contact_id is None:
            return Situation(account, phone, TEMPLATE, "This number is not a contact yet: start with a template.",
                             None, closes_at)
        if not window_open(closes_at, datetime.now(timezone.utc)):
            return Situation(account, phone, TEMPLATE,
                             window_closed_reason(account.provider, account.window_hours, last_inbound),
                             contact_id, closes_at)
        return Situation(account, phone, FREE_TEXT, "The customer's window is open: write freely.", contact_id,
                         closes_at)

    @staticmethod
    def _open_already(principal: Principal, interaction_id: int, owner: str | None) -> Conflict:
        if owner == principal.username:
            return Conflict(f"You have this conversation open already (interaction {interaction_id}).",
                            code="open_already")
        if owner is None:
            return Conflict("This customer's conversation is waiting in the queue: accept it from there.",
                            code="waiting")
        return Conflict(f"This customer's conversation is open with {owner}.", code="owned")
