"""The customer's contact card beside a conversation (SPEC D8): the contact it is linked to, saved into a
list or edited there under the same rules as on the Contacts page."""
from __future__ import annotations

from typing import Any

from server.domain.contact_fields import STANDARD_FIELDS
from server.errors import NotFound
from server.services import list_rights
from server.services.access import interaction_to_edit, readable_interaction
from server.services.auth import Principal
from server.services.contacts import ContactService, hidden_fields

CARD_FIELDS = list(STANDARD_FIELDS)


async def card(contacts: ContactService, principal: Principal, interaction_id: int) -> dict[str, Any]:
    """The conversation's contact (None when not saved, or saved in a list the viewer may not see), whether
    it may be edited, the fields the viewer may write, and the lists a new contact may go to."""
    row = await readable_interaction(principal, interaction_id)
    editable = [f for f in CARD_FIELDS if f not in hidden_fields(contacts.masking(principal))]
    if row["contact_id"] is None:
        return {"contact": None, "saved": False, "can_edit": False, "fields": editable,
                "lists": await list_rights.list_names(principal, "add")}
    try:
        contact = await contacts.get(principal, row["contact_id"])
    except NotFound:  # saved in a list this viewer may not see
        return {"contact": None, "saved": True, "can_edit": False, "fields": [], "lists": []}
    return {"contact": contact, "saved": True, "can_edit": contact["can_edit"],
            "fields": [f for f in CARD_FIELDS if f not in contact["hidden"]], "lists": []}


async def save(contacts: ContactService, principal: Principal, interaction_id: int, changes: dict[str, Any],
               list_name: str | None = None) -> dict[str, Any]:
    """Edit the conversation's contact, or create it in `list_name` with the customer's number (not by an
    agent who left the conversation: they only read it)."""
    row = await interaction_to_edit(principal, interaction_id)
    if row["contact_id"] is not None:
        await contacts.update(principal, row["contact_id"], changes)
    else:
        await contacts.create(principal, {**changes, "list": list_name}, known_phone=row["customer_phone"])
    return await card(contacts, principal, interaction_id)
