"""Merge two contacts into one, and duplicate a contact into another list (SPEC C5)."""
from __future__ import annotations

from typing import Any, cast

from server.errors import Forbidden, Invalid, NotFound, ProductError
from server.persistence.contact_saves import DuplicateContact
from server.persistence.contact_writes import MergeContacts
from server.persistence.keys import row_id
from server.persistence.models import ContactList, CustomField, Tag
from server.services import list_rights
from server.services.auth import Principal
from server.services.contacts import ContactService, contact_view, hidden_fields


async def merge(contacts: ContactService, principal: Principal, survivor_id: int, other: Any) -> dict[str, Any]:
    """`other` (an id) goes into `survivor_id`. Both must be visible and editable: the other is deleted."""
    other_id = row_id(other)
    if other_id is None:
        raise Invalid("other must be the id of the contact to merge into this one.")
    if other_id == survivor_id:
        raise Invalid("A contact cannot be merged with itself.")
    for contact_id in (survivor_id, other_id):
        row = await contacts.visible_row(principal, contact_id)
        if not await list_rights.allowed(principal, row["list_id"], "edit"):
            raise Forbidden(f"You may not edit contact {contact_id}'s list, so you cannot merge it.")
    after = await contacts.writer.submit(MergeContacts(survivor_id, other_id, principal.id, principal.username,
                                                       contacts.masking(principal)))
    if isinstance(after, ProductError):
        raise after
    if not after:
        raise NotFound("One of the two contacts was merged or deleted meanwhile; nothing was changed.")
    try:
        return await contacts.get(principal, survivor_id)
    except NotFound:  # merged into another one (or deleted) right after: this merge happened all the same
        return await _as_merged(contacts, principal, after)


async def _as_merged(contacts: ContactService, principal: Principal, after: dict[str, Any]) -> dict[str, Any]:
    """The survivor as the merge left it (the writer's snapshot), in the shape of ContactService.get."""
    names = sorted(cast(list[str], await Tag.filter(id__in=after["tags"]).values_list("name", flat=True)))
    found = await ContactList.get_or_none(id=after["list_id"]) if after["list_id"] else None
    row = {**after, "list": found.name if found else None, "tags": [{"name": n} for n in names],
           "created_at": None, "updated_at": None}
    masking = contacts.masking(principal)
    defined = set(cast(list[str], await CustomField.filter(list_id=after["list_id"]).values_list("name", flat=True)))
    return {**contact_view(row, masking, defined), "can_edit": False, "hidden": sorted(hidden_fields(masking, row)),
            "custom_fields": []}


async def duplicate(contacts: ContactService, principal: Principal, contact_id: int, target: Any) -> dict[str, Any]:
    """A copy in list `target` (which `principal` may add to); see DuplicateContact for what it holds. The
    conversations stay with the original."""
    row = await contacts.visible_row(principal, contact_id)
    list_id = await contacts.list_id(principal, target, "add")
    if list_id == row["list_id"]:
        raise Invalid("Choose another list: the contact is in this one already.")
    copy = await contacts.writer.submit(DuplicateContact(contact_id, list_id, principal.id,
                                                         contacts.masking(principal)))
    if isinstance(copy, ProductError):
        raise copy
    return await contacts.get(principal, copy)
