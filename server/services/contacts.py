"""The contact manager (SPEC C1-C8): read, find, create, edit, delete contacts within the viewer's list
rights, masked for masked viewers. A contact in a list the viewer may not see is answered 404, the same
as one that does not exist, so its existence does not leak."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

from server.domain.contact_fields import FIELD_NAME, STANDARD_FIELDS, FieldSpec, checked_standard
from server.domain.masking import UNMASKED, Masking, masking_for
from server.domain.phone import normalize_phone, phone_hint, whole_number
from server.domain.tags import GREY, shown_colors
from server.errors import Forbidden, Invalid, NotFound, ProductError
from server.persistence.contact_queries import ContactFilter, contact_rows, field_specs, find_contacts
from server.persistence.contact_saves import ContactChange, SaveContact
from server.persistence.contact_writes import DeleteContact
from server.persistence.keys import by_name_or_id
from server.persistence.models import ContactList, ContactPhone, CustomField, Interaction, Tag
from server.persistence.writer import Writer
from server.services import list_rights
from server.services.auth import Principal
from server.services.settings import SettingsService
from server.services.views import iso

MAX_PHONES = 10
MAX_PAGE = 100_000
# A masked viewer's notes search reads the newest this many stored matches (and counts only among them): a
# bound on the work one search may cost; more matches than that ask for a narrower search.
NOTES_SEARCHED = 2_000
MASKED_BY = {"first_name": "name", "last_name": "name", "email": "email", "phones": "phone"}


def contact_view(row: dict[str, Any], masking: Masking, defined: set[str] | None = None) -> dict[str, Any]:
    """`defined`: the custom fields of the contact's list; values kept under a deleted one are left out."""
    values = row["field_values"]
    fields = json.loads(values) if isinstance(values, str) else (values or {})
    if defined is not None:
        fields = {k: v for k, v in fields.items() if k in defined}
    return {"id": row["id"], "list": row["list"], "list_id": row["list_id"],
            "first_name": masking.of_name(row["first_name"]) or "",
            "last_name": masking.of_name(row["last_name"]) or "",
            "phones": [masking.of_phone(p) for p in row["phones"]], "email": masking.of_email(row["email"]) or "",
            "company": row["company"], "notes": masked_notes(row, masking), "tags": [t["name"] for t in row["tags"]],
            "tag_colors": shown_colors([(t["name"], t.get("color", GREY)) for t in row["tags"]]),
            "fields": fields,
            "created_at": _iso(row["created_at"]), "updated_at": _iso(row["updated_at"])}


def _iso(value: Any) -> str | None:
    if isinstance(value, str):  # SQLite hands raw rows back as text
        value = datetime.fromisoformat(value)
    return iso(value)


async def visible_contact_id(principal: Principal, phone: str) -> int | None:
    """The first contact with this number (E.164) in a list `principal` may view; None when there is none
    they may see, whether or not one exists elsewhere."""
    query = ContactPhone.filter(phone=phone)
    visible = await list_rights.list_ids(principal, "view")
    if visible is not None:
        query = query.filter(contact__list_id__in=list(visible))
    return cast(int | None, await query.order_by("contact_id").first().values_list("contact_id", flat=True))


def masked_notes(row: dict[str, Any], masking: Masking) -> str:
    """The contact's notes with its own names, numbers and email masked as in a message's text."""
    name = " ".join(filter(None, [row["first_name"], row["last_name"]]))
    return masking.within(row["notes"] or "", [name], row["phones"], [row["email"] or ""])


def hidden_fields(masking: Masking, row: dict[str, Any] | None = None) -> set[str]:
    """The contact fields this viewer may neither see whole nor change; with the contact's `row`, also its
    notes when they hold something masked (edited masked, they would lose it)."""
    hidden = {field for field, kind in MASKED_BY.items() if getattr(masking, kind) != "none"}
    if row is not None and masked_notes(row, masking) != (row["notes"] or ""):
        hidden.add("notes")
    return hidden


