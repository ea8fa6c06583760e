"""Meta WhatsApp Cloud API webhooks: the subscription check, the payload signature, inbound messages.

Payload reference: a POST carries `{"object": "whatsapp_business_account", "entry": [{"changes": [{"field":
"messages", "value": {"contacts": [...], "messages": [...], "statuses": [...]}}]}]}`, signed with
`X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with the app secret>`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import httpx

from server.connectors.delivery import (UNREADABLE, InboundMedia, InboundMessage, StatusUpdate, Unrouted, as_list,
                                       as_object, as_text, digest_id, epoch, raw_json)
from server.connectors.sending import (OutboundFile, OutboundTemplate, Outgoing, SendFailed, answer_field, json_error,
                                       refused, request)
from server.domain.phone import address_kind
from server.errors import Forbidden, Invalid
from server.persistence.models import Account
from server.persistence.credentials import credentials_of

log = logging.getLogger(__name__)

def verify_subscription(credentials: dict[str, Any], params: dict[str, str]) -> str:
    """Meta's GET handshake: echo `hub.challenge` when the verify token is ours."""
    expected = str(credentials.get("verify_token") or "")
    given = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not expected \
            or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden("The verify token does not match this account.")
    return params.get("hub.challenge", "")


def check_signature(credentials: dict[str, Any], raw: bytes, header: str | None) -> None:
    secret = str(credentials.get("app_secret") or "")
    if not secret or not header or not header.startswith("sha256="):
        raise Forbidden("The payload is not signed for this account.")
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(header.removeprefix("sha256=").encode(), expected.encode()):
        raise Forbidden("The payload signature does not match.")


@dataclass(frozen=True)
class MetaChange:
    """One change of a delivery: what happened on one of the app's numbers (`phone_number_id`)."""

    phone_number_id: str
    display_number: str
    messages: list[InboundMessage]
    statuses: list[StatusUpdate]
    unrouted: list[Unrouted]
    item: Any  # the change as delivered: kept whole when no account of ours has its number


def parse(raw: bytes) -> list[MetaChange]:
    """Every change of every entry. Only a body that is not a JSON object with an `entry` list is refused
    (Invalid): each message, status or change that cannot be read is kept apart (an unreadable message of its
    conversation, or Unrouted), so it never costs the good ones beside it."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Invalid("The body is not JSON.") from None
    if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
        raise Invalid("Expected an object with an 'entry' list.")
    found: list[MetaChange] = []
    for entry in body["entry"]:
        changes = as_object(entry).get("changes")
        if isinstance(changes, list):
            found.extend(_change(change) for change in changes)
        else:
            found.append(MetaChange("", "", [], [], [Unrouted("An entry has no 'changes' list.", raw_json(entry))],
                                    entry))
    return found


def _change(change: Any) -> MetaChange:
    value = as_object(change).get("value")
    if not isinstance(value, dict):
        return MetaChange("", "", [], [], [Unrouted("A change has no 'value' object.", raw_json(change))], change)
    metadata = as_object(value.get("metadata"))
    names: dict[str, str] = {}
    for contact in as_list(value.get("contacts")):
        name = as_text(as_object(as_object(contact).get("profile")).get("name"))
        for key in ("wa_id", "user_id"):
            if as_text(as_object(contact).get(key)):
                names[as_text(as_object(contact)[key])] = name
    messages: list[InboundMessage] = []
    unrouted: list[Unrouted] = []
    for item in as_list(value.get("messages")):
        read = _message_or_unreadable(item, names)
        if isinstance(read, InboundMessage):
            messages.append(read)
        else:
            unrouted.append(read)
    statuses = []
    for item in as_list(value.get("statuses")):
        status = _status(item)
        if status is None:
            unrouted.append(Unrouted("A status lacks its 'id' or 'status'.", raw_json(item)))
        else:
            statuses.append(status)
    for key in ("messages", "statuses", "contacts"):
        if key in value and not isinstance(value[key], list):
            unrouted.append(Unrouted(f"'{key}' is not a list.", raw_json(value[key])))
    return MetaChange(as_text(metadata.get("phone_number_id")), as_text(metadata.get("display_phone_number")),
                      messages, statuses, unrouted, change)


def _status(status: Any) -> StatusUpdate | None:
    """A delivery state of one of our outbound messages."""
    if not isinstance(status, dict) or not as_text(status.get("id")) or not as_text(status.get("status")):
        return None
    reason = None
    errors = as_list(status.get("errors"))
    if errors and isinstance(errors[0], dict):
        first = errors[0]
        detail = as_text(as_object(first.get("error_data")).get("details")) or as_text(first.get("message"))
        reason = f"{as_text(first.get('title')) or 'Error'} ({as_text(first.get('code'))}): {detail}".strip()
    return StatusUpdate(as_text(status["id"]), as_text(status["status"]), reason)


def _message_or_unreadable(item: Any, names: dict[str, str]) -> InboundMessage | Unrouted:
    """The message as the customer meant it; one whose content cannot be read is kept as an unreadable
    message of its conversation (with the item attached); one without any sender is Unrouted."""
    message = as_object(item)
    sender, user_id = _sender(message)
    if not sender:
        return Unrouted("A message has neither 'from' nor 'from_user_id'.", raw_json(item))
    message_id = as_text(message.get("id")) or digest_id("meta-noid", raw_json(item))
    kind = as_text(message.get("type")) or "?"
    unreadable = InboundMessage(message_id, sender, names.get(sender, ""), UNREADABLE,
                                f"[a message this desk could not read (type {kind})]",
                                sent_at=epoch(message.get("timestamp")), item=item, user_id=user_id)
    try:
        return _message(message, unreadable) or unreadable
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
        log.warning("an unreadable Meta message %s kept as such: %s", message_id, type(error).__name__)
        return unreadable


def _sender(message: dict[str, Any]) -> tuple[str, bool]:
    """The customer's WhatsApp id (`from`), or their business-scoped user id when that is all there is."""
    if as_text(message.get("from")).strip():
        return as_text(message["from"]).strip(), False
    return as_text(message.get("from_user_id")).strip(), True


