"""One chat message as one element: its bubble's HTML (every text escaped here) and its CSS classes.

A message is a single element so that a conversation of many messages stays light in server memory
(NiceGUI keeps every element of every connected client).
"""
from __future__ import annotations

import re
from datetime import datetime
from html import escape
from typing import Any

from server.domain.phone import readable_phone

MEDIA_LABEL = re.compile(r"^\[(image|video|audio|document|sticker)[^\]]*\]\s*")
BLUE_TICKS = "<span style='color:#34b7f1'>✓✓</span>"
TICKS = {"queued": ("🕓", "Waiting to be sent"), "sent": ("✓", "Sent"), "delivered": ("✓✓", "Delivered"),
         "read": (BLUE_TICKS, "Read"), "played": (BLUE_TICKS, "Played")}


def bubble_classes(message: dict[str, Any]) -> str:
    side = {"in": "xc-in", "out": "xc-out", "note": "xc-note"}.get(message["direction"], "xc-in")
    failed = " xc-failed" if message["status"] == "failed" else ""
    return f"xc-bubble {side}{failed}"


def bubble_html(message: dict[str, Any], file_url: str | None) -> str:
    parts = []
    if message["direction"] == "note":
        label = f"Supervisor's note for {message['to']} only" if message.get("to") else "Internal note"
        parts.append(f"<div style='font-size:11px;font-weight:600;color:#8a6d00'>🔒 {escape(label)} · "
                     f"{escape(message['sender'])}</div>")
    attachment = message.get("attachment")
    text = message["text"]
    if attachment is not None:
        parts.append(_attachment_html(attachment, file_url))
        text = _caption(text)
    if message.get("deleted"):
        parts.append("<div class='xc-muted' style='font-size:12px'>🚫 Deleted by the customer</div>")
    if text:
        struck = " style='text-decoration:line-through;opacity:.6'" if message.get("deleted") else ""
        parts.append(f"<div{struck}>{escape(text)}</div>")
    if message.get("previous_texts"):
        earlier = "".join(f"<li>{escape(t)}</li>" for t in message["previous_texts"])
        parts.append(f"<details class='xc-muted' style='font-size:12px'><summary>Earlier versions</summary>"
                     f"<ol style='margin:2px 0 0 16px'>{earlier}</ol></details>")
    if message.get("payload"):
        parts.append("<details class='xc-muted' style='font-size:12px'><summary>Raw payload (admins)</summary>"
                     f"<pre style='white-space:pre-wrap;max-height:200px;overflow:auto'>{escape(message['payload'])}"
                     "</pre></details>")
    if message.get("reaction"):
        parts.append(f"<div class='xc-reaction' title='The customer reacted'>{escape(message['reaction'])}</div>")
    parts.append(_meta_html(message))
    if message["status"] == "failed":
        parts.append(f"<div style='color:#d92d20;font-size:12px'>⚠ Not delivered: "
                     f"{escape(message.get('error') or 'the provider refused it')}</div>")
    return "".join(parts)


def _caption(text: str) -> str:
    """An inbound media message's text is "[image] caption": beside the file itself, only the caption."""
    return MEDIA_LABEL.sub("", text, count=1)


def _meta_html(message: dict[str, Any]) -> str:
    """Who sent it (ours), when (the customer's time for theirs; both times on hover), edited, ticks."""
    created, sent = message["created_at"], message.get("sent_at")
    shown = sent or created
    details = (f"Sent by the customer {_moment(sent)} · received {_moment(created)}" if sent
               else f"Received {_moment(created)}" if message["direction"] == "in" else f"Written {_moment(created)}")
    when = (f"<span class='xc-time' data-utc='{escape(shown or '')}' title='{escape(details)}'>{_clock(shown)}"
            "</span>")
    if message.get("edited"):
        when += " · <span title='The customer edited this message'>edited</span>"
    tick = ""
    if message["direction"] == "out":
        symbol, title = TICKS.get(message["status"], ("⚠", "Failed"))
        tick = f" <span title='{title}' data-status='{escape(message['status'])}'>{symbol}</span>"
    who = f"{escape(message['sender'])} · " if message["direction"] == "out" else ""
    return f"<div class='xc-meta'>{who}{when}{tick}</div>"


def _attachment_html(attachment: dict[str, Any], url: str | None) -> str:
    name = escape(attachment.get("filename") or "file")
    if attachment["state"] == "pending":
        return "<div class='xc-muted'>⏳ Receiving the file…</div>"
    if attachment["state"] == "failed" or url is None:
        reason = escape(attachment.get("error") or "")
        return f"<div style='color:#d92d20'>⚠ The file could not be received: {reason}</div>"
    kind = attachment["content_type"].split("/")[0]
    if kind == "image":
        return (f"<a href='{url}' target='_blank'><img src='{url}' alt='{name}' "
                "style='max-width:260px;max-height:260px;border-radius:6px'></a>")
    if kind == "audio":
        return f"<audio controls preload='none' src='{url}' style='width:240px'></audio>"
    if kind == "video":
        return f"<video controls preload='none' src='{url}' style='max-width:260px'></video>"
    size = attachment.get("size") or 0
    return f"<a href='{url}' download='{name}'>📄 {name}</a> <span class='xc-muted'>({_size(size)})</span>"


def _clock(value: str | None) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.strftime("%d %b %H:%M") if (datetime.now(moment.tzinfo) - moment).days else moment.strftime("%H:%M")


def _moment(value: str | None) -> str:
    """A time to the second, in UTC (the page shows clocks in the viewer's zone; details are exact)."""
    if not value:
        return ""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S UTC")


def _size(count: int) -> str:
    return f"{count / 2**20:.1f} MB" if count >= 2**20 else f"{max(1, count // 1024)} KB"


def customer_label(contact: dict[str, Any], unknown: str = "Customer") -> str:
    """How a customer is named to people: the name, else the number in its readable form (or masked)."""
    return contact.get("name") or readable_phone(contact.get("phone") or "") or unknown


def header_html(contact: dict[str, Any], interaction: dict[str, Any] | None = None) -> str:
    """Who the customer is (and, in a conversation, on which account and queue), as one element."""
    name = customer_label(contact)
    address = readable_phone(contact["phone"] or "")
    if address and contact.get("phone_kind") == "wa_id":
        address += " (WhatsApp id, not a valid phone number)"
    elif address and contact.get("phone_kind") == "user_id":
        address += " (WhatsApp user id: no number shared)"
    where = [address] + ([interaction["account"], interaction["queue"]] if interaction else [])
    return (f"<div style='display:flex;gap:12px;align-items:center'><div class='xc-avatar'>{escape(name[:1].upper())}"
            f"</div><div><div class='text-base font-medium'>{escape(name)}</div><div class='xc-muted text-xs'>"
            f"{escape(' · '.join(filter(None, where)))}</div></div></div>")


def file_url(message: dict[str, Any]) -> str | None:
    """Where the signed-in browser fetches a message's stored file (ui/files.py), if it has one."""
    attachment = message.get("attachment")
    if attachment is None or attachment["state"] != "stored":
        return None
    return f"/desk/files/{message['interaction_id']}/{message['id']}"
