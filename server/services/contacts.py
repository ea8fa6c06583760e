"""The contact manager (SPEC C1-C8): read, find, create, edit, delete contacts within the viewer's list
rights, masked for masked viewers. A contact in a list the viewer may not see is answered 404, the same
as one that does not exist, so its existence does not leak."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from server.domain.contact_fields import FIELD_NAME, FieldSpec, checked_standard, checked_values, search_columns
from server.domain.masking import UNMASKED, Masking, masking_for
from server.domain.phone import normalize_phone
from server.domain.tags import GREY, shown_colors
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.persistence.contact_queries import ContactFilter, contact_rows, find_contacts
from server.persistence.contact_writes import DeleteContact
from server.persistence.models import (Contact, ContactAuthor, ContactList, ContactPhone, CustomField, Interaction,
                                       Tag)
from server.persistence.writer import Writer
from server.persistence.writes import utcnow
from server.services import list_rights
from server.services.auth import Principal
from server.services.settings import SettingsService
from server.services.views import iso

MAX_PHONES = 10
MASKED_BY = {"first_name": "name", "last_name": "name", "email": "email", "phones": "phone"}


def contact_view(row: dict[str, Any], masking: Masking, defined: set[str] | None = None) -> dict[str, Any]:
    """`defined`: the custom fields of the contact's list; values kept under a deleted one are left out."""
    values = row["field_values"]
    fields = json.loads(values) if isinstance(values, str) else (values or {})
    if defined is not None:
        fields = {k: v for k, v in fields.items() if k in defined}
    return {"id": row["id"], "list": row["list"], "list_id": row["list_id"],
            "first_name": masking.of_name(row["first_name"]) or "", "last_name": masking.of_name(row["last_name"]) or "",
            "phones": [masking.of_phone(p) for p in row["phones"]], "email": masking.of_email(row["email"]) or "",
            "company": row["company"], "notes": row["notes"], "tags": [t["name"] for t in row["tags"]],
            "tag_colors": shown_colors([(t["name"], t.get("color", GREY)) for t in row["tags"]]),
            "fields": fields,
            "created_at": _iso(row["created_at"]), "updated_at": _iso(row["updated_at"])}


def _iso(value: Any) -> str | None:
    if isinstance(value, str):  # SQLite hands raw rows back as text
        value = datetime.fromisoformat(value)
    return iso(value)


def hidden_fields(masking: Masking) -> set[str]:
    """The contact fields this viewer may neither see whole nor change."""
    return {field for field, kind in MASKED_BY.items() if getattr(masking, kind) != "none"}


