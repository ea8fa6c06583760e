"""The small interface every provider's sender implements, and which sender serves which provider."""
from __future__ import annotations

import uuid
from typing import Protocol

from server.errors import Unavailable
from server.persistence.models import Account


class SendFailed(Exception):
    """The provider did not take the message. `retryable`: a timeout, 5xx or 429 (maybe with Retry-After)."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retryable, self.retry_after = reason, retryable, retry_after


class Sender(Protocol):
    async def send_text(self, account: Account, to: str, text: str) -> str:
        """Hand a text to the provider; returns the provider's message id, or raises SendFailed."""
        ...


class SandboxSender:
    """The sandbox has no network: the stored message is what the customer simulator reads."""

    async def send_text(self, account: Account, to: str, text: str) -> str:
        return f"sandbox-{uuid.uuid4().hex}"


class Senders:
    def __init__(self, senders: dict[str, Sender]) -> None:
        self._senders = senders

    def for_provider(self, provider: str) -> Sender:
        sender = self._senders.get(provider)
        if sender is None:
            raise Unavailable(f"Sending through {provider} accounts is not set up on this server.",
                              code="provider_unavailable")
        return sender
