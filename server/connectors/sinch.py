"""Sinch Conversation API (WhatsApp channel): signed callbacks for inbound messages and delivery reports,
and sending through `messages:send` with an OAuth2 token.

The callback signature (x-sinch-webhook-signature) is the base64 HMAC-SHA256, keyed with the webhook
secret, of `<raw body>.<nonce>.<timestamp>` taken from the x-sinch-webhook-signature-nonce and
-timestamp headers.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import mimetypes
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import httpx

from server.connectors.delivery import (UNREADABLE, InboundMedia, InboundMessage, StatusUpdate, Unrouted, as_list,
                                       as_object, as_text, digest_id, epoch, raw_json)
from server.connectors.media_rules import WHATSAPP_MEDIA
from server.connectors.sending import Outgoing, SendFailed, answer_field, json_error, refused, request
from server.errors import Forbidden, Invalid
from server.persistence.models import Account
from server.persistence.credentials import credentials_of, fingerprint

API = "https://eu.conversation.api.sinch.com"
AUTH = "https://auth.sinch.com/oauth2/token"
STATUSES = {"QUEUED_ON_CHANNEL": "sent", "DELIVERED": "delivered", "READ": "read", "FAILED": "failed"}


def signature(secret: str, raw: bytes, nonce: str, timestamp: str) -> str:
    signed = raw + b"." + nonce.encode() + b"." + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()


def check_signature(credentials: Mapping[str, Any], raw: bytes, headers: Mapping[str, str]) -> None:
    secret = str(credentials.get("webhook_secret") or "")
    given = headers.get("x-sinch-webhook-signature") or ""
    nonce = headers.get("x-sinch-webhook-signature-nonce") or ""
    timestamp = headers.get("x-sinch-webhook-signature-timestamp") or ""
    if not secret or not given or not nonce or not timestamp or not hmac.compare_digest(
            signature(secret, raw, nonce, timestamp).encode(), given.encode()):
        raise Forbidden("The callback is not signed by Sinch for this account.")


def parse(raw: bytes) -> tuple[list[InboundMessage], list[StatusUpdate], list[Unrouted]]:
    """An inbound message or a delivery report; other triggers carry nothing for us. Only a body that is not
    a JSON object is refused (Invalid); a message or report that cannot be read is kept apart (Unrouted) or,
    when its sender is known, stored as unreadable."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Invalid("The body is not JSON.") from None
    if not isinstance(body, dict):
        raise Invalid("The body must be a JSON object.")
    if "message" in body:
        read = _message(body["message"], body)
        if read is None:
            return [], [], []
        return ([read], [], []) if isinstance(read, InboundMessage) else ([], [], [read])
    if "message_delivery_report" in body:
        report = as_object(body["message_delivery_report"])
        if not as_text(report.get("message_id")) or not as_text(report.get("status")):
            return [], [], [Unrouted("A delivery report lacks its message_id or status.", raw_json(body))]
        status = STATUSES.get(as_text(report["status"]))
        if status is None:
            return [], [], []
        reason = as_object(report.get("reason"))
        error = f"{as_text(reason.get('code')) or 'FAILED'}: {as_text(reason.get('description'))}".strip(": ") \
            if status == "failed" else None
        return [], [StatusUpdate(as_text(report["message_id"]), status, error)], []
    return [], [], []


def _message(item: Any, body: dict[str, Any]) -> InboundMessage | Unrouted | None:
    """The customer's message (None for a message of ours echoed back)."""
    message = as_object(item)
    identity = as_text(as_object(message.get("channel_identity")).get("identity")).strip()
    if not identity:
        return Unrouted("A message lacks its channel_identity.identity.", raw_json(body))
    if message.get("direction") not in (None, "TO_APP"):
        return None
    message_id = as_text(message.get("id")) or digest_id("sinch-noid", raw_json(body))
    name = as_text(message.get("contact_name")) or as_text(body.get("contact_name"))
    sent_at = epoch(message.get("accept_time")) or epoch(body.get("accepted_time")) or epoch(body.get("event_time"))
    content = as_object(message.get("contact_message"))
    kind, text, file = _content_of(content)
    return InboundMessage(message_id, identity, name, kind, text, file, sent_at, body)


def _content_of(content: dict[str, Any]) -> tuple[str, str, InboundMedia | None]:
    """(kind, text, file) of a contact message."""
    if "text_message" in content:
        text = as_object(content["text_message"]).get("text")
        if isinstance(text, str):
            return "text", text, None
    elif "media_message" in content or "media_card_message" in content:
        media = as_object(content.get("media_message") or content.get("media_card_message"))
        if as_text(media.get("url")):
            return _media(media)
    elif "location_message" in content:
        location = as_object(content["location_message"])
        point = as_object(location.get("coordinates"))
        where = as_text(location.get("title")) or as_text(location.get("label"))
        return "location", (f"[location] {as_text(point.get('latitude'))}, {as_text(point.get('longitude'))}"
                            + (f" ({where})" if where else "")), None
    elif "choice_response_message" in content:
        choice = as_object(content["choice_response_message"])
        return "button", as_text(choice.get("postback_data")) or as_text(choice.get("message_id")), None
    elif "contact_info_message" in content:
        return "contacts", _contact_card(as_object(content["contact_info_message"])), None
    elif "fallback_message" in content:
        fallback = as_object(content["fallback_message"])
        reason = as_object(fallback.get("reason"))
        detail = as_text(reason.get("description")) or as_text(reason.get("code"))
        return UNREADABLE, "[a message this desk cannot show]" + (f" ({detail})" if detail else ""), None
    kinds = ", ".join(sorted(content)) or "none"
    return UNREADABLE, f"[a message of a kind this desk cannot show ({kinds})]", None


