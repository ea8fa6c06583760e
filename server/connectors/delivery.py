"""What any provider delivers to us, whatever its format: customer messages and delivery states."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InboundMessage:
    id: str  # the provider's message id, unique per account (retries repeat it)
    sender: str
    name: str
    kind: str
    text: str


@dataclass(frozen=True)
class StatusUpdate:
    message_id: str  # the provider's id of our outbound message
    status: str
    error: str | None = None
