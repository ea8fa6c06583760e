"""Contact changes that the database writer serializes with inbound messages: a merge or a deletion
cannot interleave with an inbound message that links its interaction to one of the contacts, and two
merges of the same pair run one after the other (the second finds its contact gone)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server.domain.contact_fields import STANDARD_FIELDS, carried_values, search_columns, split_name
from server.domain.masking import Masking
from server.errors import Conflict, ProductError
from server.persistence.audit import write_audit
from server.persistence.contact_queries import field_specs, phone_clash
from server.persistence.db import dialect_sql
from server.persistence.models import Contact, ContactAuthor, ContactPhone, Interaction
from server.persistence.writer import WriteOp, WriterContext


async def _sql(conn: BaseDBAsyncClient, sql: str, values: list[Any]) -> list[dict[str, Any]]:
    return await conn.execute_query_dict(dialect_sql(conn, sql), values)


async def snapshot(contact_id: int, conn: BaseDBAsyncClient) -> dict[str, Any] | None:
    """Everything a contact holds, for the audit trail's before and after."""
    rows = await Contact.filter(id=contact_id).using_db(conn).values("id", "list_id", *STANDARD_FIELDS,
                                                                     "field_values")
    if not rows:
        return None
    contact = rows[0]
    contact["phones"] = list(await ContactPhone.filter(contact_id=contact_id).using_db(conn).order_by("id")
                             .values_list("phone", flat=True))
    contact["tags"] = await _tag_ids(conn, contact_id)
    return contact


async def _tag_ids(conn: BaseDBAsyncClient, contact_id: int) -> list[int]:
    rows = await _sql(conn, "SELECT tag_id FROM contact_tags WHERE contacts_id = ? ORDER BY tag_id", [contact_id])
    return [r["tag_id"] for r in rows]


@dataclass
class MergeContacts(WriteOp):
    """SPEC C5: the survivor keeps its values, fills each empty one from the other,
    gains the other's tags, numbers, conversations and authors; the other is deleted; one audit entry holds
    both before and the survivor after. Returns the survivor as left, None when either contact is gone, or
    the refusal when a number of the other belongs to a third contact in the survivor's list."""

    survivor_id: int
    other_id: int
    user_id: int
    username: str
    masking: Masking

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> dict[str, Any] | ProductError | None:
        survivor = await snapshot(self.survivor_id, conn)
        other = await snapshot(self.other_id, conn)
        if survivor is None or other is None:
            return None  # merged or deleted meanwhile
        moving = [p for p in other["phones"] if p not in survivor["phones"]]
        clash = await phone_clash(survivor["list_id"], moving, [self.survivor_id, self.other_id], conn)
        if clash:
            phone, holder = clash
            return Conflict(f"{self.masking.of_phone(phone)} is also the number of contact {holder} in this "
                            "contact's list: merge that one first.", code="duplicate")
        changes: dict[str, Any] = {f: other[f] for f in STANDARD_FIELDS if not survivor[f] and other[f]}
        gained = carried_values(await field_specs(survivor["list_id"], conn), other["field_values"] or {})
        values = {**gained, **(survivor["field_values"] or {})}
        names = {f: changes.get(f, survivor[f]) for f in ("first_name", "last_name", "email")}
        await Contact.filter(id=self.survivor_id).using_db(conn).update(
            updated_at=datetime.now(timezone.utc), field_values=values, **changes, **search_columns(**names))
        for tag_id in set(other["tags"]) - set(survivor["tags"]):
            await _sql(conn, "INSERT INTO contact_tags (contacts_id, tag_id) VALUES (?, ?)", [self.survivor_id, tag_id])
        await ContactPhone.filter(contact_id=self.other_id, phone__in=survivor["phones"]).using_db(conn).delete()
        await ContactPhone.filter(contact_id=self.other_id).using_db(conn).update(contact_id=self.survivor_id)
        await Interaction.filter(contact_id=self.other_id).using_db(conn).update(contact_id=self.survivor_id)
        authors = await ContactAuthor.filter(contact_id=self.survivor_id).using_db(conn).values_list("user_id",
                                                                                                    flat=True)
        await ContactAuthor.filter(contact_id=self.other_id, user_id__in=list(authors)).using_db(conn).delete()
        await ContactAuthor.filter(contact_id=self.other_id).using_db(conn).update(contact_id=self.survivor_id)
        await Contact.filter(id=self.other_id).using_db(conn).delete()
        after = await snapshot(self.survivor_id, conn)
        await write_audit(conn, self.user_id, self.username, "contact.merge", f"contact {self.survivor_id}",
                          {"survivor": survivor, "merged": other}, after)
        return after  # the survivor as this merge left it (truthy: the merge happened)


