"""Inbound customer messages: find the account, normalize the number, store (group commit), route."""
from __future__ import annotations

from server.actors.system import ActorSystem
from server.domain.phone import normalize_phone
from server.errors import Invalid, NotFound
from server.persistence.models import Account
from server.persistence.writer import Writer
from server.actors.events import MessageStatusChanged
from server.persistence.writes import ApplyStatuses, InboundResult, StoreInbound

MAX_PROVIDER_ID = 150


class InboundService:
    def __init__(self, system: ActorSystem, writer: Writer) -> None:
        self.system = system
        self.writer = writer
        self._accounts: dict[str, Account] = {}

    async def account(self, key: str, provider: str) -> Account:
        account = self._accounts.get(key)
        if account is None:
            account = await Account.get_or_none(key=key)
            if account is None or account.provider != provider:
                raise NotFound(f"There is no {provider} account {key!r}.")
            self._accounts[key] = account
        return account

    def forget_account(self, key: str) -> None:
        """Call after an account changes, so the next message reads it afresh."""
        self._accounts.pop(key, None)

    async def receive(self, account: Account, provider_message_id: str, sender: str, text: str, *,
                      name: str = "", kind: str = "text") -> InboundResult:
        """Acknowledge only after this returns: the message is committed; a provider retry is a duplicate."""
        if not provider_message_id or len(provider_message_id) > MAX_PROVIDER_ID:
            raise Invalid("The message id is missing or too long.")
        phone = normalize_phone(sender)
        op = StoreInbound(account.id, account.queue_id, provider_message_id, phone, (name or "").strip()[:128],
                          text, kind, on_committed=self.system.deliver_inbound)
        return await self.writer.submit(op)

    async def apply_statuses(self, account: Account, updates: list[tuple[str, str, str | None]]) -> int:
        """Delivery states from the provider; returns how many messages moved forward."""
        if not updates:
            return 0
        changed = await self.writer.submit(ApplyStatuses(account.id, updates))
        for interaction_id, message_id, status in changed:
            self.system.hub.publish(MessageStatusChanged(interaction_id, message_id, status))
        return len(changed)
