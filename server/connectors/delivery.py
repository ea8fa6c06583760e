"""What any provider delivers to us, whatever its format: customer messages, changes to earlier messages,
delivery states, and the items that could not be routed to any conversation."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from server.domain.nul import JSON_ESCAPED_NUL, REPLACEMENT

UNREADABLE = "unsupported"  # the kind of a message the desk cannot show; its raw payload is kept
# Kinds that change an earlier message (`refers_to`) instead of adding one.
CHANGE_KINDS = ("edit", "revoke", "reaction")


@dataclass(frozen=True)
class InboundMedia:
    """A file the customer sent, still at the provider: fetched after the message is stored."""

    ref: str  # the provider's media id, or the URL to download it from
    content_type: str = ""
    filename: str = ""


@dataclass(frozen=True)
class InboundMessage:
    id: str  # the provider's message id, unique per account (retries repeat it)
    sender: str  # a phone number or WhatsApp id as the provider wrote it, or a business-scoped user id
    name: str
    kind: str
    text: str
    media: InboundMedia | None = None
    sent_at: float | None = None  # when the customer sent it (epoch seconds), when the provider says
    item: Any = None  # the item as delivered (parsed): kept for a message the desk cannot show or cannot place
    refers_to: str | None = None  # edit / revoke / reaction: the provider's id of the message it changes
    user_id: bool = False  # `sender` is a business-scoped user id, not a number
    new_sender: str | None = None  # a system notice: the customer's number changed to this one


@dataclass(frozen=True)
class StatusUpdate:
    message_id: str  # the provider's id of our outbound message
    status: str
    error: str | None = None


@dataclass(frozen=True)
class Unrouted:
    """An item of a delivery that belongs to no conversation we can name (no sender, a number of no account
    of ours): acknowledged, logged and kept for the admin, never stored under another account."""

    reason: str
    raw: str


def as_object(value: Any) -> dict[str, Any]:
    """A JSON value read where an object is expected: anything else reads as empty."""
    return value if isinstance(value, dict) else {}


def as_text(value: Any) -> str:
    """A JSON scalar as text; lists, objects, booleans and null read as nothing."""
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        return ""
    return str(value)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def nul_free_json(raw: bytes) -> bytes:
    """A provider's JSON body with every NUL character in its strings made U+FFFD. Databases refuse NUL
    (PostgreSQL in text and JSON columns), and one odd character must not cost the message. Cheap when there
    is none (the hot path); call it after the signature was checked on the body as it came."""
    if b"\\u0000" not in raw:
        return raw
    return JSON_ESCAPED_NUL.sub(rb"\1\\ufffd", raw)


def nul_free_fields(fields: dict[str, str]) -> dict[str, str]:
    """Form or query fields with every NUL character made U+FFFD (see `nul_free_json`)."""
    if not any("\x00" in value for value in fields.values()):
        return fields
    return {key: value.replace("\x00", REPLACEMENT) for key, value in fields.items()}


def raw_json(item: Any) -> str:
    """An item of a delivery as JSON text, for the admin to read (always serializable: it was parsed JSON)."""
    try:
        return json.dumps(item, ensure_ascii=False, sort_keys=True)
    except (ValueError, TypeError, RecursionError):
        return repr(item)[:10_000]


def digest_id(prefix: str, raw: str) -> str:
    """A stable id for an item that came without one: a retry of the same item gets the same id."""
    return f"{prefix}-{hashlib.sha256(raw.encode()).hexdigest()[:40]}"


def epoch(value: Any) -> float | None:
    """A provider's timestamp as epoch seconds: epoch seconds or milliseconds (a number or digits), or an
    ISO 8601 time ('2026-11-25T10:00:00.123Z'); None for anything else."""
    text = as_text(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
        seconds = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
    if seconds != seconds or seconds <= 0:  # NaN, zero, negative
        return None
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    return seconds if 1e9 < seconds < 1e10 else None  # 2001 .. 2286: anything else is not a time