@dataclass
class DeleteContact(WriteOp):
    contact_id: int
    user_id: int
    username: str

    async def apply(self, conn: BaseDBAsyncClient, ctx: WriterContext) -> bool:
        before = await snapshot(self.contact_id, conn)
        if before is None:
            return False
        await Contact.filter(id=self.contact_id).using_db(conn).delete()
        await write_audit(conn, self.user_id, self.username, "contact.delete", f"contact {self.contact_id}", before,
                          None)
        return True


async def contacts_for_new_conversations(conn: BaseDBAsyncClient,
                                         new: list[tuple[int, int, str, str]]) -> dict[tuple[int, str], int]:
    """SPEC C9 for the conversations a batch of inbound messages opens, given as (account id, queue id,
    phone, profile name): a number known in the contact manager links to its contact (one in the list of
    the entry point's trigger first, else the oldest); an unknown one gets a new contact, named from the
    profile, in the list of the account's trigger, else the queue's; with no trigger nothing is created.
    Who then sees that contact is the lists' business (the desk shows it only within the viewer's rights).
    Returns the contact id per (account id, phone)."""
    phones = sorted({phone for _, _, phone, _ in new})
    marks = ",".join("?" * len(phones))
    known: dict[str, list[tuple[int, int | None]]] = {}
    for row in await _sql(conn, "SELECT p.phone AS phone, c.id AS id, c.list_id AS list_id FROM contact_phones p "
                                f"JOIN contacts c ON c.id = p.contact_id WHERE p.phone IN ({marks}) ORDER BY c.id",
                          phones):
        known.setdefault(row["phone"], []).append((row["id"], row["list_id"]))
    # The triggers decide the list of a new contact, and which one a number known in several lists links to.
    triggers = await _triggers(conn) if any(len(known.get(phone, ())) != 1 for _, _, phone, _ in new) else {}
    linked: dict[tuple[int, str], int] = {}
    new_phones: list[tuple[int, str]] = []
    now = datetime.now(timezone.utc)
    for account_id, queue_id, phone, name in new:
        if (account_id, phone) in linked:
            continue
        target = triggers.get(("account", account_id)) or triggers.get(("queue", queue_id))
        candidates = known.get(phone)
        if candidates:  # known in the contact manager: linked, one in the trigger's list first
            in_list = [cid for cid, list_id in candidates if list_id == target]
            linked[(account_id, phone)] = (in_list or [candidates[0][0]])[0]
        elif target is not None:
            first, last = split_name(name)
            # Plain SQL: in a burst of new customers the ORM's per-object work held the writer (scripts/bench.py).
            [row] = await _sql(conn, "INSERT INTO contacts (list_id, first_name, last_name, email, company, notes, "
                                     "field_values, search_name, search_email, created_at, updated_at) "
                                     "VALUES (?, ?, ?, '', '', '', '{}', ?, '', ?, ?) RETURNING id",
                               [target, first, last, search_columns(first, last, "")["search_name"], now, now])
            known[phone] = [(row["id"], target)]
            linked[(account_id, phone)] = row["id"]
            new_phones.append((row["id"], phone))
    if new_phones:
        await conn.execute_many(dialect_sql(conn, "INSERT INTO contact_phones (contact_id, phone) VALUES (?, ?)"),
                                [list(p) for p in new_phones])
    return linked


async def _triggers(conn: BaseDBAsyncClient) -> dict[tuple[str, int], int]:
    """The configured list per entry point: ("account", id) or ("queue", id)."""
    found: dict[tuple[str, int], int] = {}
    for row in await _sql(conn, "SELECT account_id, queue_id, list_id FROM contact_triggers ORDER BY id", []):
        key = ("account", row["account_id"]) if row["account_id"] is not None else ("queue", row["queue_id"])
        found.setdefault(key, row["list_id"])
    return found
