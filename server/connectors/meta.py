"""Meta WhatsApp Cloud API webhooks: the subscription check, the payload signature, inbound messages.

Payload reference: a POST carries `{"object": "whatsapp_business_account", "entry": [{"changes": [{"field":
"messages", "value": {"contacts": [...], "messages": [...], "statuses": [...]}}]}]}`, signed with
`X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with the app secret>`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from server.connectors.delivery import InboundMedia, InboundMessage, StatusUpdate, as_object, as_text
from server.connectors.sending import (OutboundFile, OutboundTemplate, Outgoing, SendFailed, answer_field, json_error,
                                       refused, request)
from server.errors import Forbidden, Invalid
from server.persistence.models import Account
from server.persistence.credentials import credentials_of


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
    found: list[InboundMessage] = []
    for value in _values(raw):
        names = {as_text(c.get("wa_id")): as_text(as_object(c.get("profile")).get("name"))
                 for c in _list(value, "contacts") if isinstance(c, dict)}
        for message in _list(value, "messages"):
            found.append(_message(message, names))
    return found


def parse_statuses(raw: bytes) -> list[StatusUpdate]:
    """Delivery states of our outbound messages."""
    updates = []
    for value in _values(raw):
        for status in _list(value, "statuses"):
            if not isinstance(status, dict) or not as_text(status.get("id")) or not as_text(status.get("status")):
                raise Invalid("A status lacks its 'id' or 'status'.")
            reason = None
            errors = status.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                first = errors[0]
                detail = as_text(as_object(first.get("error_data")).get("details")) or as_text(first.get("message"))
                reason = f"{as_text(first.get('title')) or 'Error'} ({as_text(first.get('code'))}): {detail}".strip()
            updates.append(StatusUpdate(as_text(status["id"]), as_text(status["status"]), reason))
    return updates


def _values(raw: bytes) -> list[dict[str, Any]]:
    """The `value` objects of every change of every entry; the structure is checked, not the content."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Invalid("The body is not JSON.") from None
    if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
        raise Invalid("Expected an object with an 'entry' list.")
    values = []
    for entry in body["entry"]:
        for change in _list(entry, "changes"):
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                raise Invalid("A change has no 'value' object.")
            values.append(value)
    return values


def _list(container: Any, key: str) -> list[Any]:
    value = container.get(key, []) if isinstance(container, dict) else None
    if not isinstance(value, list):
        raise Invalid(f"'{key}' must be a list.")
    return value


MEDIA_KINDS = ("image", "video", "document", "audio", "sticker")


def _message(message: Any, names: dict[str, str]) -> InboundMessage:
    if not isinstance(message, dict) or not as_text(message.get("id")) or not as_text(message.get("from")):
        raise Invalid("A message lacks its 'id' or 'from'.")
    kind = as_text(message.get("type")) or "unsupported"
    sender = as_text(message["from"])
    part = as_object(message.get(kind))
    media = None
    if kind in MEDIA_KINDS and as_text(part.get("id")):
        media = InboundMedia(as_text(part["id"]), as_text(part.get("mime_type")).split(";")[0].strip(),
                             as_text(part.get("filename")))
    return InboundMessage(as_text(message["id"]), sender, names.get(sender, ""), kind[:16],
                          _text_of(kind, part, message), media)


def _text_of(kind: str, part: dict[str, Any], message: dict[str, Any]) -> str:
    """What the agent reads for each message type (media files are fetched separately)."""
    if kind == "text":
        return as_text(part.get("body"))
    if kind in MEDIA_KINDS:
        label = as_text(part.get("caption")) or as_text(part.get("filename"))
        voice = " (voice)" if kind == "audio" and part.get("voice") is True else ""
        return f"[{kind}{voice}] {label}".strip()
    if kind == "location":
        where = ", ".join(as_text(part.get(k)) for k in ("name", "address") if as_text(part.get(k)))
        return (f"[location] {as_text(part.get('latitude'))}, {as_text(part.get('longitude'))}"
                + (f" ({where})" if where else ""))
    if kind == "contacts":
        people = message.get("contacts") if isinstance(message.get("contacts"), list) else []
        shared = [" ".join(filter(None, [as_text(as_object(p.get("name")).get("formatted_name")),
                                          *(as_text(as_object(ph).get("phone")) for ph in
                                            (p.get("phones") if isinstance(p.get("phones"), list) else []))]))
                  for p in people if isinstance(p, dict)]
        return "[contacts] " + "; ".join(shared)
    if kind == "interactive":
        reply = as_object(part.get("button_reply")) or as_object(part.get("list_reply"))
        return as_text(reply.get("title"))
    if kind == "button":
        return as_text(part.get("text"))
    if kind == "reaction":
        return f"[reaction] {as_text(part.get('emoji'))}".strip()
    return "[a message type this desk cannot show]"


