"""Twilio's WhatsApp API: signed form-encoded webhooks (messages and status callbacks), and sending.

The signature (X-Twilio-Signature) is the base64 HMAC-SHA1, keyed with the auth token, of the full URL
Twilio called followed by every POST field, sorted by name, as name then value.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping

import httpx

from server.connectors.delivery import (UNREADABLE, InboundMedia, InboundMessage, StatusUpdate, Unrouted, digest_id,
                                       raw_json)
from server.connectors.sending import Outgoing, SendFailed, answer_field, json_error, refused, request
from server.errors import Forbidden, Invalid
from server.persistence.models import Account
from server.persistence.credentials import credentials_of

API = "https://api.twilio.com/2010-04-01"
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed", "undelivered": "failed"}


def signature(auth_token: str, url: str, fields: Mapping[str, str]) -> str:
    payload = url + "".join(name + fields[name] for name in sorted(fields))
    return base64.b64encode(hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def check_signature(credentials: Mapping[str, object], url: str, fields: Mapping[str, str], given: str | None) -> None:
    token = str(credentials.get("auth_token") or "")
    if not token or not given \
            or not hmac.compare_digest(signature(token, url, fields).encode(), given.encode()):
        raise Forbidden("The request is not signed by Twilio for this account.")


def parse_message(fields: Mapping[str, str]) -> InboundMessage | Unrouted:
    """A customer's message; Unrouted when it names no sender. Twilio's webhook carries no time of sending."""
    sender, item = (fields.get("From") or "").strip(), dict(fields)
    if not sender:
        return Unrouted("A message lacks From.", raw_json(item))
    sid = fields.get("MessageSid") or fields.get("SmsSid") or digest_id("twilio-nosid", raw_json(item))
    name, body = fields.get("ProfileName", ""), fields.get("Body", "")
    count = str(fields.get("NumMedia") or "0")
    media = int(count) if count.isascii() and count.isdigit() else 0
    if media:
        declared = fields.get("MediaContentType0", "")
        kind = (declared or "file/").split("/")[0]
        kind = {"application": "document", "text": "document", "file": "document"}.get(kind, kind)
        file = InboundMedia(fields["MediaUrl0"], declared) if fields.get("MediaUrl0") else None
        return InboundMessage(sid, sender, name, kind, f"[{kind}] {body}".strip(), file, item=item)
    if fields.get("Latitude") and fields.get("Longitude"):
        where = fields.get("Address") or fields.get("Label") or ""
        text = f"[location] {fields['Latitude']}, {fields['Longitude']}" + (f" ({where})" if where else "")
        return InboundMessage(sid, sender, name, "location", text, item=item)
    if fields.get("ButtonText"):
        return InboundMessage(sid, sender, name, "button", fields["ButtonText"], item=item)
    message_type = (fields.get("MessageType") or "text").lower()
    if message_type not in ("text", "button", "interactive") and not body:
        return InboundMessage(sid, sender, name, UNREADABLE,
                              f"[a message of type {message_type} this desk cannot show]",
                              item=item)
    return InboundMessage(sid, sender, name, "text", body, item=item)


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
    """POST /Accounts/{AccountSid}/Messages.json with basic auth, form-encoded. Files go as a MediaUrl that
    Twilio downloads from us; templates as an approved Content SID with its variables."""

    def __init__(self, client: httpx.AsyncClient, public_url: str) -> None:
        self.client, self.public_url = client, public_url

    async def send(self, account: Account, message: Outgoing) -> str:
        credentials = credentials_of(account)
        sid = str(credentials.get("account_sid") or "")
        to = "+" + message.to if message.to.isdigit() else message.to  # a WhatsApp id kept as WhatsApp gave it
        form = {"From": f"whatsapp:{account.phone_number}", "To": f"whatsapp:{to}",
                "StatusCallback": f"{self.public_url}/webhooks/twilio/{account.key}/status"}
        if message.template is not None:
            if not message.template.provider_id:
                raise SendFailed(f"The template {message.template.name!r} has no Twilio Content SID for this "
                                 "account.", retryable=False)
            form["ContentSid"] = message.template.provider_id
            form["ContentVariables"] = json.dumps({str(n): v for n, v in enumerate(message.template.variables, 1)})
        else:
            form["Body"] = message.text
            if message.file is not None:
                form["MediaUrl"] = message.file.link
        response = await request(self.client, "Twilio", "POST", f"{_base(account)}/Accounts/{sid}/Messages.json",
                                 data=form, auth=(sid, str(credentials.get("auth_token") or "")))
        if response.status_code not in (200, 201):
            error = json_error(response)
            reason = (f"{error.get('message') or 'Refused'} (Twilio error {error.get('code')})" if error
                      else f"HTTP {response.status_code} from Twilio")
            raise refused(response, reason)
        return answer_field(response, "Twilio", "sid")

    async def locate_media(self, account: Account, ref: str) -> httpx.Request:
        """MediaUrlN, with the account's credentials only when it is on the account's own Twilio API."""
        headers = {}
        if ref.startswith(_base(account) + "/"):
            credentials = credentials_of(account)
            pair = f"{credentials.get('account_sid') or ''}:{credentials.get('auth_token') or ''}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        return httpx.Request("GET", ref, headers=headers)


def _base(account: Account) -> str:
    return (account.api_base_url or API).rstrip("/")
