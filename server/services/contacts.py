"""The customer's contact card from a conversation (SPEC C1, C2, C8, D8): read it, save the customer as a
contact, edit it, within the lists the user may add to or edit. Masked fields stay unseen and untouched."""
from __future__ import annotations

import re
from typing import Any

from tortoise.transactions import in_transaction

from server.domain.masking import Masking, masking_for
from server.errors import Forbidden, Invalid
from server.persistence.models import Contact, ContactList, ContactPhone, Interaction, ListPermission
from server.services.access import readable_interaction
from server.services.auth import Principal
from server.services.settings import SettingsService

FIELDS = {"first_name": 128, "last_name": 128, "email": 255, "company": 255, "notes": 4000}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MASKED_FIELDS = {"first_name": "name", "last_name": "name", "email": "email"}


class ContactService:
    def __init__(self, settings: SettingsService) -> None:
        self.settings = settings

    async def card(self, principal: Principal, interaction_id: int) -> dict[str, Any]:
        """The conversation's contact (masked for the viewer; None when not saved, or saved in a list the viewer
        may not see), whether it may be edited, and the lists a new contact may go to."""
        row = await readable_interaction(principal, interaction_id)
        masking = masking_for(principal.role, self.settings.get("masking"))
        if row["contact_id"] is None:
            return {"contact": None, "saved": False, "can_edit": False, "fields": self._editable(masking),
                    "lists": await self.lists_allowed(principal, "add")}
        contact = await Contact.get(id=row["contact_id"]).prefetch_related("list", "phones")
        if not await self._allowed(principal, contact.list_id, "view"):  # saved in a list this user may not see
            return {"contact": None, "saved": True, "can_edit": False, "fields": [], "lists": []}
        return {"contact": _view(contact, masking), "saved": True, "fields": self._editable(masking),
                "can_edit": await self._allowed(principal, contact.list_id, "edit"), "lists": []}

    @staticmethod
    def _editable(masking: Masking) -> list[str]:
        """The fields this viewer may write: all but those masked for them."""
        return [f for f in FIELDS if f not in MASKED_FIELDS or getattr(masking, MASKED_FIELDS[f]) == "none"]

    async def save(self, principal: Principal, interaction_id: int, changes: dict[str, Any],
                   list_name: str | None = None) -> dict[str, Any]:
        """Edit the conversation's contact, or create it in `list_name` with the customer's number."""
        row = await readable_interaction(principal, interaction_id)
        values = self._checked(principal, changes)
        if row["contact_id"] is not None:
            contact = await Contact.get(id=row["contact_id"])
            if not (await self._allowed(principal, contact.list_id, "view")
                    and await self._allowed(principal, contact.list_id, "edit")):
                raise Forbidden("You may not edit the contacts of this list.")
            await Contact.filter(id=contact.id).update(**values)
        else:
            target = await ContactList.get_or_none(name=list_name or "")
            if target is None or not await self._allowed(principal, target.id, "add"):
                raise Forbidden("Choose a list you may add contacts to.")
            async with in_transaction():
                contact = await Contact.create(list=target, **values)
                await ContactPhone.create(contact=contact, phone=row["customer_phone"])
                same_customer = await Interaction.filter(
                    account__key=row["account__key"], customer_phone=row["customer_phone"], contact_id=None
                ).values_list("id", flat=True)
                await Interaction.filter(id__in=same_customer).update(contact_id=contact.id)
        return await self.card(principal, interaction_id)

    async def lists_allowed(self, principal: Principal, right: str) -> list[str]:
        if principal.role == "admin":
            return list(await ContactList.all().order_by("name").values_list("name", flat=True))
        return list(await ListPermission.filter(user_id=principal.id, **{f"can_{right}": True}).order_by(
            "list__name").values_list("list__name", flat=True))

    async def _allowed(self, principal: Principal, list_id: int | None, right: str) -> bool:
        if principal.role == "admin":
            return True
        return list_id is not None and await ListPermission.filter(
            user_id=principal.id, list_id=list_id, **{f"can_{right}": True}).exists()

    def _checked(self, principal: Principal, changes: dict[str, Any]) -> dict[str, str]:
        masking = masking_for(principal.role, self.settings.get("masking"))
        values = {}
        for field, value in changes.items():
            if field not in FIELDS:
                raise Invalid(f"Unknown contact field {field!r}.")
            if not isinstance(value, str) or len(value) > FIELDS[field]:
                raise Invalid(f"{field} must be text of at most {FIELDS[field]} characters.")
            if field not in self._editable(masking):
                raise Forbidden(f"{field.replace('_', ' ')} is hidden from you, so you cannot change it.")
            values[field] = value.strip()
        if values.get("email") and not EMAIL.match(values["email"]):
            raise Invalid("That email address does not look valid.")
        return values


def _view(contact: Contact, masking: Masking) -> dict[str, Any]:
    return {"id": contact.id, "list": contact.list.name if contact.list else None,
            "first_name": masking.of_name(contact.first_name) or "",
            "last_name": masking.of_name(contact.last_name) or "", "email": masking.of_email(contact.email) or "",
            "company": contact.company, "notes": contact.notes,
            "phones": [masking.of_phone(p.phone) for p in contact.phones]}
