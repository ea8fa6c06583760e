"""Finding contacts (SPEC C4, C7, C8) at 100,000+ rows (scripts/bench_contacts.py: p95 under 100 ms).

Text is compared with the lower-cased copies kept on each contact (search_name, search_email), so a
search reads the same on SQLite and PostgreSQL. A field masked for the viewer is matched only whole
(the full number, the full email or name): a masked viewer can find a contact they already know,
but cannot probe a masked value digit by digit.

Two shapes of query. Lists, tags and My Contacts are answered from indexes: the page walks the ids
newest first and stops at the page's end, the count reads an index (0006_contact_search_indexes). Text
(quick, advanced, custom fields) has to look at every row anyway: one scan gives the page and the count.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient

from server.domain.contact_fields import FieldSpec
from server.domain.masking import Masking
from server.persistence.models import ContactPhone, CustomField
from server.persistence.queries import phone_digits, raw

MAX_WORDS = 6


@dataclass(frozen=True)
class ContactFilter:
    visible_lists: frozenset[int] | None  # None: every list (admins)
    masking: Masking
    list_id: int | None = None
    tags: tuple[str, ...] = ()  # each must be on the contact
    author_id: int | None = None  # My Contacts: created or edited by this user
    text: str | None = None  # quick search: name, phone or email
    text_e164: str | None = None  # the quick search read as a whole number, if it is one
    phone_e164: str | None = None  # `phone` read as a whole number, if it is one
    first_name: str | None = None  # advanced search: each given must match
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    notes: str | None = None
    custom: tuple[tuple[str, str], ...] = ()  # (custom field name, text its value contains)
    page: int = 1
    page_size: int = 25


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


LIKE = "LIKE ? ESCAPE '\\'"

# SQLite's LIKE and its NOCASE collation ignore the case of ASCII letters, the only letters its LOWER()
# changes; so there `LOWER(x) LIKE p` is `x LIKE p` and `LOWER(x) = v` (v lower-cased) is
# `x = v COLLATE NOCASE`: the same matches, without a lower-cased copy of every row scanned (a third of
# a text search's time). PostgreSQL's LIKE minds case: it keeps LOWER().


def _lowered(column: str, dialect: str) -> str:
    """`column` as LIKE is to compare it with a lower-cased pattern."""
    return column if dialect == "sqlite" else f"LOWER({column})"


def _equals_lowered(column: str, dialect: str) -> str:
    """`column` equals a lower-cased value, case aside."""
    return f"{column} = ? COLLATE NOCASE" if dialect == "sqlite" else f"LOWER({column}) = ?"


# Inside a contact's JSON text a custom field's string value keeps PLAIN_TEXT characters as they are
# (orjson, which the ORM writes with, and Python's json escape only quotes, backslashes and control
# characters, json also non-ASCII), and the text SQLite makes of a number holds NUMBER_CHARS only. So
# when the text looked for is all PLAIN_TEXT with one character outside NUMBER_CHARS, a contact can match
# only if its raw JSON contains that text: a LIKE over the raw JSON is a cheap first sieve before
# json_extract, which parses the whole JSON of every row it is asked about (half a custom search's time).
PLAIN_TEXT = re.compile(r"[a-z0-9 @._-]+")
NUMBER_CHARS = set("0123456789.+-einf")


def _json_sieve(given: str) -> bool:
    """Whether a LIKE over the raw JSON may sieve the contacts before a custom field's value is read."""
    text = given.lower()
    return bool(PLAIN_TEXT.fullmatch(text)) and not set(text) <= NUMBER_CHARS


def _phone_clause(text: str, e164: str | None, masked: bool) -> tuple[str, list[Any]]:
    """The whole number (any format, read with the workspace's region) always; digits anywhere in the
    number only for viewers who see numbers."""
    options, values = [], []
    if e164:
        options.append("phone = ?")
        values.append(e164)
    if not masked:
        for digits in phone_digits(text):
            options.append("phone LIKE ?")
            values.append(f"%{digits}%")
    if not options:
        return "1 = 0", []
    return f"c.id IN (SELECT contact_id FROM contact_phones WHERE {' OR '.join(options)})", values


