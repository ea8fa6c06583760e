"""What any provider delivers to us, whatever its format: customer messages and delivery states."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class InboundMedia:
    """A file the customer sent, still at the provider: fetched after the message is stored."""

    ref: str  # the provider's media id, or the URL to download it from
    content_type: str = ""
    filename: str = ""


@dataclass(frozen=True)
class InboundMessage:
    id: str  # the provider's message id, unique per account (retries repeat it)
    sender: str
    name: str
    kind: str
    text: str
    media: InboundMedia | None = None


@dataclass(frozen=True)
class StatusUpdate:
    message_id: str  # the provider's id of our outbound message
    status: str
    error: str | None = None


def as_object(value: Any) -> dict[str, Any]:
    """A JSON value read where an object is expected: anything else reads as empty."""
    return value if isinstance(value, dict) else {}


def as_text(value: Any) -> str:
    """A JSON scalar as text; lists, objects, booleans and null read as nothing."""
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        return ""
    return str(value)