MEDIA_KINDS = ("image", "video", "document", "audio", "sticker")


def _message(message: dict[str, Any], unreadable: InboundMessage) -> InboundMessage | None:
    """What `message` says, as `unreadable` (who sent it, when) with its kind and content; None when the
    content is not what its type promises."""
    kind = as_text(message.get("type")) or UNREADABLE
    part = as_object(message.get(kind))

    def read(text: str, media: InboundMedia | None = None, *, as_kind: str = kind, refers_to: str | None = None,
             new_sender: str | None = None) -> InboundMessage:
        return InboundMessage(unreadable.id, unreadable.sender, unreadable.name, as_kind[:16], text, media,
                              unreadable.sent_at, unreadable.item, refers_to, unreadable.user_id, new_sender)

    if kind == "text":
        if not isinstance(part.get("body"), str):
            return None
        return read(part["body"] + _referral(message))
    if kind in MEDIA_KINDS:
        media = InboundMedia(as_text(part["id"]), as_text(part.get("mime_type")).split(";")[0].strip(),
                             as_text(part.get("filename"))) if as_text(part.get("id")) else None
        label = as_text(part.get("caption")) or as_text(part.get("filename"))
        voice = " (voice)" if kind == "audio" and part.get("voice") is True else ""
        return read(f"[{kind}{voice}] {label}".strip() + _referral(message), media)
    if kind == "location":
        where = ", ".join(as_text(part.get(k)) for k in ("name", "address") if as_text(part.get(k)))
        return read(f"[location] {as_text(part.get('latitude'))}, {as_text(part.get('longitude'))}"
                    + (f" ({where})" if where else ""))
    if kind == "contacts":
        people = [_person(p) for p in as_list(message.get("contacts")) if isinstance(p, dict)]
        return read("[contacts] " + "; ".join(people))
    if kind == "interactive":
        return _interactive(part, read)
    if kind == "button":
        return read(as_text(part.get("text")) or as_text(part.get("payload")))
    if kind == "reaction":
        if not as_text(part.get("message_id")):
            return None
        return read(as_text(part.get("emoji")), refers_to=as_text(part["message_id"]))
    if kind in ("edit", "revoke"):
        return _customer_change(kind, part, read)
    if kind == "order":
        return read(_order(part))
    if kind == "system":
        return _system(part, read)
    # "unsupported", "unknown" and whatever WhatsApp adds later: visible, with what Meta said about it
    return read(_unsupported(kind, message), as_kind=UNREADABLE)


def _person(person: dict[str, Any]) -> str:
    return " ".join(filter(None, [as_text(as_object(person.get("name")).get("formatted_name")),
                                  *(as_text(as_object(ph).get("phone")) for ph in as_list(person.get("phones")))]))


def _referral(message: dict[str, Any]) -> str:
    """A first message sent from an ad (click to WhatsApp): which ad, on a line of its own."""
    if "referral" not in message:
        return ""
    referral = as_object(message["referral"])
    what = as_text(referral.get("headline")) or as_text(referral.get("body"))
    where = as_text(referral.get("source_url"))
    if not (what or where):
        return ""
    return "\n[from an ad] " + " · ".join(filter(None, [what, where]))


def _interactive(part: dict[str, Any], read: Callable[..., InboundMessage]) -> InboundMessage:
    """The customer's answer to an interactive message: a button or list choice, a form (WhatsApp Flow),
    a call permission, or an answer that carries nothing."""
    answer_kind = as_text(part.get("type"))
    reply = as_object(part.get("button_reply")) or as_object(part.get("list_reply"))
    if reply:
        title, detail = as_text(reply.get("title")), as_text(reply.get("description"))
        return read(title + (f" ({detail})" if detail else "") if title else f"[choice] {as_text(reply.get('id'))}")
    if "nfm_reply" in part:
        return read(_form_reply(as_object(part.get("nfm_reply"))))
    if "call_permission_reply" in part:
        return read(_call_permission(as_object(part.get("call_permission_reply"))))
    if not answer_kind and not any(isinstance(v, dict) and v for v in part.values()):
        return read("[an interactive reply with no content]")
    return read(f"[an interactive reply of type {answer_kind or '?'} this desk cannot show]", as_kind=UNREADABLE)