def _quick_clause(f: ContactFilter, dialect: str) -> tuple[str, list[Any]]:
    text = f.text or ""
    if phone_digits(text):
        return _phone_clause(text, f.text_e164, f.masking.phone != "none")
    words = text.lower().split()[:MAX_WORDS]
    visible = [_lowered("c.company", dialect)]
    if f.masking.name == "none":
        visible.append("c.search_name")
    if f.masking.email == "none":
        visible.append("c.search_email")
    every_word = " AND ".join("(" + " OR ".join(f"{col} {LIKE}" for col in visible) + ")" for _ in words)
    options, values = [f"({every_word})"], [_like(w) for w in words for _ in visible]
    whole = " ".join(words)
    if f.masking.name != "none":
        options.append(f"(c.search_name = ? OR {_equals_lowered('c.first_name', dialect)} "
                       f"OR {_equals_lowered('c.last_name', dialect)})")
        values += [whole, whole, whole]
    if f.masking.email != "none":
        options.append("c.search_email = ?")
        values.append(whole)
    return "(" + " OR ".join(options) + ")", values


def _advanced_clauses(f: ContactFilter, dialect: str) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    values: list[Any] = []
    for column, given in (("first_name", f.first_name), ("last_name", f.last_name)):
        if given:
            exact = f.masking.name != "none"
            column = f"c.{column}"
            where.append(_equals_lowered(column, dialect) if exact else f"{_lowered(column, dialect)} {LIKE}")
            values.append(given.lower() if exact else _like(given))
    if f.email:
        exact = f.masking.email != "none"
        where.append("c.search_email = ?" if exact else f"c.search_email {LIKE}")
        values.append(f.email.lower() if exact else _like(f.email))
    if f.phone:
        clause, more = _phone_clause(f.phone, f.phone_e164, f.masking.phone != "none")
        where.append(clause)
        values += more
    for column, given in (("company", f.company), ("notes", f.notes)):
        if given:
            where.append(f"{_lowered(f'c.{column}', dialect)} {LIKE}")
            values.append(_like(given))
    for name, given in f.custom:
        if dialect == "postgres":
            where.append(f"LOWER(c.field_values ->> ?) {LIKE}")
            values += [name, _like(given)]
        else:
            if _json_sieve(given):
                where.append(f"c.field_values {LIKE}")
                values.append(_like(given))
            where.append(f"CAST(json_extract(c.field_values, ?) AS TEXT) {LIKE}")
            values += [f'$."{name}"', _like(given)]
    return where, values


async def find_contacts(f: ContactFilter) -> tuple[list[int], int]:
    """The ids on the requested page (newest first) and how many match in all."""
    if f.visible_lists is not None and not f.visible_lists:
        return [], 0
    where: list[str] = ["1 = 1"]
    values: list[Any] = []
    if f.visible_lists is not None:
        where.append(f"c.list_id IN ({','.join('?' * len(f.visible_lists))})")
        values += sorted(f.visible_lists)
    if f.list_id is not None:
        where.append("c.list_id = ?")
        values.append(f.list_id)
    for tag in f.tags:
        where.append("c.id IN (SELECT ct.contacts_id FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id "
                     "WHERE t.name = ?)")
        values.append(tag)
    if f.author_id is not None:
        where.append("c.id IN (SELECT contact_id FROM contact_authors WHERE user_id = ?)")
        values.append(f.author_id)
    indexed = len(where)
    dialect = Tortoise.get_connection("default").capabilities.dialect
    if f.text:
        clause, more = _quick_clause(f, dialect)
        where.append(clause)
        values += more
    advanced, more = _advanced_clauses(f, dialect)
    where += advanced
    values += more
    clause = " AND ".join(where)
    offset = (f.page - 1) * f.page_size
    page = f"ORDER BY id DESC LIMIT {int(f.page_size)} OFFSET {int(offset)}"
    if len(where) == indexed:
        # Newest first straight from the primary key, the count from an index: a window over every
        # match would sort them all (a third of the 100,000 contacts' first page).
        found = await raw(f"SELECT c.id AS id FROM contacts c WHERE {clause} {page}", values)
        if len(found) < f.page_size and (found or offset == 0):
            return [r["id"] for r in found], offset + len(found)  # the last page: no need to count
        total = (await raw(f"SELECT COUNT(*) AS n FROM contacts c WHERE {clause}", values))[0]["n"]
        return [r["id"] for r in found], total
    # The inner order lets SQLite read the table in id order rather than through the list index (one
    # lookup per row); the window then counts what the scan kept.
    found = await raw(f"SELECT id, COUNT(*) OVER () AS n FROM (SELECT c.id AS id FROM contacts c WHERE {clause} "
                      f"ORDER BY c.id DESC) AS m {page}", values)
    if found or offset == 0:
        return [r["id"] for r in found], (found[0]["n"] if found else 0)
    total = (await raw(f"SELECT COUNT(*) AS n FROM contacts c WHERE {clause}", values))[0]["n"]
    return [], total


