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
import time
from collections.abc import Mapping
from typing import Any

import httpx

from server.connectors.delivery import InboundMedia, InboundMessage, StatusUpdate, as_object, as_text
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
            signature(secret, raw, nonce, timestamp), given):
        raise Forbidden("The callback is not signed by Sinch for this account.")


def parse(raw: bytes) -> tuple[list[InboundMessage], list[StatusUpdate]]:
    """An inbound message or a delivery report; other triggers carry nothing for us."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Invalid("The body is not JSON.") from None
    if not isinstance(body, dict):
        raise Invalid("The body must be a JSON object.")
    if isinstance(body.get("message"), dict):
        return [_message(body["message"], body)], []
    if isinstance(body.get("message_delivery_report"), dict):
        report = body["message_delivery_report"]
        if not as_text(report.get("message_id")) or not as_text(report.get("status")):
            raise Invalid("A delivery report lacks its message_id or status.")
        status = STATUSES.get(as_text(report["status"]))
        if status is None:
            return [], []
        reason = as_object(report.get("reason"))
        error = f"{as_text(reason.get('code')) or 'FAILED'}: {as_text(reason.get('description'))}".strip(": ") \
            if status == "failed" else None
        return [], [StatusUpdate(as_text(report["message_id"]), status, error)]
    return [], []


def _message(message: dict[str, Any], body: dict[str, Any]) -> InboundMessage:
    identity = as_object(message.get("channel_identity"))
    if not as_text(message.get("id")) or not as_text(identity.get("identity")):
        raise Invalid("A message lacks its id or channel_identity.identity.")
    if message.get("direction") not in (None, "TO_APP"):
        raise Invalid("Only messages to the app are accepted here.")
    content = as_object(message.get("contact_message"))
    kind, text, file = "unsupported", "[a message type this desk cannot show]", None
    if "text_message" in content:
        kind, text = "text", as_text(as_object(content["text_message"]).get("text"))
    elif "media_message" in content:
        media = as_object(content["media_message"])
        kind = (as_text(media.get("mime_type")) or "file/").split("/")[0] or "file"
        kind = {"application": "document", "text": "document", "file": "document"}.get(kind, kind)
        text = f"[{kind}] {as_text(media.get('caption'))}".strip()
        if as_text(media.get("url")):
            file = InboundMedia(as_text(media["url"]), as_text(media.get("mime_type")),
                                as_text(media.get("filename_override")))
    elif "location_message" in content:
        location = as_object(content["location_message"])
        point = as_object(location.get("coordinates"))
        where = as_text(location.get("title")) or as_text(location.get("label"))
        kind = "location"
        text = f"[location] {as_text(point.get('latitude'))}, {as_text(point.get('longitude'))}" + (
            f" ({where})" if where else "")
    elif "choice_response_message" in content:
        kind, text = "button", as_text(as_object(content["choice_response_message"]).get("postback_data"))
    name = as_text(message.get("contact_name")) or as_text(body.get("contact_name"))
    return InboundMessage(as_text(message["id"]), as_text(identity["identity"]), name, kind, text, file)


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