class ContactService:
    def __init__(self, settings: SettingsService, writer: Writer) -> None:
        self.settings = settings
        self.writer = writer

    def masking(self, principal: Principal) -> Masking:
        return masking_for(principal.role, self.settings.get("masking"))

    def phone(self, raw: Any) -> str:
        if not isinstance(raw, str):
            raise Invalid("A phone number must be text.")
        return normalize_phone(raw, self.settings.default_region)

    # --- reading -----------------------------------------------------------------------------------

    async def visible_row(self, principal: Principal, contact_id: int) -> dict[str, Any]:
        """The contact's row if `principal` may view it; NotFound otherwise, whether or not it exists."""
        row = (await contact_rows([contact_id])).get(contact_id)
        if row is None or not await list_rights.allowed(principal, row["list_id"], "view"):
            raise NotFound(f"There is no contact {contact_id}.")
        return row

    async def get(self, principal: Principal, contact_id: int) -> dict[str, Any]:
        """The contact as `principal` may see it, whether they may edit it, and its list's custom fields."""
        row = await self.visible_row(principal, contact_id)
        masking = self.masking(principal)
        specs = await field_specs(row["list_id"])
        return {**contact_view(row, masking, set(specs)),
                "can_edit": await list_rights.allowed(principal, row["list_id"], "edit"),
                "hidden": sorted(hidden_fields(masking)), "custom_fields": [_spec_view(s) for s in specs.values()]}

    def filter_for(self, principal: Principal, visible: set[int] | None, **given: Any) -> ContactFilter:
        """A search as a user gives it, with the phone read whole when it is one."""
        typed = given.get("phone") or given.get("text") or ""
        return ContactFilter(visible_lists=None if visible is None else frozenset(visible),
                             masking=self.masking(principal), phone_e164=self._maybe_phone(typed), **given)

    def _maybe_phone(self, text: str) -> str | None:
        try:
            return normalize_phone(text, self.settings.default_region) if any(c.isdigit() for c in text) else None
        except Invalid:
            return None

    async def find(self, principal: Principal, *, list_name: str | None = None, tags: list[str] | tuple[str, ...] = (),
                   mine: bool = False, q: str | None = None, custom: dict[str, str] | None = None, page: int = 1,
                   page_size: int = 25, **advanced: str | None) -> tuple[list[dict[str, Any]], int]:
        """A search as a user gives it (API query or page form), checked: `q` quick search, `advanced` any of
        first_name, last_name, email, phone, company, notes; `custom` custom field name -> text; `mine`:
        My Contacts."""
        if page < 1 or not 1 <= page_size <= 200:
            raise Invalid("page starts at 1; page_size is from 1 to 200.")
        unknown = set(advanced) - {"first_name", "last_name", "email", "phone", "company", "notes"}
        if unknown:
            raise Invalid(f"Unknown search field(s): {', '.join(sorted(unknown))}.")
        for name in custom or {}:
            if not FIELD_NAME.match(name):
                raise Invalid(f"There is no custom field {name!r}.")
        list_id = await self.list_id(principal, list_name, "view") if list_name else None
        given = {k: v.strip()[:200] for k, v in advanced.items() if v and v.strip()}
        return await self.search(
            principal, list_id=list_id, tags=tuple(t for t in tags if t), author_id=principal.id if mine else None,
            text=(q or "").strip()[:200] or None, page=page, page_size=page_size,
            custom=tuple((k, v.strip()[:200]) for k, v in (custom or {}).items() if v and v.strip()), **given)

    async def search(self, principal: Principal, **given: Any) -> tuple[list[dict[str, Any]], int]:
        """Contacts of the lists `principal` may view; `given` as ContactFilter's fields (less the viewer's)."""
        visible = await list_rights.list_ids(principal, "view")
        for name, _ in given.get("custom", ()):
            # only the lists that define the field: a deleted field's values stay stored, unseen and unsearched
            defining = set(await CustomField.filter(name=name).values_list("list_id", flat=True))
            visible = defining if visible is None else visible & defining
        ids, total = await find_contacts(self.filter_for(principal, visible, **given))
        rows = await contact_rows(ids)
        masking = self.masking(principal)
        defined: dict[int, set[str]] = {}
        lists = sorted({r["list_id"] for r in rows.values() if r["list_id"] is not None})
        for list_id, name in await CustomField.filter(list_id__in=lists).values_list("list_id", "name") if lists else []:
            defined.setdefault(list_id, set()).add(name)
        return [contact_view(rows[i], masking, defined.get(rows[i]["list_id"], set())) for i in ids if i in rows], total

    async def list_id(self, principal: Principal, name_or_id: str | int | None, right: list_rights.Right) -> int:
        """The list the caller names (by name or id), if they have `right` on it."""
        if name_or_id in (None, ""):
            raise Invalid("Choose a list.")
        found = await ContactList.get_or_none(name=str(name_or_id))
        if found is None and str(name_or_id).isdigit():
            found = await ContactList.get_or_none(id=int(name_or_id))
        if found is None or not await list_rights.allowed(principal, found.id, "view"):
            raise Invalid(f"There is no list {name_or_id!r}.")
        if not await list_rights.allowed(principal, found.id, right):
            verb = {"view": "see", "add": "add contacts to", "edit": "edit the contacts of"}[right]
            raise Forbidden(f"You may not {verb} the list {found.name!r}.")
        return found.id

    async def journey(self, principal: Principal, contact_id: int) -> list[dict[str, Any]]:
        """SPEC C6: every interaction with the contact, newest first; `readable` where the viewer may open it."""
        await self.visible_row(principal, contact_id)
        rows = await Interaction.filter(contact_id=contact_id).order_by("-id").limit(500).values(
            "id", "status", "created_at", "closed_at", "owner__username", "first_agent__username", "queue__name",
            "account__key", "disposition__name")
        tags: dict[int, list[str]] = {}
        for interaction_id, name in await Interaction.filter(id__in=[r["id"] for r in rows]).values_list(
                "id", "tags__name"):
            if name:
                tags.setdefault(interaction_id, []).append(name)
        return [{"id": r["id"], "status": r["status"], "created_at": iso(r["created_at"]),
                 "closed_at": iso(r["closed_at"]), "agent": r["owner__username"] or r["first_agent__username"],
                 "queue": r["queue__name"], "account": r["account__key"], "disposition": r["disposition__name"],
                 "tags": sorted(tags.get(r["id"], [])),
                 "readable": principal.sees_everything or r["owner__username"] == principal.username}
                for r in rows]

    # --- writing -----------------------------------------------------------------------------------

    async def create(self, principal: Principal, body: dict[str, Any], *, known_phone: str | None = None
                     ) -> dict[str, Any]:
        """A new contact in the list `body["list"]`, which `principal` must be allowed to add to.
        `known_phone`: a number the server already holds (the desk's customer), given as E.164."""
        if not isinstance(body, dict):
            raise Invalid("Send the contact as an object.")
        unknown = set(body) - {"list", "phones", "phone", "tags", "fields", "first_name", "last_name", "email",
                               "company", "notes"}
        if unknown:
            raise Invalid(f"Unknown contact field(s): {', '.join(sorted(unknown))}.")
        list_id = await self.list_id(principal, body.get("list"), "add")
        values = checked_standard(body)
        phones = self._phones(body) + ([known_phone] if known_phone else [])
        phones = list(dict.fromkeys(phones))
        if not (phones or values.get("first_name") or values.get("last_name") or values.get("email")):
            raise Invalid("Give the contact at least a name, a phone number or an email.")
        field_values = checked_values(await field_specs(list_id), body.get("fields") or {}, {})
        tag_ids = await _tag_ids(body.get("tags"))
        async with in_transaction():
            await refuse_duplicate_phones(list_id, phones, None, self.masking(principal))
            contact = await Contact.create(
                list_id=list_id, created_by_id=principal.id, field_values=field_values, **values,
                **search_columns(values.get("first_name", ""), values.get("last_name", ""), values.get("email", "")))
            await ContactPhone.bulk_create([ContactPhone(contact_id=contact.id, phone=p) for p in phones])
            await contact.tags.add(*await Tag.filter(id__in=tag_ids))
            await ContactAuthor.create(contact_id=contact.id, user_id=principal.id)
            await _link_interactions(contact.id, phones)
        return await self.get(principal, contact.id)

    async def update(self, principal: Principal, contact_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Change the fields `body` gives; `phones` and `tags` replace the whole set; `list` moves it."""
        if not isinstance(body, dict) or not body:
            raise Invalid("Send at least one field to change.")
        unknown = set(body) - {"list", "phones", "tags", "fields", "first_name", "last_name", "email", "company",
                               "notes"}
        if unknown:
            raise Invalid(f"Unknown contact field(s): {', '.join(sorted(unknown))}.")
        row = await self.visible_row(principal, contact_id)
        if not await list_rights.allowed(principal, row["list_id"], "edit"):
            raise Forbidden("You may not edit the contacts of this list.")
        hidden = hidden_fields(self.masking(principal)) & set(body)
        if hidden:
            raise Forbidden(f"{', '.join(sorted(hidden)).replace('_', ' ')} is hidden from you, so you cannot "
                            "change it.")
        list_id = row["list_id"]
        if "list" in body:
            list_id = await self.list_id(principal, body["list"], "add")
        values: dict[str, Any] = checked_standard(body)
        specs = await field_specs(list_id)
        current = {k: v for k, v in contact_view(row, UNMASKED)["fields"].items() if k in specs}
        if "fields" in body or list_id != row["list_id"]:
            values["field_values"] = checked_values(specs, body.get("fields") or {}, current)
        phones = list(dict.fromkeys(self._phones(body))) if "phones" in body else None
        tag_ids = await _tag_ids(body["tags"]) if "tags" in body else None
        merged = {f: values.get(f, row[f]) for f in ("first_name", "last_name", "email")}
        async with in_transaction():
            await refuse_duplicate_phones(list_id, phones if phones is not None else row["phones"], contact_id,
                                          self.masking(principal))
            changed = await Contact.filter(id=contact_id).update(list_id=list_id, updated_at=utcnow(), **values,
                                                                 **search_columns(**merged))
            if not changed:
                raise NotFound(f"There is no contact {contact_id}.")
            if phones is not None:
                await ContactPhone.filter(contact_id=contact_id).exclude(phone__in=phones).delete()
                new = [p for p in phones if p not in row["phones"]]
                await ContactPhone.bulk_create([ContactPhone(contact_id=contact_id, phone=p) for p in new])
                await _link_interactions(contact_id, new)
            if tag_ids is not None:
                contact = await Contact.get(id=contact_id)
                await contact.tags.clear()
                await contact.tags.add(*await Tag.filter(id__in=tag_ids))
            await ContactAuthor.get_or_create(contact_id=contact_id, user_id=principal.id)
        return await self.get(principal, contact_id)

    async def delete(self, principal: Principal, contact_id: int) -> None:
        row = await self.visible_row(principal, contact_id)
        if not await list_rights.allowed(principal, row["list_id"], "edit"):
            raise Forbidden("You may not delete the contacts of this list.")
        if not await self.writer.submit(DeleteContact(contact_id, principal.id, principal.username)):
            raise NotFound(f"There is no contact {contact_id}.")

    def _phones(self, body: dict[str, Any]) -> list[str]:
        raw = body.get("phones", [])
        if "phone" in body and body["phone"] not in (None, ""):
            raw = [*(raw or []), body["phone"]]
        if not isinstance(raw, list) or len(raw) > MAX_PHONES:
            raise Invalid(f"phones must be a list of at most {MAX_PHONES} numbers.")
        return [self.phone(p) for p in raw if not (isinstance(p, str) and not p.strip())]


async def refuse_duplicate_phones(list_id: int, phones: list[str], contact_id: int | None,
                                  masking: Masking = UNMASKED) -> None:
    """One contact per number within a list; the same number may be in several lists (Duplicate). The
    number is named as `masking` lets the caller see it (they may not have typed it: a move, a copy)."""
    if not phones:
        return
    clash = await ContactPhone.filter(phone__in=phones, contact__list_id=list_id).exclude(
        contact_id=contact_id or 0).first().values("phone", "contact_id")
    if clash:
        raise Conflict(f"{masking.of_phone(clash['phone'])} is already the number of contact {clash['contact_id']} "
                       "in this list.", code="duplicate")


async def field_specs(list_id: int | None) -> dict[str, FieldSpec]:
    rows = await CustomField.filter(list_id=list_id).order_by("id").values("name", "label", "kind", "choices")
    return {r["name"]: FieldSpec(r["name"], r["label"], r["kind"], tuple(r["choices"] or ())) for r in rows}


def _spec_view(spec: FieldSpec) -> dict[str, Any]:
    return {"name": spec.name, "label": spec.label or spec.name, "kind": spec.kind, "choices": list(spec.choices)}


async def _tag_ids(names: Any) -> list[int]:
    if names is None:
        return []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise Invalid("tags must be a list of tag names.")
    found = dict(await Tag.filter(name__in=names).values_list("name", "id"))
    missing = [n for n in names if n not in found]
    if missing:
        raise Invalid(f"There is no tag {missing[0]!r}; an administrator defines tags.")
    return list(found.values())


async def _link_interactions(contact_id: int, phones: list[str]) -> None:
    """The interactions with these numbers that no contact holds yet join this one (its journey)."""
    if phones:
        await Interaction.filter(customer_phone__in=phones, contact_id=None).update(contact_id=contact_id)
