"""Twilio's WhatsApp API: signed form-encoded webhooks (messages and status callbacks), and sending.

The signature (X-Twilio-Signature) is the base64 HMAC-SHA1, keyed with the auth token, of the full URL
Twilio called followed by every POST field, sorted by name, as name then value.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

import httpx

from server.connectors.delivery import InboundMessage, StatusUpdate
from server.connectors.sending import SendFailed
from server.errors import Forbidden, Invalid
from server.persistence.models import Account

API = "https://api.twilio.com/2010-04-01"
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed", "undelivered": "failed"}


def signature(auth_token: str, url: str, fields: Mapping[str, str]) -> str:
    payload = url + "".join(name + fields[name] for name in sorted(fields))
    return base64.b64encode(hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def check_signature(credentials: Mapping[str, object], url: str, fields: Mapping[str, str], given: str | None) -> None:
    token = str(credentials.get("auth_token") or "")
    if not token or not given or not hmac.compare_digest(signature(token, url, fields), given):
        raise Forbidden("The request is not signed by Twilio for this account.")


def parse_message(fields: Mapping[str, str]) -> InboundMessage:
    if not fields.get("MessageSid") or not fields.get("From"):
        raise Invalid("MessageSid and From are required.")
    count = str(fields.get("NumMedia") or "0")
    media = int(count) if count.isascii() and count.isdigit() else 0
    body = fields.get("Body", "")
    if media:
        kind = (fields.get("MediaContentType0") or "file/").split("/")[0]
        kind = {"application": "document", "text": "document"}.get(kind, kind)
        return InboundMessage(fields["MessageSid"], fields["From"], fields.get("ProfileName", ""), kind,
                              f"[{kind}] {body}".strip())
    if fields.get("Latitude") and fields.get("Longitude"):
        where = fields.get("Address") or fields.get("Label") or ""
        text = f"[location] {fields['Latitude']}, {fields['Longitude']}" + (f" ({where})" if where else "")
        return InboundMessage(fields["MessageSid"], fields["From"], fields.get("ProfileName", ""), "location", text)
    if fields.get("ButtonText"):
        return InboundMessage(fields["MessageSid"], fields["From"], fields.get("ProfileName", ""), "button",
                              fields["ButtonText"])
    return InboundMessage(fields["MessageSid"], fields["From"], fields.get("ProfileName", ""), "text", body)


def parse_status(fields: Mapping[str, str]) -> StatusUpdate | None:
    """A status callback; None for the states we do not track (queued, sending, accepted)."""
    sid, state = fields.get("MessageSid") or fields.get("SmsSid"), fields.get("MessageStatus")
    if not sid or not state:
        raise Invalid("MessageSid and MessageStatus are required.")
    status = STATUSES.get(state)
    if status is None:
        return None
    error = None
    if status == "failed":
        error = f"Twilio error {fields.get('ErrorCode') or '?'}: {fields.get('ErrorMessage') or state}"
    return StatusUpdate(sid, status, error)


class TwilioSender:
    """POST /Accounts/{AccountSid}/Messages.json with basic auth, form-encoded."""

    def __init__(self, client: httpx.AsyncClient, public_url: str) -> None:
        self.client, self.public_url = client, public_url

    async def send_text(self, account: Account, to: str, text: str) -> str:
        credentials = account.credentials or {}
        sid = str(credentials.get("account_sid") or "")
        base = (account.api_base_url or API).rstrip("/")
        form = {"From": f"whatsapp:{account.phone_number}", "To": f"whatsapp:{to}", "Body": text,
                "StatusCallback": f"{self.public_url}/webhooks/twilio/{account.key}/status"}
        try:
            response = await self.client.post(f"{base}/Accounts/{sid}/Messages.json", data=form,
                                              auth=(sid, str(credentials.get("auth_token") or "")))
        except httpx.TimeoutException:
            raise SendFailed("Twilio did not answer in time.", retryable=True) from None
        except httpx.HTTPError as error:
            raise SendFailed(f"Could not reach Twilio: {type(error).__name__}.", retryable=True) from None
        if response.status_code in (200, 201):
            try:
                return str(response.json()["sid"])
            except (ValueError, KeyError, TypeError):
                raise SendFailed("Twilio's answer had no message sid.", retryable=False) from None
        try:
            detail = response.json()
            reason = f"{detail.get('message') or 'Refused'} (Twilio error {detail.get('code')})"
        except (ValueError, AttributeError):
            reason = f"HTTP {response.status_code} from Twilio"
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("retry-after", "")
            try:
                wait = max(0.0, float(retry_after))
            except ValueError:
                wait = None
            raise SendFailed(reason, retryable=True, retry_after=wait)
        raise SendFailed(reason, retryable=False)