def _form_reply(reply: dict[str, Any]) -> str:
    """A WhatsApp Flow's answers: each field of `response_json` (but the flow's token) as 'name: value'."""
    try:
        answers = json.loads(as_text(reply.get("response_json")) or "{}")
    except (ValueError, RecursionError):
        answers = as_text(reply.get("response_json"))
    lines = [f"[form reply] {as_text(reply.get('name')) or 'flow'}" + (
        f": {as_text(reply.get('body'))}" if as_text(reply.get("body")) else "")]
    if isinstance(answers, dict):
        lines += [f"{key}: {_answer(value)}" for key, value in answers.items() if key != "flow_token"]
    elif answers:
        lines.append(str(answers))
    return "\n".join(lines)


def _answer(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_answer(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "yes" if value is True else "no" if value is False else as_text(value)


def _call_permission(reply: dict[str, Any]) -> str:
    response = as_text(reply.get("response")).lower()
    verdict = {"accept": "allowed", "reject": "declined"}.get(response, response or "answered")
    until = epoch(reply.get("expiration_timestamp"))
    when = (" until " + datetime.fromtimestamp(until, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")) if until else ""
    permanent = " (permanently)" if reply.get("is_permanent") is True else ""
    return f"[call permission] The customer {verdict} calls{permanent}{when}."


def _customer_change(kind: str, part: dict[str, Any], read: Callable[..., InboundMessage]) -> InboundMessage | None:
    """An edit (the new content of an earlier message) or a revoke (the customer deleted it)."""
    original = as_text(part.get("original_message_id")) or as_text(part.get("message_id"))
    if not original:
        return None
    if kind == "revoke":
        return read("", refers_to=original)
    inner = as_object(part.get("message"))
    inner_kind = as_text(inner.get("type")) or "text"
    content = as_object(inner.get(inner_kind))
    text = as_text(content.get("body")) or as_text(content.get("caption")) or as_text(part.get("text"))
    return read(text, refers_to=original)


def _order(order: dict[str, Any]) -> str:
    items = [as_object(i) for i in as_list(order.get("product_items"))]
    lines = [f"[order] {len(items)} item{'s' * (len(items) != 1)} from catalog {as_text(order.get('catalog_id'))}"]
    for item in items:
        price = " ".join(filter(None, [as_text(item.get("item_price")), as_text(item.get("currency"))]))
        lines.append(f"{as_text(item.get('quantity')) or '1'} x {as_text(item.get('product_retailer_id'))}"
                     + (f" at {price}" if price else ""))
    if as_text(order.get("text")):
        lines.append(as_text(order["text"]))
    return "\n".join(lines)


def _system(part: dict[str, Any], read: Callable[..., InboundMessage]) -> InboundMessage:
    """WhatsApp's notices: the customer changed their number (replies now go to the new one), or their
    identity (security code) changed."""
    notice = as_text(part.get("type"))
    if notice == "user_changed_user_id" and as_text(part.get("user_id")):
        return read("[system] The customer's WhatsApp user id changed; replies go to the new one.",
                    new_sender=as_text(part["user_id"]))
    if notice in ("user_changed_number", "customer_changed_number"):
        new = as_text(part.get("wa_id")) or as_text(part.get("new_wa_id"))
        shown = "+" + new if new.isdigit() else new
        return read(f"[system] The customer changed their WhatsApp number to {shown}; replies go to the new number."
                    if new else "[system] The customer changed their WhatsApp number.", new_sender=new or None)
    if notice in ("user_identity_changed", "customer_identity_changed"):
        return read("[system] The customer's security code changed: they may have reinstalled WhatsApp or "
                    "changed phones.")
    return read("[system] " + (as_text(part.get("body")) or notice or "a notice from WhatsApp"))


def _unsupported(kind: str, message: dict[str, Any]) -> str:
    kind = as_text(as_object(message.get("unsupported")).get("type")) or kind  # what WhatsApp could not pass on
    errors = [as_object(e) for e in as_list(message.get("errors"))]
    detail = "; ".join(filter(None, (as_text(as_object(e.get("error_data")).get("details")) or as_text(e.get("title"))
                                     for e in errors)))
    return f"[a message of type {kind} this desk cannot show]" + (f" ({detail})" if detail else "")


GRAPH_API = "https://graph.facebook.com/v21.0"
CAPTIONED = ("image", "video", "document")


class MetaSender:
    """POST /{phone-number-id}/messages on the Graph API (or the account's own base URL). Files are
    uploaded to /{phone-number-id}/media first, or sent by link when the account says `media_by_link`."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(self, account: Account, message: Outgoing) -> str:
        credentials = credentials_of(account)
        body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
        if address_kind(message.to) == "user_id":  # a customer known only by their business-scoped user id
            body["recipient"] = message.to
        else:
            body["to"] = message.to.lstrip("+")
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