GRAPH_API = "https://graph.facebook.com/v21.0"
CAPTIONED = ("image", "video", "document")


class MetaSender:
    """POST /{phone-number-id}/messages on the Graph API (or the account's own base URL). Files are
    uploaded to /{phone-number-id}/media first, or sent by link when the account says `media_by_link`."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(self, account: Account, message: Outgoing) -> str:
        credentials = credentials_of(account)
        body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual",
                                "to": message.to.lstrip("+")}
        if message.template is not None:
            body.update(type="template", template=_template(message.template))
        elif message.file is not None:
            body.update(type=message.file.kind, **{message.file.kind: await self._media(account, message)})
        else:
            body.update(type="text", text={"preview_url": False, "body": message.text})
        url = f"{_base(account)}/{credentials.get('phone_number_id', '')}/messages"
        response = await request(self.client, "Meta", "POST", url, json=body, headers=_bearer(account))
        if response.status_code != 200:
            raise refused(response, _graph_error(response))
        return answer_field(response, "Meta", "messages", 0, "id")

    async def _media(self, account: Account, message: Outgoing) -> dict[str, Any]:
        """The media object of a file message: a link to us, or the id of an upload."""
        file = message.file
        assert file is not None
        if credentials_of(account).get("media_by_link"):
            media: dict[str, Any] = {"link": file.link}
        else:
            media = {"id": await self._upload(account, file)}
        if message.text and file.kind in CAPTIONED:
            media["caption"] = message.text
        if file.kind == "document":
            media["filename"] = file.filename
        return media

    async def _upload(self, account: Account, file: OutboundFile) -> str:
        url = f"{_base(account)}/{credentials_of(account).get('phone_number_id', '')}/media"
        try:
            content = open(file.path, "rb")
        except OSError:  # gone from the disk: no retry brings it back
            raise SendFailed("The attachment's file is missing.", retryable=False) from None
        with content:
            response = await request(self.client, "Meta", "POST", url, headers=_bearer(account),
                                     data={"messaging_product": "whatsapp", "type": file.content_type},
                                     files={"file": (file.filename, content, file.content_type)})
        if response.status_code != 200:
            raise refused(response, _graph_error(response))
        return answer_field(response, "Meta", "id")

    async def locate_media(self, account: Account, ref: str) -> httpx.Request:
        """A media id resolves (GET /{media-id}) to a short-lived URL, downloaded with the same token."""
        response = await request(self.client, "Meta", "GET", f"{_base(account)}/{ref}", headers=_bearer(account))
        if response.status_code != 200:
            raise refused(response, _graph_error(response))
        return httpx.Request("GET", answer_field(response, "Meta", "url"), headers=_bearer(account))


def _template(template: OutboundTemplate) -> dict[str, Any]:
    shape: dict[str, Any] = {"name": template.provider_id or template.name, "language": {"code": template.language}}
    if template.variables:
        shape["components"] = [{"type": "body", "parameters": [{"type": "text", "text": value}
                                                                for value in template.variables]}]
    return shape


def _base(account: Account) -> str:
    return (account.api_base_url or GRAPH_API).rstrip("/")


def _bearer(account: Account) -> dict[str, str]:
    return {"Authorization": f"Bearer {credentials_of(account).get('access_token', '')}"}


def _graph_error(response: httpx.Response) -> str:
    error = json_error(response, "error")
    if not error:
        return f"HTTP {response.status_code} from the provider"
    return f"{error.get('message') or 'Refused'} (code {error.get('code')}, HTTP {response.status_code})"
