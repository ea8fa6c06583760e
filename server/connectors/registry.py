"""Which connector sends for which provider."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from server.errors import Unavailable


@dataclass(frozen=True)
class SendOutcome:
    status: str  # sent | failed
    provider_message_id: str | None = None
    error: str | None = None


class Sender(Protocol):
    async def send_text(self, account_key: str, to: str, text: str) -> SendOutcome: ...


class SandboxSender:
    """The sandbox provider has no network: a message is 'sent' the moment it is stored.

    The stored outbound message is the record the customer simulator reads.
    """

    async def send_text(self, account_key: str, to: str, text: str) -> SendOutcome:
        return SendOutcome("sent", f"sandbox-{uuid.uuid4().hex}")


class ConnectorRegistry:
    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {"sandbox": SandboxSender()}

    def register(self, provider: str, sender: Sender) -> None:
        self._senders[provider] = sender

    def for_provider(self, provider: str) -> Sender:
        sender = self._senders.get(provider)
        if sender is None:
            raise Unavailable(f"Sending through {provider} accounts is not set up on this server.",
                              code="provider_unavailable")
        return sender
