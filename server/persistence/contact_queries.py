"""Finding contacts (SPEC C4, C7, C8) at 100,000+ rows: one filtered scan for a page and its count.

Text is compared with the lower-cased copies kept on each contact (search_name, search_email), so a
search reads the same on SQLite and PostgreSQL. A field masked for the viewer is matched only whole
(the full number, the full email or name): a masked viewer can find a contact they already know,
but cannot probe a masked value digit by digit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise import Tortoise

from server.domain.masking import Masking
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
    phone_e164: str | None = None  # the quick search or `phone` read as a whole number, if it is one
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


def _quick_clause(f: ContactFilter) -> tuple[str, list[Any]]:
    text = f.text or ""
    if phone_digits(text):
        return _phone_clause(text, f.phone_e164, f.masking.phone != "none")
    words = text.lower().split()[:MAX_WORDS]
    visible = ["LOWER(c.company)"]
    if f.masking.name == "none":
        visible.append("c.search_name")
    if f.masking.email == "none":
        visible.append("c.search_email")
    every_word = " AND ".join("(" + " OR ".join(f"{col} {LIKE}" for col in visible) + ")" for _ in words)
    options, values = [f"({every_word})"], [_like(w) for w in words for _ in visible]
    whole = " ".join(words)
    if f.masking.name != "none":
        options.append("(c.search_name = ? OR LOWER(c.first_name) = ? OR LOWER(c.last_name) = ?)")
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
            where.append(f"LOWER(c.{column}) = ?" if exact else f"LOWER(c.{column}) {LIKE}")
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
            where.append(f"LOWER(c.{column}) {LIKE}")
            values.append(_like(given))
    for name, given in f.custom:
        if dialect == "postgres":
            where.append(f"LOWER(c.field_values ->> ?) {LIKE}")
            values += [name, _like(given)]
        else:
            where.append(f"LOWER(CAST(json_extract(c.field_values, ?) AS TEXT)) {LIKE}")
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
    if f.text:
        clause, more = _quick_clause(f)
        where.append(clause)
        values += more
    dialect = Tortoise.get_connection("default").capabilities.dialect
    advanced, more = _advanced_clauses(f, dialect)
    where += advanced
    values += more
    clause = " AND ".join(where)
    offset = (f.page - 1) * f.page_size
    page = f"ORDER BY c.id DESC LIMIT {int(f.page_size)} OFFSET {int(offset)}"
    found = await raw(f"SELECT c.id AS id, COUNT(*) OVER () AS n FROM contacts c WHERE {clause} {page}", values)
    if found or offset == 0:
        return [r["id"] for r in found], (found[0]["n"] if found else 0)
    total = (await raw(f"SELECT COUNT(*) AS n FROM contacts c WHERE {clause}", values))[0]["n"]
    return [], total


async def contact_rows(ids: list[int]) -> dict[int, dict[str, Any]]:
    """Contacts with their list, phones and tags (name and color), by id."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = await raw(
        "SELECT c.id AS id, c.list_id AS list_id, l.name AS list, c.first_name AS first_name, "
        "c.last_name AS last_name, c.email AS email, c.company AS company, c.notes AS notes, "
        "c.field_values AS field_values, c.created_at AS created_at, c.updated_at AS updated_at "
        f"FROM contacts c LEFT JOIN contact_lists l ON l.id = c.list_id WHERE c.id IN ({marks})", list(ids))
    result = {r["id"]: {**r, "phones": [], "tags": []} for r in rows}
    for p in await raw(f"SELECT contact_id, phone FROM contact_phones WHERE contact_id IN ({marks}) ORDER BY id",
                       list(ids)):
        result[p["contact_id"]]["phones"].append(p["phone"])
    for t in await raw("SELECT ct.contacts_id AS cid, t.name AS name, t.color AS color FROM contact_tags ct "
                       f"JOIN tags t ON t.id = ct.tag_id WHERE ct.contacts_id IN ({marks}) ORDER BY t.name",
                       list(ids)):
        result[t["cid"]]["tags"].append({"name": t["name"], "color": t["color"]})
    return result
