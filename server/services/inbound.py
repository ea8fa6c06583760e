"""Inbound customer messages: find the account, normalize the number, store (group commit), route."""
from __future__ import annotations

import asyncio

from server.actors.events import MessageStatusChanged
from server.actors.system import ActorSystem
from server.connectors.delivery import InboundMessage
from server.connectors.media_fetch import MediaFetcher
from server.domain.phone import normalize_phone
from server.errors import Invalid, NotFound
from server.persistence.models import Account
from server.persistence.writer import Writer
from server.persistence.writes import ApplyStatuses, InboundResult, StoreInbound

MAX_PROVIDER_ID = 150
MAX_TEXT = 4096  # WhatsApp's own limit for a text message


class InboundService:
    def __init__(self, system: ActorSystem, writer: Writer, media: MediaFetcher) -> None:
        self.system = system
        self.writer = writer
        self.media = media
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
                      name: str = "") -> InboundResult:
        """A plain text message (the sandbox and the simulator): it carries no file, so anything a provider
        parsed (which may hold media) goes through `receive_all` with its InboundMessage instead.
        Acknowledge only after this returns: the message is committed; a provider retry is a duplicate."""
        [result] = await self.receive_all(account, [InboundMessage(provider_message_id, sender, name, "text", text)])
        return result

    async def receive_all(self, account: Account, messages: list[InboundMessage]) -> list[InboundResult]:
        """A provider's batch: every message is checked before any is stored, so a bad one stores nothing."""
        ops = [self._checked(account, m) for m in messages]
        if len(ops) == 1:  # the usual case: no task to wrap it in
            results = [await self.writer.submit(ops[0])]
        else:
            results = list(await asyncio.gather(*(self.writer.submit(op) for op in ops)))
        for result in results:
            if result.attachment_id is not None:
                self.media.enqueue(result.attachment_id)
        return results

    def _checked(self, account: Account, message: InboundMessage) -> StoreInbound:
        if not message.id or len(message.id) > MAX_PROVIDER_ID:
            raise Invalid("A message id is missing or too long.")
        if len(message.text) > MAX_TEXT:
            raise Invalid(f"A message is longer than {MAX_TEXT} characters.")
        media = message.media
        return StoreInbound(account.id, account.queue_id, message.id, normalize_phone(message.sender),
                            (message.name or "").strip()[:128], message.text, message.kind[:16],
                            (media.ref, media.content_type, media.filename) if media and media.ref else None,
                            on_committed=self.system.deliver_inbound)

    async def apply_statuses(self, account: Account, updates: list[tuple[str, str, str | None]]) -> int:
        """Delivery states from the provider; returns how many messages moved forward."""
        if not updates:
            return 0
        changed = await self.writer.submit(ApplyStatuses(account.id, updates))
        for interaction_id, message_id, status in changed:
            self.system.hub.publish(MessageStatusChanged(interaction_id, message_id, status))
        return len(changed)
