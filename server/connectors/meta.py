"""Meta WhatsApp Cloud API webhooks: the subscription check, the payload signature, inbound messages.

Payload reference: a POST carries `{"object": "whatsapp_business_account", "entry": [{"changes": [{"field":
"messages", "value": {"contacts": [...], "messages": [...], "statuses": [...]}}]}]}`, signed with
`X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with the app secret>`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from server.errors import Forbidden, Invalid


@dataclass(frozen=True)
class InboundMessage:
    """One customer message as any provider delivers it."""

    id: str
    sender: str
    name: str
    kind: str
    text: str


def verify_subscription(credentials: dict[str, Any], params: dict[str, str]) -> str:
    """Meta's GET handshake: echo `hub.challenge` when the verify token is ours."""
    expected = str(credentials.get("verify_token") or "")
    given = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not expected or not hmac.compare_digest(given, expected):
        raise Forbidden("The verify token does not match this account.")
    return params.get("hub.challenge", "")


def check_signature(credentials: dict[str, Any], raw: bytes, header: str | None) -> None:
    secret = str(credentials.get("app_secret") or "")
    if not secret or not header or not header.startswith("sha256="):
        raise Forbidden("The payload is not signed for this account.")
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(header.removeprefix("sha256="), expected):
        raise Forbidden("The payload signature does not match.")


def parse_messages(raw: bytes) -> list[InboundMessage]:
    """The customer messages of a delivery (several entries and messages may come together)."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Invalid("The body is not JSON.") from None
    if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
        raise Invalid("Expected an object with an 'entry' list.")
    found: list[InboundMessage] = []
    for entry in body["entry"]:
        for change in _list(entry, "changes"):
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                raise Invalid("A change has no 'value' object.")
            names = {c.get("wa_id"): (c.get("profile") or {}).get("name", "")
                     for c in _list(value, "contacts") if isinstance(c, dict)}
            for message in _list(value, "messages"):
                found.append(_message(message, names))
    return found


def _list(container: Any, key: str) -> list[Any]:
    value = container.get(key, []) if isinstance(container, dict) else None
    if not isinstance(value, list):
        raise Invalid(f"'{key}' must be a list.")
    return value


def _message(message: Any, names: dict[str, str]) -> InboundMessage:
    if not isinstance(message, dict) or not message.get("id") or not message.get("from"):
        raise Invalid("A message lacks its 'id' or 'from'.")
    kind = str(message.get("type") or "unsupported")
    sender = str(message["from"])
    return InboundMessage(str(message["id"]), sender, str(names.get(sender) or ""), kind,
                          _text_of(kind, message.get(kind) if isinstance(message.get(kind), dict) else {}, message))


def _text_of(kind: str, part: dict[str, Any], message: dict[str, Any]) -> str:
    """What the agent reads for each message type (media files are fetched separately)."""
    if kind == "text":
        return str(part.get("body") or "")
    if kind in ("image", "video", "document", "audio", "sticker"):
        label = part.get("caption") or part.get("filename") or ""
        voice = " (voice)" if kind == "audio" and part.get("voice") else ""
        return f"[{kind}{voice}] {label}".strip()
    if kind == "location":
        where = ", ".join(str(part[k]) for k in ("name", "address") if part.get(k))
        return f"[location] {part.get('latitude')}, {part.get('longitude')}" + (f" ({where})" if where else "")
    if kind == "contacts":
        people = message.get("contacts") or []
        shared = [" ".join(filter(None, [(p.get("name") or {}).get("formatted_name", ""),
                                          *(ph.get("phone", "") for ph in p.get("phones") or [])]))
                  for p in people if isinstance(p, dict)]
        return "[contacts] " + "; ".join(shared)
    if kind == "interactive":
        reply = part.get("button_reply") or part.get("list_reply") or {}
        return str(reply.get("title") or "")
    if kind == "button":
        return str(part.get("text") or "")
    if kind == "reaction":
        return f"[reaction] {part.get('emoji') or ''}".strip()
    return "[a message type this desk cannot show]"