class ContactService:
    def __init__(self, settings: SettingsService, writer: Writer) -> None:
        self.settings = settings
        self.writer = writer

    def masking(self, principal: Principal) -> Masking:
        return masking_for(principal.role, self.settings.get("masking"))

    def phone(self, raw: Any) -> str:
        """A contact's number in E.164; one typed without its country code is read in the workspace's
        default region. Refused with a hint on how to type it."""
        if not isinstance(raw, str):
            raise Invalid("A phone number must be text.", field="phones")
        region = self.settings.default_region
        try:
            return normalize_phone(raw, region)
        except Invalid as error:
            raise Invalid(f"{error.message} {phone_hint(raw, region)}", field="phones") from None

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
                "hidden": sorted(hidden_fields(masking, row)), "custom_fields": [_spec_view(s) for s in specs.values()]}

    def filter_for(self, principal: Principal, visible: set[int] | None, **given: Any) -> ContactFilter:
        """A search as a user gives it, with the phone read whole when it is one."""
        return ContactFilter(visible_lists=None if visible is None else frozenset(visible),
                             masking=self.masking(principal),
                             text_e164=whole_number(given.get("text") or "", self.settings.default_region),
                             phone_e164=whole_number(given.get("phone") or "", self.settings.default_region), **given)

    async def find(self, principal: Principal, *, list_name: str | None = None, tags: list[str] | tuple[str, ...] = (),
                   mine: bool = False, q: str | None = None, custom: dict[str, str] | None = None, page: int = 1,
                   page_size: int = 25, **advanced: str | None) -> tuple[list[dict[str, Any]], int]:
        """A search as a user gives it (API query or page form), checked: `q` quick search, `advanced` any of
        first_name, last_name, email, phone, company, notes; `custom` custom field name -> text; `mine`:
        My Contacts."""
        if not 1 <= page <= MAX_PAGE or not 1 <= page_size <= 200:
            raise Invalid(f"page is from 1 to {MAX_PAGE}; page_size from 1 to 200.")
        unknown = set(advanced) - {"first_name", "last_name", "email", "phone", "company", "notes"}
        if unknown:
            raise Invalid(f"Unknown search field(s): {', '.join(sorted(unknown))}.")
        for name in custom or {}:
            if not FIELD_NAME.fullmatch(name):
                raise Invalid(f"There is no custom field {name!r}.")
        list_id = await self.list_id(principal, list_name, "view") if list_name else None
        given = {k: v.strip()[:200] for k, v in advanced.items() if v and v.strip()}
        return await self._search(
            principal, list_id=list_id, tags=tuple(t for t in tags if t), author_id=principal.id if mine else None,
            text=(q or "").strip()[:200] or None, page=page, page_size=page_size,
            custom=tuple((k, v.strip()[:200]) for k, v in (custom or {}).items() if v and v.strip()), **given)

    async def _search(self, principal: Principal, **given: Any) -> tuple[list[dict[str, Any]], int]:
        """Contacts of the lists `principal` may view; `given` as ContactFilter's fields (less the viewer's)."""
        visible = await list_rights.list_ids(principal, "view")
        for name, _ in given.get("custom", ()):
            # only the lists that define the field: a deleted field's values stay stored, unseen and unsearched
            defining = set(cast(list[int], await CustomField.filter(name=name).values_list("list_id", flat=True)))
            visible = defining if visible is None else visible & defining
        masking = self.masking(principal)
        if given.get("notes") and masking != UNMASKED:
            ids, total = await self._notes_as_read(principal, visible, masking, **given)
        else:
            ids, total = await find_contacts(self.filter_for(principal, visible, **given))
        rows = await contact_rows(ids)
        defined: dict[int, set[str]] = {}
        lists = sorted({r["list_id"] for r in rows.values() if r["list_id"] is not None})
        for list_id, name in await CustomField.filter(list_id__in=lists).values_list("list_id", "name"):
            defined.setdefault(list_id, set()).add(name)
        return [contact_view(rows[i], masking, defined.get(rows[i]["list_id"], set())) for i in ids if i in rows], total

    async def _notes_as_read(self, principal: Principal, visible: set[int] | None, masking: Masking,
                             **given: Any) -> tuple[list[int], int]:
        """A masked viewer's search in the notes matches the notes as they read them (masked), so that no part
        of a masked detail finds a contact: the stored notes' matches (the newest NOTES_SEARCHED) are checked
        against their masked text, then paged."""
        page, size = given["page"], given["page_size"]
        candidates, _ = await find_contacts(self.filter_for(
            principal, visible, **{**given, "page": 1, "page_size": NOTES_SEARCHED}))
        rows = await contact_rows(candidates)
        text = given["notes"].lower()
        found = [i for i in candidates if i in rows and text in masked_notes(rows[i], masking).lower()]
        return found[(page - 1) * size:page * size], len(found)

    async def list_id(self, principal: Principal, name_or_id: str | int | None, right: list_rights.Right) -> int:
        """The list the caller names (by name or id), if they have `right` on it."""
        if name_or_id in (None, ""):
            raise Invalid("Choose a list.")
        found = await by_name_or_id(ContactList, name_or_id)
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
        _refuse_unknown(body, {"list", "phones", "phone", "tags", "fields", *STANDARD_FIELDS})
        list_id = await self.list_id(principal, body.get("list"), "add")
        phones = list(dict.fromkeys(self._phones(body) + ([known_phone] if known_phone else [])))
        change = ContactChange(list_id, checked_standard(body), phones, await _tag_ids(body.get("tags")),
                               _custom(body))
        return await self.get(principal, await self._save(principal, None, change))

    async def update(self, principal: Principal, contact_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Change the fields `body` gives, on the contact as it is when the change is stored (another user's
        change to other fields stays); `phones` and `tags` replace the whole set; `list` moves it."""
        if not isinstance(body, dict) or not body:
            raise Invalid("Send at least one field to change.")
        _refuse_unknown(body, {"list", "phones", "tags", "fields", *STANDARD_FIELDS})
        row = await self.visible_row(principal, contact_id)
        if not await list_rights.allowed(principal, row["list_id"], "edit"):
            raise Forbidden("You may not edit the contacts of this list.")
        hidden = hidden_fields(self.masking(principal), row) & set(body)
        if hidden:
            raise Forbidden(f"{', '.join(sorted(hidden)).replace('_', ' ')} is hidden from you, so you cannot "
                            "change it.")
        list_id = await self.list_id(principal, body["list"], "add") if "list" in body else None
        change = ContactChange(list_id, checked_standard(body),
                               list(dict.fromkeys(self._phones(body))) if "phones" in body else None,
                               await _tag_ids(body["tags"]) if "tags" in body else None, _custom(body))
        return await self.get(principal, await self._save(principal, contact_id, change))

    async def _save(self, principal: Principal, contact_id: int | None, change: ContactChange) -> int:
        result = await self.writer.submit(SaveContact(contact_id, change, principal.id, self.masking(principal)))
        if isinstance(result, ProductError):
            raise result
        return result

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


def _refuse_unknown(body: dict[str, Any], known: set[str]) -> None:
    unknown = set(body) - known
    if unknown:
        raise Invalid(f"Unknown contact field(s): {', '.join(sorted(unknown))}.")


def _custom(body: dict[str, Any]) -> dict[str, Any] | None:
    """The custom values given, checked against the list's fields when the change is stored."""
    if "fields" not in body or body["fields"] is None:
        return None
    if not isinstance(body["fields"], dict):
        raise Invalid("fields must be an object of custom field names and values.")
    return body["fields"]