# A contact's numbers and tags as JSON arrays, read in the same statement as the contact: one statement sees
# one state of the database, so a merge committed meanwhile never shows a contact without its numbers.
_PARTS = {
    "postgres": (
        "(SELECT COALESCE(json_agg(p.phone ORDER BY p.id), '[]') FROM contact_phones p WHERE p.contact_id = c.id)",
        "(SELECT COALESCE(json_agg(json_build_object('name', t.name, 'color', t.color) ORDER BY t.name), '[]') "
        "FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contacts_id = c.id)"),
    "sqlite": (
        "(SELECT json_group_array(phone) FROM "
        "(SELECT p.phone FROM contact_phones p WHERE p.contact_id = c.id ORDER BY p.id))",
        "(SELECT json_group_array(json_object('name', name, 'color', color)) FROM "
        "(SELECT t.name, t.color FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id "
        "WHERE ct.contacts_id = c.id ORDER BY t.name))"),
}


async def contact_rows(ids: list[int]) -> dict[int, dict[str, Any]]:
    """Contacts with their list, phones and tags (name and color), by id, each as of one moment."""
    if not ids:
        return {}
    phones, tags = _PARTS["postgres" if Tortoise.get_connection("default").capabilities.dialect == "postgres"
                          else "sqlite"]
    rows = await raw(
        "SELECT c.id AS id, c.list_id AS list_id, l.name AS list, c.first_name AS first_name, "
        "c.last_name AS last_name, c.email AS email, c.company AS company, c.notes AS notes, "
        "c.field_values AS field_values, c.created_at AS created_at, c.updated_at AS updated_at, "
        f"{phones} AS phones, {tags} AS tags "
        f"FROM contacts c LEFT JOIN contact_lists l ON l.id = c.list_id WHERE c.id IN ({','.join('?' * len(ids))})",
        list(ids))
    return {r["id"]: {**r, "phones": _json(r["phones"]), "tags": _json(r["tags"])} for r in rows}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


async def field_specs(list_id: int | None, conn: BaseDBAsyncClient | None = None) -> dict[str, FieldSpec]:
    """The custom fields of a list, by name, in the order they were defined."""
    query = CustomField.filter(list_id=list_id).order_by("id")
    rows = await (query.using_db(conn) if conn else query).values("name", "label", "kind", "choices")
    return {r["name"]: FieldSpec(r["name"], r["label"], r["kind"], tuple(r["choices"] or ())) for r in rows}


async def phone_clash(list_id: int | None, phones: list[str], excluding: list[int],
                      conn: BaseDBAsyncClient | None = None) -> tuple[str, int] | None:
    """A number among `phones` that another contact of the list has (one contact per number in a list),
    and that contact's id; contacts in `excluding` do not count."""
    if not phones or list_id is None:
        return None
    query = ContactPhone.filter(phone__in=phones, contact__list_id=list_id).exclude(contact_id__in=excluding or [0])
    found = await (query.using_db(conn) if conn else query).order_by("id").first().values("phone", "contact_id")
    return (found["phone"], found["contact_id"]) if found else None
