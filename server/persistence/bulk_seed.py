"""Bulk inserts for seeding a large workspace (scripts/seed.py, scripts/bench_contacts.py).

Rows go in with one multi-row statement per table and batch, in one transaction per batch, with no ORM
objects: 100,000 contacts take seconds, not the minutes that per-row saves would. Ids of the rows that
other rows point to (users, queues, lists, contacts, interactions, messages, ...) are allocated by the
caller from `next_id`, after the highest one stored, so a batch needs no read-back; `finish` then moves
PostgreSQL's id sequences past them. The seeder must
be the only writer meanwhile: a running server allocates interaction ids from its own counter.
"""
from __future__ import annotations

import importlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence

from tortoise.backends.base.client import BaseDBAsyncClient

from server.domain.contact_fields import search_columns
from server.persistence.db import dialect_sql

_search = importlib.import_module("server.persistence.migrations.0004_message_search")

# The tables whose ids the seeder allocates and that have a PostgreSQL sequence behind them.
SEQUENCED = ("users", "queues", "accounts", "contact_lists", "tags", "custom_fields", "contacts", "dispositions",
             "canned_answers", "messages")


async def insert_rows(conn: BaseDBAsyncClient, table: str, columns: Sequence[str],
                      rows: Sequence[Sequence[Any]]) -> None:
    """One executemany of `rows` into `table` (a JSON column takes a str from `as_json`)."""
    if rows:
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        await conn.execute_many(dialect_sql(conn, sql), [list(row) for row in rows])


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def next_id(conn: BaseDBAsyncClient, table: str) -> int:
    """The first id free after every stored row of `table`."""
    rows = await conn.execute_query_dict(f"SELECT COALESCE(MAX(id), 0) AS top FROM {table}")
    return int(rows[0]["top"]) + 1


async def finish(conn: BaseDBAsyncClient, tables: Sequence[str] = SEQUENCED) -> None:
    """After the last batch: PostgreSQL's sequences continue after the ids given here (SQLite's AUTOINCREMENT
    follows explicit ids by itself), and both refresh their planner statistics."""
    if conn.capabilities.dialect == "postgres":
        for table in tables:
            await conn.execute_script(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))")
    await conn.execute_script("ANALYZE")


@asynccontextmanager
async def message_index_paused(conn: BaseDBAsyncClient, pause: bool) -> AsyncIterator[None]:
    """With `pause` on SQLite: the full-text index of message text is not kept in step row by row (its
    triggers cost nine tenths of a message insert) but rebuilt once at the end, whatever happens meanwhile.
    Worth it when most of the messages are new: the rebuild reads them all."""
    if not pause or conn.capabilities.dialect != "sqlite":
        yield
        return
    for sql in _search.SQLITE_DROP[:3]:  # the triggers
        await conn.execute_script(sql)
    try:
        yield
    finally:
        await conn.execute_script(_search.SQLITE_REBUILD)
        for sql in _search.SQLITE_TRIGGERS:
            await conn.execute_script(sql)


@dataclass
class ContactRow:
    """One contact with what hangs off it. `authors`: user ids, its creator first (My Contacts, SPEC C7)."""

    list_id: int | None
    first_name: str
    last_name: str
    email: str
    company: str
    created_at: datetime
    updated_at: datetime
    phones: list[str]  # E.164, unique within the list
    notes: str = ""
    field_values: dict[str, Any] = field(default_factory=dict)
    tag_ids: list[int] = field(default_factory=list)
    authors: list[int] = field(default_factory=list)


CONTACT_COLUMNS = ("id", "list_id", "first_name", "last_name", "email", "company", "notes", "field_values",
                   "search_name", "search_email", "created_by_id", "created_at", "updated_at")


async def insert_contacts(conn: BaseDBAsyncClient, first_id: int, contacts: Sequence[ContactRow]) -> list[int]:
    """Writes `contacts` with ids from `first_id` on, their numbers, tags and authors; returns the ids.
    Call it inside the batch's transaction."""
    ids = list(range(first_id, first_id + len(contacts)))
    rows, phones, tags, authors = [], [], [], []
    for contact_id, c in zip(ids, contacts):
        search = search_columns(c.first_name, c.last_name, c.email)
        rows.append((contact_id, c.list_id, c.first_name, c.last_name, c.email, c.company, c.notes,
                     as_json(c.field_values), search["search_name"], search["search_email"],
                     c.authors[0] if c.authors else None, c.created_at, c.updated_at))
        phones += [(contact_id, phone) for phone in dict.fromkeys(c.phones)]
        tags += [(contact_id, tag_id) for tag_id in dict.fromkeys(c.tag_ids)]
        authors += [(contact_id, user_id) for user_id in dict.fromkeys(c.authors)]
    await insert_rows(conn, "contacts", CONTACT_COLUMNS, rows)
    await insert_rows(conn, "contact_phones", ("contact_id", "phone"), phones)
    await insert_rows(conn, "contact_tags", ("contacts_id", "tag_id"), tags)
    await insert_rows(conn, "contact_authors", ("contact_id", "user_id"), authors)
    return ids
