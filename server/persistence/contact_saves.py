"""Creating, editing and copying a contact through the database writer (SPEC C1, C2, C5).

Each is read, checked and written in the writer's one serial order, with inbound messages (which link or
create contacts), merges and deletions: an edit works on the contact as it is now, not as the user's form
read it, and one number stays one contact per list whatever runs at the same time, on SQLite and on
PostgreSQL alike. A refusal found here is returned (never raised) before anything is written, so it
fails this change alone and not the batch it was committed with."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server.domain.contact_fields import carried_values, checked_values, require_identity, search_columns
from server.domain.masking import Masking
from server.errors import Conflict, NotFound, ProductError
from server.persistence.contact_queries import field_specs, phone_clash
from server.persistence.contact_writes import snapshot
from server.persistence.db import dialect_sql
from server.persistence.models import Contact, ContactAuthor, ContactPhone, Interaction
from server.persistence.writer import WriteOp, WriterContext
from server.persistence.writes import utcnow

NAME_FIELDS = ("first_name", "last_name", "email")


@dataclass
class ContactChange:
    """What a user asked for, already checked for shape: standard fields trimmed, numbers in E.164,
    tags by id. None: left as it is."""

    list_id: int | None = None
    standard: dict[str, str] = field(default_factory=dict)
    phones: list[str] | None = None
    tag_ids: list[int] | None = None
    custom: dict[str, Any] | None = None  # custom field name -> value as given


def clash_error(phone: str, contact_id: int, masking: Masking) -> Conflict:
    """The number is named as the caller may see it: they may not have typed it (a move, a copy, a merge)."""
    return Conflict(f"{masking.of_phone(phone)} is already the number of contact {contact_id} in this list.",
                    code="duplicate")


@dataclass
class SaveContact(WriteOp):
    """A new contact (`contact_id` None) or an edit of one. Returns its id, or the refusal."""

    contact_id: int | None
    change: ContactChange
    user_id: int
    masking: Masking

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> int | ProductError:
        current = await snapshot(self.contact_id, conn) if self.contact_id else None
        if self.contact_id and current is None:
            return NotFound(f"There is no contact {self.contact_id}.")
        before = current or {"list_id": None, "first_name": "", "last_name": "", "email": "", "company": "",
                             "notes": "", "field_values": {}, "phones": [], "tags": []}
        list_id = self.change.list_id or before["list_id"]
        standard = {**{k: before[k] for k in ("first_name", "last_name", "email", "company", "notes")},
                    **self.change.standard}
        phones = self.change.phones if self.change.phones is not None else before["phones"]
        specs = await field_specs(list_id, conn)
        try:
            kept = carried_values(specs, before["field_values"] or {})
            values = checked_values(specs, self.change.custom or {}, kept)
            require_identity(standard["first_name"], standard["last_name"], standard["email"], phones)
        except ProductError as refusal:
            return refusal
        moved = list_id != before["list_id"]
        clash = await phone_clash(list_id, phones if moved else [p for p in phones if p not in before["phones"]],
                                  [self.contact_id or 0], conn)
        if clash:
            return clash_error(*clash, self.masking)
        row = {**standard, "list_id": list_id, "field_values": values, "updated_at": utcnow(),
               **search_columns(*(standard[f] for f in NAME_FIELDS))}
        if current is None:
            contact = await Contact.create(created_by_id=self.user_id, using_db=conn, **row)
            contact_id = contact.id
        else:
            contact_id = current["id"]
            await Contact.filter(id=contact_id).using_db(conn).update(**row)
        await replace_phones(conn, contact_id, before["phones"], phones)
        if self.change.tag_ids is not None:
            await replace_tags(conn, contact_id, before["tags"], self.change.tag_ids)
        await add_author(conn, contact_id, self.user_id)
        return contact_id


@dataclass
class DuplicateContact(WriteOp):
    """A copy of a contact in another list: names, email, company, notes, numbers, tags, and the custom
    values that list also has (and takes). Returns the copy's id, or the refusal."""

    contact_id: int
    list_id: int
    user_id: int
    masking: Masking

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> int | ProductError:
        original = await snapshot(self.contact_id, conn)
        if original is None:
            return NotFound(f"There is no contact {self.contact_id}.")
        clash = await phone_clash(self.list_id, original["phones"], [], conn)
        if clash:
            return clash_error(*clash, self.masking)
        values = carried_values(await field_specs(self.list_id, conn), original["field_values"] or {})
        copy = await Contact.create(
            list_id=self.list_id, created_by_id=self.user_id, field_values=values, updated_at=utcnow(),
            **{k: original[k] for k in ("first_name", "last_name", "email", "company", "notes")},
            **search_columns(*(original[f] for f in NAME_FIELDS)), using_db=conn)
        await replace_phones(conn, copy.id, [], original["phones"], link=False)  # conversations stay
        await replace_tags(conn, copy.id, [], original["tags"])
        await add_author(conn, copy.id, self.user_id)
        return copy.id


async def replace_phones(conn: BaseDBAsyncClient, contact_id: int, old: list[str], new: list[str], *,
                         link: bool = True) -> None:
    """The contact's numbers become `new`; with `link`, conversations from an added number that no contact
    holds yet join it (its journey)."""
    gone = [p for p in old if p not in new]
    added = [p for p in new if p not in old]
    if gone:
        await ContactPhone.filter(contact_id=contact_id, phone__in=gone).using_db(conn).delete()
    if added:
        await ContactPhone.bulk_create([ContactPhone(contact_id=contact_id, phone=p) for p in added], using_db=conn)
        if link:
            await Interaction.filter(customer_phone__in=added, contact_id=None).using_db(conn).update(
                contact_id=contact_id)


async def replace_tags(conn: BaseDBAsyncClient, contact_id: int, old: list[int], new: list[int]) -> None:
    for tag_id in set(old) - set(new):
        await conn.execute_query(dialect_sql(conn, "DELETE FROM contact_tags WHERE contacts_id = ? AND tag_id = ?"),
                                 [contact_id, tag_id])
    for tag_id in set(new) - set(old):
        await conn.execute_query(dialect_sql(conn, "INSERT INTO contact_tags (contacts_id, tag_id) VALUES (?, ?)"),
                                 [contact_id, tag_id])


async def add_author(conn: BaseDBAsyncClient, contact_id: int, user_id: int) -> None:
    """My Contacts (SPEC C7): the user created or edited it."""
    if not await ContactAuthor.filter(contact_id=contact_id, user_id=user_id).using_db(conn).exists():
        await ContactAuthor.create(contact_id=contact_id, user_id=user_id, using_db=conn)
