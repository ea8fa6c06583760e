"""Inbound customer messages: find the account, read the customer's address, store (group commit), route.

A provider's delivery is handled item by item: every message that can be stored is, one the desk cannot
show is stored as unreadable with its raw item, an edit, deletion or reaction changes the message it refers
to, and what belongs to no conversation is kept apart for the admin (`unrouted`). Nothing of it refuses
the rest."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from server.actors.system import ActorSystem
from server.connectors.delivery import CHANGE_KINDS, UNREADABLE, InboundMessage, Unrouted, digest_id, raw_json
from server.connectors.meta import MetaChange
from server.connectors.media_fetch import MediaFetcher
from server.domain.events import MessageChanged, MessageStatusChanged
from server.domain.phone import customer_address, normalize_phone, plain_e164, user_id_address
from server.errors import Invalid, NotFound
from server.persistence.customer_changes import ApplyCustomerChange, StoreUnrouted
from server.persistence.keys import storable
from server.persistence.models import Account
from server.persistence.writer import Writer
from server.persistence.writes import ApplyStatuses, InboundResult, StoreInbound, utcnow
from server.services.meta_numbers import MetaNumbers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    """What a delivery became: each storable message's result, delivery states moved, items kept apart that
    never became a message."""

    results: list[InboundResult]
    statuses: int
    apart: int

MAX_PROVIDER_ID = 150
MAX_TEXT = 4096  # WhatsApp's own limit for a text message


class InboundService:
    def __init__(self, system: ActorSystem, writer: Writer, media: MediaFetcher) -> None:
        self.system = system
        self.writer = writer
        self.media = media
        self._accounts: dict[str, Account] = {}
        self.meta_numbers = MetaNumbers()

    async def account(self, key: str, provider: str) -> Account:
        account = self._accounts.get(key)
        if account is None:
            account = await Account.get_or_none(key=key) if storable(Account, "key", key) else None
            if account is None or account.provider != provider:
                raise NotFound(f"There is no {provider} account {key!r}.")
            self._accounts[key] = account
        return account

    def forget_account(self, key: str) -> None:
        """Call after an account changes, so the next message reads it afresh."""
        self._accounts.pop(key, None)
        self.meta_numbers.forget()

    async def receive(self, account: Account, provider_message_id: str, sender: str, text: str, *,
                      name: str = "") -> InboundResult:
        """A plain text message (the sandbox and the simulator), checked whole: its id, a valid number, a text
        WhatsApp could carry. Acknowledge only after this returns: the message is committed; a provider retry
        is a duplicate."""
        if not 0 < len(provider_message_id) <= MAX_PROVIDER_ID:
            raise Invalid("A message id is missing or too long.")
        if len(text) > MAX_TEXT:
            raise Invalid(f"A message is longer than {MAX_TEXT} characters.")
        if self._open_on(account.id, sender) is None:
            normalize_phone(sender)
        [result] = await self.receive_all(account, [InboundMessage(provider_message_id, sender, name, "text", text)])
        return result

    async def receive_all(self, account: Account, messages: list[InboundMessage],
                          unrouted: Sequence[Unrouted] = ()) -> list[InboundResult]:
        """A provider's batch, message by message: what became of each, once committed. A message that names
        no customer we can answer (and each of `unrouted`) is logged and kept for the admin."""
        ops: list[StoreInbound | ApplyCustomerChange | None] = []
        lost = list(unrouted)
        for message in messages:
            try:
                ops.append(self._op(account, message))
            except Invalid as error:
                ops.append(None)
                lost.append(Unrouted(error.message, raw_json(message.item) if message.item is not None
                                     else repr(message)))
        if lost:
            await self.keep_unrouted(account, lost)
        stored = [op for op in ops if op is not None]
        if len(stored) == 1:  # the usual case: no task to wrap it in
            done = [await self.writer.submit(stored[0])]
        else:
            done = list(await asyncio.gather(*(self.writer.submit(op) for op in stored)))
        for result in done:
            if result.attachment_id is not None:
                self.media.enqueue(result.attachment_id)
        answers = iter(done)
        return [next(answers) if op is not None else InboundResult(None, None, account.queue_id, False, False,
                                                                   unrouted=True) for op in ops]

    async def receive_meta(self, signed_by: Account, changes: list[MetaChange]) -> Received:
        """A Meta delivery to the URL of `signed_by`: each change to the account that has its number (an
        app's numbers share one callback URL; MetaNumbers), each account's messages stored and its statuses
        applied; a change for a number no account of the app has is kept unrouted, never stored elsewhere."""
        parts: dict[int, tuple[Account, list[MetaChange]]] = {}
        foreign: list[Unrouted] = []
        for change in changes:
            target = await self.meta_numbers.account_for(signed_by, change.phone_number_id, change.display_number)
            if target is None:
                number = change.phone_number_id or change.display_number
                foreign.append(Unrouted(f"For the number {number}, which no account of this app has.",
                                        raw_json(change.item)))
            else:
                parts.setdefault(target.id, (target, []))[1].append(change)
        if foreign:
            await self.keep_unrouted(signed_by, foreign)
        batches = [(target, [m for c in mine for m in c.messages], [u for c in mine for u in c.unrouted],
                    [(s.message_id, s.status, s.error) for c in mine for s in c.statuses])
                   for target, mine in parts.values()]
        stored = [await self.receive_all(target, messages, unrouted) for target, messages, unrouted, _ in batches] \
            if len(batches) == 1 else await asyncio.gather(*(self.receive_all(target, messages, unrouted)
                                                             for target, messages, unrouted, _ in batches))
        moved = sum([await self.apply_statuses(target, statuses) for target, _, _, statuses in batches])
        return Received([r for results in stored for r in results], moved,
                        len(foreign) + sum(len(unrouted) for _, _, unrouted, _ in batches))

    async def keep_unrouted(self, account: Account, items: list[Unrouted]) -> None:
        """Items of a delivery to `account`'s URL that no conversation takes: logged, and kept for the admin."""
        for item in items:
            log.warning("%s delivery to %s: an item kept unrouted: %s", account.provider, account.key, item.reason)
        await self.writer.submit(StoreUnrouted(account.id, account.provider, [(i.reason, i.raw) for i in items]))

    def _op(self, account: Account, message: InboundMessage) -> StoreInbound | ApplyCustomerChange:
        """The write that stores `message` (Invalid when it names no customer we can answer)."""
        phone = user_id_address(message.sender) if message.user_id \
            else self._open_on(account.id, message.sender) or customer_address(message.sender)
        # an id too long for our column as a stable digest, so that retries still match
        message_id = message.id if 0 < len(message.id) <= MAX_PROVIDER_ID else digest_id("long", message.id)
        kind, text = message.kind[:16], message.text
        if len(text) > MAX_TEXT:
            kind = UNREADABLE
            text = f"[a message of {len(text)} characters, longer than WhatsApp allows; kept for the admin]"
        payload = (raw_json(message.item) if message.item is not None else message.text) if kind == UNREADABLE \
            else None
        received = utcnow()
        media = message.media
        change = kind in CHANGE_KINDS and bool(message.refers_to)
        file = (media.ref, media.content_type, media.filename) if media and media.ref else None
        store = StoreInbound(account.id, account.queue_id, message_id, phone, (message.name or "").strip()[:128],
                             _unplaced(kind, text) if change else text, kind, file, received_at=received,
                             sent_at=_sent_at(message.sent_at, received),
                             payload=payload, new_phone=self._new_phone(message),
                             on_committed=self.system.deliver_inbound)
        if not change:
            return store
        assert message.refers_to is not None  # a change has one (`change` above)
        return ApplyCustomerChange(kind, message_id, message.refers_to, text, store.sent_at or received, store,
                                   on_changed=self._changed)

    def _open_on(self, account_id: int, sender: str) -> str | None:
        """The address of the conversation open with `sender`, when one is and `sender` is written plainly: its
        number needs no parsing then."""
        known = plain_e164(sender)
        return known if known is not None and self.writer.has_open_conversation((account_id, known)) else None

    @staticmethod
    def _new_phone(message: InboundMessage) -> str | None:
        if not message.new_sender:
            return None
        for address in (customer_address, user_id_address):
            try:
                return address(message.new_sender)
            except Invalid:
                pass
        return None

    def _changed(self, result: InboundResult, change: str) -> None:
        assert result.interaction_id is not None and result.message_id is not None
        self.system.hub.publish(MessageChanged(result.interaction_id, result.message_id, change))

    async def apply_statuses(self, account: Account, updates: list[tuple[str, str, str | None]]) -> int:
        """Delivery states from the provider; returns how many messages moved forward."""
        if not updates:
            return 0
        changed = await self.writer.submit(ApplyStatuses(account.id, updates))
        for interaction_id, message_id, status in changed:
            self.system.hub.publish(MessageStatusChanged(interaction_id, message_id, status))
        return len(changed)


def _unplaced(change: str, text: str) -> str:
    """How a change reads when the message it changes is not here: a message of its own."""
    if change == "reaction":
        return f"[reaction] {text}" if text else "[reaction removed]"
    if change == "edit":
        return f"[edited a message] {text}".strip()
    return "[deleted a message]"


def _sent_at(sent_at: float | None, received: datetime) -> datetime | None:
    """The customer's time, never later than ours (a phone's clock may run ahead)."""
    if sent_at is None:
        return None
    return min(datetime.fromtimestamp(sent_at, timezone.utc), received)