def _media(media: dict[str, Any]) -> tuple[str, str, InboundMedia | None]:
    """A file, with its caption (a media card) or not. Sinch's media message declares no type: the kind comes
    from the file name (`filename_override`, else the URL's) until the fetched file says what it is."""
    url = as_text(media["url"])
    filename = as_text(media.get("filename_override")) or unquote(url.split("?")[0].rsplit("/", 1)[-1])
    declared = as_text(media.get("mime_type")).split(";")[0].strip().lower()
    guessed = declared or (mimetypes.guess_type(filename)[0] or "")
    kind = WHATSAPP_MEDIA.get(guessed, ("document", 0))[0] if guessed else "document"
    label = as_text(media.get("caption")) or (filename if kind == "document" else "")
    return kind, f"[{kind}] {label}".strip(), InboundMedia(url, declared, filename)


def _contact_card(card: dict[str, Any]) -> str:
    name = as_object(card.get("name"))
    full = as_text(name.get("full_name")) or " ".join(filter(None, (as_text(name.get("first_name")),
                                                                   as_text(name.get("last_name")))))
    phones = [as_text(as_object(p).get("phone_number")) for p in as_list(card.get("phone_numbers"))]
    return "[contacts] " + " ".join(filter(None, [full, *phones]))


def _content(message: Outgoing) -> dict[str, Any]:
    """The Conversation API's message: text, media (a link to us; with a caption, a media card) or a
    WhatsApp template with its body parameters."""
    if message.template is not None:
        template = message.template
        return {"template_message": {"channel_template": {"WHATSAPP": {
            "template_id": template.provider_id or template.name, "language_code": template.language,
            "parameters": {f"body[{n}]text": value for n, value in enumerate(template.variables, 1)}}}}}
    if message.file is not None:
        if message.text:
            return {"media_card_message": {"url": message.file.link, "caption": message.text}}
        return {"media_message": {"url": message.file.link, "filename_override": message.file.filename}}
    return {"text_message": {"text": message.text}}


class SinchSender:
    """POST /v1/projects/{project}/messages:send with a bearer token from Sinch's OAuth2 endpoint."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self._tokens: dict[str, tuple[str, float]] = {}  # account key:credentials -> (token, expires at)
        self._lock = asyncio.Lock()

    async def send(self, account: Account, message: Outgoing) -> str:
        credentials = credentials_of(account)
        base = (account.api_base_url or API).rstrip("/")
        url = f"{base}/v1/projects/{credentials.get('project_id', '')}/messages:send"
        body = {"app_id": credentials.get("app_id", ""),
                "recipient": {"identified_by": {"channel_identities": [
                    {"channel": "WHATSAPP", "identity": message.to.lstrip("+")}]}},
                "message": _content(message)}
        for fresh_token in (False, True):
            token = await self._token(account, fresh=fresh_token)
            response = await request(self.client, "Sinch", "POST", url, json=body,
                                     headers={"Authorization": f"Bearer {token}"})
            if response.status_code != 401:
                break
        if response.status_code != 200:
            error = json_error(response, "error")
            status = error.get("status") or response.status_code
            raise refused(response, f"{error.get('message') or 'Refused'} ({status})" if error
                          else f"HTTP {response.status_code} from Sinch")
        return answer_field(response, "Sinch", "message_id")

    async def locate_media(self, account: Account, ref: str) -> httpx.Request:
        """Sinch hands over inbound media as a plain URL."""
        return httpx.Request("GET", ref)

    async def _token(self, account: Account, *, fresh: bool) -> str:
        async with self._lock:
            credentials = credentials_of(account)
            # keyed by the credentials too: a token got with keys an admin has since replaced is not used
            cache_key = f"{account.key}:{fingerprint(credentials)}"
            cached = self._tokens.get(cache_key)
            if cached and not fresh and cached[1] > time.monotonic():
                return cached[0]
            try:
                response = await self.client.post(
                    str(credentials.get("auth_url") or AUTH), data={"grant_type": "client_credentials"},
                    auth=(str(credentials.get("key_id") or ""), str(credentials.get("key_secret") or "")))
            except httpx.HTTPError:
                raise SendFailed("Could not get a Sinch access token.", retryable=True) from None
            if response.status_code != 200:
                raise SendFailed(f"Sinch refused the credentials (HTTP {response.status_code}).",
                                 retryable=response.status_code >= 500)
            grant = response.json()
            token = str(grant.get("access_token") or "")
            self._tokens[cache_key] = (token, time.monotonic() + float(grant.get("expires_in") or 3600) - 60)
            return token
