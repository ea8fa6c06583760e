"""Kaleyra WhatsApp (API v1): callback-profile events, and sending through `POST /v1/{sid}/messages`
(form-encoded, authenticated by the `api-key` header).

A callback is one flat event, JSON or form-encoded: an inbound message (`from`, `name`, `type`, `body`,
`media_url`, `mime_type`, `location`, `contacts`, `created_at`) or the status of one of ours (`id`, `status`,
`error`, `error_code`). Kaleyra signs nothing: the callback profile sends our secret in an `x-webhook-secret`
header (or `?secret=`). Inbound events carry no message id, so a retry is known by a digest of its fields.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx

from server.connectors.delivery import (UNREADABLE, InboundMedia, InboundMessage, StatusUpdate, Unrouted, as_object,
                                       as_text, digest_id, epoch, nul_free_fields, nul_free_json, raw_json)
from server.connectors.sending import Outgoing, SendFailed, answer_field, json_error, refused, request
from server.errors import Forbidden, Invalid
from server.persistence.models import Account
from server.persistence.credentials import credentials_of

API = "https://api.kaleyra.io"
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed", "not-sent": "failed"}
KINDS = {"text": "text", "image": "image", "video": "video", "audio": "audio", "voice": "audio",
         "document": "document", "sticker": "sticker", "location": "location", "contacts": "contacts",
         "button": "button", "interactive": "interactive"}
MEDIA_TYPES = {"image", "video", "audio", "voice", "document", "sticker"}
RETRY_KEYS = ("from", "wanumber", "created_at", "type", "body", "media_url", "location", "contacts")


def check_secret(credentials: Mapping[str, Any], headers: Mapping[str, str], query: Mapping[str, str]) -> None:
    expected = str(credentials.get("webhook_secret") or "")
    given = headers.get("x-webhook-secret") or query.get("secret") or ""
    if not expected or not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden("The callback does not carry this account's webhook secret.")


def parse(raw: bytes, content_type: str) -> tuple[list[InboundMessage], list[StatusUpdate], list[Unrouted]]:
    """One callback's body (JSON or form-encoded); only a body that is neither is refused (Invalid)."""
    return read_event(_fields(raw, content_type))


def read_event(event: dict[str, Any]) -> tuple[list[InboundMessage], list[StatusUpdate], list[Unrouted]]:
    """One event (a body's fields, or a GET callback's query): a customer's message, or a delivery state of
    ours (states we do not track give nothing). What is neither, or names no sender, is kept apart."""
    if "status" in event:
        status = _status(event)
        if status is None:
            return [], [], [Unrouted("A status lacks its id or status.", raw_json(event))]
        return [], status, []
    if as_text(event.get("from")).strip():
        return [_message(event)], [], []
    return [], [], [Unrouted("Neither an inbound message (from, type) nor a status (id, status).", raw_json(event))]


def _fields(raw: bytes, content_type: str) -> dict[str, Any]:
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        try:
            return nul_free_fields(dict(parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=bool(raw))))
        except ValueError:  # UnicodeDecodeError included
            raise Invalid("The body is not form-encoded.") from None
    try:
        body = json.loads(nul_free_json(raw))
    except (ValueError, RecursionError):
        raise Invalid("The body is not JSON.") from None
    if not isinstance(body, dict):
        raise Invalid("The body must be a JSON object.")
    return body


def _status(event: dict[str, Any]) -> list[StatusUpdate] | None:
    message_id, state = as_text(event.get("id")), as_text(event.get("status")).strip().lower()
    if not message_id or not state:
        return None
    status = STATUSES.get(state)
    if status is None:
        return []
    return [StatusUpdate(message_id, status, _reason(event, state) if status == "failed" else None)]


def _reason(event: dict[str, Any], state: str) -> str:
    detail = as_text(event.get("error")) or as_text(event.get("message")) or "Not delivered"
    code = as_text(event.get("error_code"))
    prefix = "Kaleyra did not send it: " if state == "not-sent" else ""
    return (prefix + detail + (f" ({code})" if code else ""))[:500]


def _message(event: dict[str, Any]) -> InboundMessage:
    sender = as_text(event.get("from")).strip()
    given = as_text(event.get("type")).strip().lower() or "text"
    kind = KINDS.get(given, UNREADABLE)
    media, link_refused = _media(event) if given in MEDIA_TYPES else (None, False)
    text = _text_of(given, event, media)
    if link_refused:
        kind, text = UNREADABLE, f"{text} (its file link is not an http(s) URL and was not fetched)"
    return InboundMessage(_message_id(event), sender, as_text(event.get("name")), kind, text, media,
                          _sent_at(event.get("created_at")), event)


def _sent_at(created_at: Any) -> float | None:
    """`created_at` when it is an epoch time; a date-time without its zone is not trusted (Kaleyra does not
    document one), so the time we received it stands."""
    text = as_text(created_at).strip()
    return epoch(text) if text.replace(".", "", 1).isdigit() else None


