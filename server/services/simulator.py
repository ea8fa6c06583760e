"""The customer simulator (SPEC W6): an administrator plays a WhatsApp customer of a sandbox account, so the
whole product can be tried with no WhatsApp account.

A testing tool: whoever uses it reads and writes any sandbox conversation as its customer, so it is for
administrators only, and only while the workspace setting `simulator.enabled` is on (off by default; on in
the demo workspace)."""
from __future__ import annotations

import logging
import random
from typing import Any, cast
from uuid import uuid4

from server.domain.nul import refuse_nul
from server.domain.phone import normalize_phone, readable_phone
from server.errors import Forbidden, Invalid, NotFound
from server.persistence import queries
from server.persistence.models import Account, Interaction, Message
from server.services.auth import Principal
from server.services.inbound import MAX_TEXT, InboundService
from server.services.settings import SettingsService
from server.services.views import iso

log = logging.getLogger(__name__)

PROVIDER = "sandbox"
SEEN_STATES = ("delivered", "read")
MAX_LIMIT = 500
MAX_SEEN = 500  # message ids in one report


def random_customer_phone(rng: random.Random | None = None) -> str:
    """A valid Italian mobile number in the form the product shows numbers: '+39 333 123 4567'."""
    digits = (rng or random).randrange(10**7)
    return readable_phone(f"+39333{digits:07d}")


class SimulatorService:
    def __init__(self, inbound: InboundService, settings: SettingsService) -> None:
        self.inbound = inbound
        self.settings = settings

    def available_to(self, principal: Principal) -> bool:
        return principal.role == "admin" and self.settings.get("simulator")["enabled"]

    def check_allowed(self, principal: Principal) -> None:
        """Refuses anyone but an administrator, and everyone while the simulator is switched off."""
        if self.available_to(principal):
            return
        if principal.role != "admin":
            raise Forbidden("Only administrators can use the customer simulator.")
        raise Forbidden("The customer simulator is switched off; an administrator can switch it on in Settings.",
                        code="simulator_off")

    async def accounts(self, principal: Principal) -> list[str]:
        """Keys of the sandbox accounts, in order."""
        self.check_allowed(principal)
        return list(cast(list[str], await Account.filter(provider=PROVIDER).order_by("key").values_list(
            "key", flat=True)))

    async def send(self, principal: Principal, account_key: str, phone: str, text: str,
                   name: str = "") -> dict[str, int | None]:
        """The customer writes: stored and routed as any inbound message of that account."""
        self.check_allowed(principal)
        if not isinstance(text, str) or not text.strip():
            raise Invalid("The message cannot be empty.")
        if len(text) > MAX_TEXT:
            raise Invalid(f"The message is limited to {MAX_TEXT} characters.")
        refuse_nul(text + (name or ""), "The message")
        account = await self._account(account_key)
        sender = normalize_phone(phone)
        log.info("simulator: %s writes as a customer through %s", principal.username, account.key)
        result = await self.inbound.receive(account, f"sim-{uuid4().hex}", sender, text,
                                            name=(name or "").strip())
        return {"interaction_id": result.interaction_id, "message_id": result.message_id}

    async def conversation(self, principal: Principal, account_key: str, phone: str,
                           limit: int = 50) -> tuple[int | None, list[dict[str, Any]]]:
        """The latest open (else latest) interaction of this customer, and its last `limit` messages as the
        customer's phone shows them: theirs ("in") and the agents' ("out"); internal notes never."""
        self.check_allowed(principal)
        if not 1 <= limit <= MAX_LIMIT:
            raise Invalid(f"limit must be from 1 to {MAX_LIMIT}.")
        account = await self._account(account_key)
        interaction_id = await self._latest_interaction(account.id, normalize_phone(phone))
        if interaction_id is None:
            return None, []
        rows = await queries.messages_of(interaction_id, limit=limit, include_notes=False)
        return interaction_id, [_customer_view(row) for row in rows if row["direction"] in ("in", "out")]

    async def mark_seen(self, principal: Principal, account_key: str, message_ids: list[int], status: str) -> int:
        """The customer's phone reports agent messages "delivered" or "read"; states only move forward.
        Only outbound messages of this account are touched. Returns how many moved."""
        self.check_allowed(principal)
        if status not in SEEN_STATES:
            raise Invalid(f"status must be one of: {', '.join(SEEN_STATES)}.")
        if not isinstance(message_ids, list) or not all(isinstance(i, int) for i in message_ids):
            raise Invalid("message_ids must be a list of message ids.")
        if len(message_ids) > MAX_SEEN:
            raise Invalid(f"At most {MAX_SEEN} messages at once.")
        account = await self._account(account_key)
        if not message_ids:
            return 0
        prefix = f"{account.id}:"
        keys = cast(list[str], await Message.filter(
            id__in=message_ids, direction="out", interaction__account_id=account.id,
            external_key__startswith=prefix).values_list("external_key", flat=True))
        updates: list[tuple[str, str, str | None]] = [(key.split(":", 1)[1], status, None) for key in keys]
        return await self.inbound.apply_statuses(account, updates)

    async def _account(self, key: str) -> Account:
        if not isinstance(key, str) or not key:
            raise NotFound("Choose a sandbox account.")
        account = await self.inbound.account(key, PROVIDER)
        if account.provider != PROVIDER:  # the inbound cache may hold the key for another provider
            raise NotFound(f"There is no sandbox account {key!r}.")
        return account

    @staticmethod
    async def _latest_interaction(account_id: int, phone: str) -> int | None:
        conversation = Interaction.filter(account_id=account_id, customer_phone=phone)
        found = cast(int | None, await conversation.filter(status="open").order_by("-id").first().values_list(
            "id", flat=True))
        if found is None:
            found = cast(int | None, await conversation.order_by("-id").first().values_list("id", flat=True))
        return found


def _customer_view(row: dict[str, Any]) -> dict[str, Any]:
    file = row.get("attachment")
    return {
        "id": row["id"],
        "direction": row["direction"],
        "text": row["text"],
        "status": row["status"],
        "created_at": iso(row["created_at"]),
        "kind": row["kind"],
        "attachment": None if file is None else {
            "content_type": file["content_type"], "filename": file["filename"], "size": file["size"]},
    }
