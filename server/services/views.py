"""How interactions, messages and offers are shown: one shape for the API and the UI."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from server.domain.masking import UNMASKED, Masking
from server.domain.phone import address_kind
from server.domain.window import window_closes_at


def iso(value: datetime | float | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def customer_details(row: dict[str, Any], prefix: str = "") -> tuple[list[str], list[str], list[str]]:
    """The names, numbers and emails of an interaction's customer (its row's fields under `prefix`): what a
    masked viewer must not read in any text."""
    saved = " ".join(filter(None, [row.get(f"{prefix}contact__first_name"), row.get(f"{prefix}contact__last_name")]))
    return ([row.get(f"{prefix}customer_name") or "", saved], [row.get(f"{prefix}customer_phone") or ""],
            [row.get(f"{prefix}contact__email") or ""])


def contact_view(row: dict[str, Any], masking: Masking, lists: set[int] | None) -> dict[str, Any]:
    """The customer of an interaction row. `lists`: the contact lists the viewer may see (None: every one, for
    administrators; `list_rights.list_ids`); a contact saved in another list is not named, as reading it
    answers that there is none."""
    phone = row.get("customer_phone") or ""
    contact_id = row.get("contact_id") if lists is None or row.get("contact__list_id") in lists else None
    return {"id": contact_id, "name": masking.of_name(row.get("customer_name") or "") or "",
            "phone": masking.of_phone(phone), "phone_kind": address_kind(phone) if phone else None}


def interaction_view(row: dict[str, Any], unread: int, *, masking: Masking, lists: set[int] | None,
                     tags: list[str] | None = None, last_message: dict[str, Any] | None = None,
                     transfer: dict[str, Any] | None = None, viewer: str | None = None,
                     part: str | None = None) -> dict[str, Any]:
    """`part`: an agent viewer's part in it ("owner", or "transferred" / "returned" once they left it, when
    nothing in it is unread for them); None for supervisors and admins. `can_edit`: the `viewer` owns it and
    it is open (they may write, transfer and close it)."""
    left = part not in (None, "owner")
    return {
        "id": row["id"],
        "status": row["status"],
        "owner": row["owner__username"],
        "first_agent": row["first_agent__username"],
        "unread": unread if row["status"] == "open" and not left else 0,
        "my_part": part,
        "can_edit": row["status"] == "open" and viewer is not None and row["owner__username"] == viewer,
        "queue": row["queue__name"],
        "account": row["account__key"],
        "provider": row["account__provider"],
        "contact": contact_view(row, masking, lists),
        "created_at": iso(row["created_at"]),
        "accepted_at": iso(row["accepted_at"]),
        "closed_at": iso(row["closed_at"]),
        "last_inbound_at": iso(row["last_inbound_at"]),
        "window_closes_at": iso(window_closes_at(row["account__provider"], row["account__window_hours"],
                                                 row["last_inbound_at"])),
        "disposition": row["disposition__name"],
        "tags": tags or [],
        "last_message": last_message if masking == UNMASKED or not last_message else {
            **last_message, "text": masking.within(last_message["text"], *customer_details(row))},
        "transfer": transfer,
    }


def message_view(row: dict[str, Any], masking: Masking = UNMASKED, *, with_payload: bool = False) -> dict[str, Any]:
    """A message; an inbound one's sender is the customer, masked like the contact. `created_at` is when we
    stored it (received), `sent_at` when the customer sent it (inbound, when the provider says). The raw item
    of a message the desk cannot show (`payload`) is only for admins (`with_payload`)."""
    sender, text = row["sender"], row["text"]
    if row["direction"] == "in":
        sender = masking.of_name(sender) if sender and sender != row.get("interaction__customer_phone") \
            and not sender.startswith("+") else masking.of_phone(sender)
    edits = row.get("edits") or []
    earlier = [edit.get("text", "") for edit in edits]
    if masking != UNMASKED:  # the customer's words, and the agents' (filled placeholders), may hold them
        details = customer_details(row, "interaction__")
        text = masking.within(text, *details)
        earlier = [masking.within(t, *details) for t in earlier]
    view = {
        "id": row["id"],
        "interaction_id": row["interaction_id"],
        "direction": row["direction"],
        "kind": row["kind"],
        "text": text,
        "status": row["status"],
        "sender": sender,
        "error": row["error"],
        "created_at": iso(row["created_at"]),
        "sent_at": iso(row.get("sent_at")),
        "edited": bool(edits),
        "previous_texts": earlier,  # the customer's earlier versions, oldest first
        "deleted": row.get("revoked_at") is not None,  # deleted by the customer: kept, marked
        "reaction": row.get("reaction"),  # the customer's reaction to it
        "attachment": attachment_view(row),
        "to": row.get("recipient"),  # a supervisor's note for this agent only
    }
    if with_payload and row.get("payload"):
        view["payload"] = row["payload"]
    return view


def attachment_view(row: dict[str, Any]) -> dict[str, Any] | None:
    """A media message's file; `url` downloads it (signed in) once it is stored."""
    file = row.get("attachment")
    if file is None:
        return None
    return {"content_type": file["content_type"], "filename": file["filename"], "size": file["size"],
            "state": file["state"], "error": file["error"],
            "url": f"/api/v1/interactions/{row['interaction_id']}/messages/{row['id']}/file"
            if file["state"] == "stored" else None}