def _message_id(event: dict[str, Any]) -> str:
    """Kaleyra's id when the profile sends one; else a digest of what a retry repeats (sent at `created_at`),
    or of the whole event when it has no time."""
    if as_text(event.get("id")):
        return as_text(event["id"])
    if not as_text(event.get("created_at")):
        return digest_id("kaleyra", raw_json(event))
    return "kaleyra-" + hashlib.sha256(raw_json([event.get(k) for k in RETRY_KEYS]).encode()).hexdigest()[:40]


def _media(event: dict[str, Any]) -> tuple[InboundMedia | None, bool]:
    """The file to fetch, and whether a link was refused (only http(s) links are fetched)."""
    url = as_text(event.get("media_url")).strip()
    if not url:
        return None, False
    if not url.lower().startswith(("https://", "http://")):
        return None, True
    return InboundMedia(url, as_text(event.get("mime_type")), unquote(url.split("?")[0].rsplit("/", 1)[-1])), False


def _text_of(kind: str, event: dict[str, Any], media: InboundMedia | None) -> str:
    """What the agent reads, as for Meta's messages (media files are fetched separately)."""
    body = as_text(event.get("body"))
    if kind in ("text", "button", "interactive"):
        return body
    if kind in MEDIA_TYPES:
        label = body or (media.filename if media and kind == "document" else "")
        return f"[{'audio (voice)' if kind == 'voice' else kind}] {label}".strip()
    if kind == "location":
        place = as_object(_structured(event.get("location")))
        where = ", ".join(as_text(place.get(k)) for k in ("name", "address") if as_text(place.get(k)))
        return (f"[location] {as_text(place.get('latitude'))}, {as_text(place.get('longitude'))}"
                + (f" ({where})" if where else ""))
    if kind == "contacts":
        people = _structured(event.get("contacts"))
        people = people if isinstance(people, list) else [people]
        return "[contacts] " + "; ".join(_person(p) for p in people if isinstance(p, dict))
    return "[a message type this desk cannot show]"


def _structured(value: Any) -> Any:
    """`location` and `contacts` come as JSON objects or as JSON text (a form field, a profile's string)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return None
    return value


def _person(person: dict[str, Any]) -> str:
    phones = listed if isinstance(listed := person.get("phones"), list) else []
    return " ".join(filter(None, [as_text(as_object(person.get("name")).get("formatted_name")),
                                  *(as_text(as_object(p).get("phone")) for p in phones)]))


class KaleyraSender:
    """POST /v1/{sid}/messages with the account's api-key: a text, a media link with a caption, or a template."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(self, account: Account, message: Outgoing) -> str:
        credentials = credentials_of(account)
        url = f"{(account.api_base_url or API).rstrip('/')}/v1/{credentials.get('sid', '')}/messages"
        response = await request(self.client, "Kaleyra", "POST", url, data=_form(account, message),
                                 headers={"api-key": str(credentials.get("api_key") or "")})
        if not response.is_success:
            raise refused(response, _refusal(response))
        return _sent_id(response)

    async def locate_media(self, account: Account, ref: str) -> httpx.Request:
        """Kaleyra keeps inbound files in its own storage and gives a plain link: no credentials go with it."""
        return self.client.build_request("GET", ref)


def _form(account: Account, message: Outgoing) -> dict[str, str]:
    form = {"channel": "whatsapp", "from": account.phone_number, "to": message.to}
    profile = as_text(credentials_of(account).get("callback_profile_id"))
    if profile:  # where Kaleyra sends this message's statuses, when not set on the number
        form["callback_profile_id"] = profile
    if message.template is not None:
        template = message.template
        form |= {"type": "template", "template_name": template.provider_id or template.name,
                 "lang_code": template.language}
        if template.variables:  # quoted, comma-separated: a value may hold a comma
            form["params"] = ",".join('"' + v.replace('"', '""') + '"' for v in template.variables)
    elif message.file is not None:
        form |= {"type": "media", "media_url": message.file.link}
        if message.text:
            form["caption"] = message.text
    else:
        form |= {"type": "text", "body": message.text}
    return form


def _sent_id(response: httpx.Response) -> str:
    """The recipient's message id (`data[0].message_id`, '<uuid>:0'), which the status callbacks carry."""
    try:
        return answer_field(response, "Kaleyra", "data", 0, "message_id")
    except SendFailed:
        return answer_field(response, "Kaleyra", "id")


def _refusal(response: httpx.Response) -> str:
    """Kaleyra's `{"code", "message", "error": {field: reason}}` as one line."""
    answer = json_error(response)
    fields = as_object(answer.get("error"))
    detail = "; ".join(f"{k}: {as_text(v)}" for k, v in fields.items() if as_text(v)) or as_text(answer.get("error"))
    reason = " - ".join(filter(None, [as_text(answer.get("message")), detail])) or f"HTTP {response.status_code}"
    code = as_text(answer.get("code"))
    return f"Kaleyra: {reason}" + (f" ({code})" if code else "")
