"""A whole transaction in one hop into SQLite's connection thread (server/persistence/sqlite_hop.py): it commits
or leaves nothing, waits for a transaction tortoise has open, and costs exactly one hop. These fail first if
tortoise or aiosqlite change the internals it relies on."""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from server.persistence.db import close_database, open_database
from server.persistence.sqlite_hop import on_sqlite, run_in_one_hop
from server.persistence import writer as writer_module
from server.persistence.routing_state import load_writer_context
from server.persistence.writer import Writer, WriterContext
from server.persistence.writes import RecordHistory, StoreInbound, StoreOwner


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[None]:
    await open_database(f"sqlite://{tmp_path / 'hop.sqlite3'}")
    await connections.get("default").execute_script("CREATE TABLE probe (id INTEGER PRIMARY KEY, v TEXT)")
    yield
    await close_database()


async def _values() -> list[str]:
    _, rows = await connections.get("default").execute_query("SELECT v FROM probe ORDER BY id")
    return [row[0] for row in rows]


async def test_the_work_commits_in_exactly_one_hop(database: None, monkeypatch: pytest.MonkeyPatch) -> None:
    hops: list[Any] = []
    real = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(fn)
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    assert on_sqlite()

    def work(db: sqlite3.Connection) -> int:
        db.executemany("INSERT INTO probe (v) VALUES (?)", [("a",), ("b",), ("c",)])
        return db.execute("SELECT COUNT(*) FROM probe").fetchone()[0]

    assert await run_in_one_hop(work) == 3
    assert len(hops) == 1
    monkeypatch.undo()
    assert await _values() == ["a", "b", "c"]


async def test_work_that_fails_leaves_nothing(database: None) -> None:
    def work(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO probe (v) VALUES ('half')")
        raise sqlite3.IntegrityError("no")

    with pytest.raises(sqlite3.IntegrityError):
        await run_in_one_hop(work)
    assert await _values() == []
    await run_in_one_hop(lambda db: db.execute("INSERT INTO probe (v) VALUES ('after')"))  # no transaction left open
    assert await _values() == ["after"]


async def test_it_waits_for_a_transaction_tortoise_has_open(database: None) -> None:
    inside, release = asyncio.Event(), asyncio.Event()

    async def tortoise_transaction() -> None:
        async with in_transaction() as conn:
            await conn.execute_query("INSERT INTO probe (v) VALUES ('tortoise')")
            inside.set()
            await release.wait()

    holder = asyncio.create_task(tortoise_transaction())
    await inside.wait()
    hop = asyncio.create_task(run_in_one_hop(
        lambda db: [row[0] for row in db.execute("SELECT v FROM probe ORDER BY id").fetchall()]))
    await asyncio.sleep(0.2)
    assert not hop.done()  # it would otherwise have run inside tortoise's transaction
    release.set()
    await holder
    assert await hop == ["tortoise"]


def test_only_messages_of_open_conversations_without_files_go_in_one_hop() -> None:
    ctx = WriterContext({(1, "+393330000001"): 7}, next_interaction_id=8)

    def message(phone: str, **extra: Any) -> StoreInbound:
        return StoreInbound(1, 1, f"id-{phone}-{len(extra)}", phone, "", "hi", **extra)

    assert StoreInbound.in_one_hop([message("+393330000001")], ctx) is not None
    assert StoreInbound.in_one_hop([message("+393330000001"), message("+393330000002")], ctx) is None  # opens one
    assert StoreInbound.in_one_hop([message("+393330000001", media=("ref", "image/jpeg", "a.jpg"))], ctx) is None
    assert StoreInbound.in_one_hop([message("+393330000001", new_phone="+393330000003")], ctx) is None
    assert ctx.next_interaction_id == 8 and ctx.open_conversations == {(1, "+393330000001"): 7}


# --- the writer: what one hop stores is what tortoise stores -----------------------------------------------
_SEED = (
    "INSERT INTO users (id, username, password_hash, role, full_name, state, disabled, created_at) VALUES "
    "(1, 'ada', 'x', 'agent', '', 'online', FALSE, '2026-01-01 00:00:00+00:00'), "
    "(2, 'bruno', 'x', 'agent', '', 'online', FALSE, '2026-01-01 00:00:00+00:00');"
    "INSERT INTO queues (id, name, strategy, weight, offer_timeout, reoffer_delay, capacity, target_seconds) "
    "VALUES (1, 'q', 'ring_all', 0, 30, 60, 5, 60);"
    "INSERT INTO accounts (id, key, provider, name, phone_number, queue_id, credentials, api_base_url) "
    "VALUES (1, 'a', 'sandbox', '', '', 1, '{}', '');"
    "INSERT INTO interactions (id, account_id, queue_id, customer_phone, customer_name, status, read_marker, "
    "returned_unread, created_at) VALUES "
    "(1, 1, 1, '+393330000001', '', 'open', 0, FALSE, '2026-01-01 10:00:00+00:00'), "
    "(2, 1, 1, '+393330000002', '', 'open', 0, FALSE, '2026-01-01 10:00:00+00:00');")
_AT = datetime(2026, 1, 1, 10, 5, tzinfo=timezone.utc)


async def _stored_by_writer(path: Path, one_hop: bool, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Two batches through a writer (accepts with their history, then messages of the open conversations and
    a retry of one), and what the tables hold afterwards."""
    monkeypatch.setattr(writer_module, "on_sqlite", lambda: one_hop)
    await open_database(f"sqlite://{path}")
    client = connections.get("default")
    await client.execute_script(_SEED)
    writer = Writer(await load_writer_context())
    writer.ctx.user_ids.update({"ada": 1, "bruno": 2})
    writer.start()
    try:
        await asyncio.gather(writer.submit(StoreOwner(1, "ada", _AT)), writer.submit(StoreOwner(2, "bruno", _AT)),
                             writer.submit(RecordHistory(1, "offered", ("ada", "bruno"), at=_AT)))
        messages = [("m1", "+393330000001"), ("m2", "+393330000002"), ("m1", "+393330000001")]
        answers = await asyncio.gather(*(writer.submit(StoreInbound(1, 1, message_id, phone, "Cy", "hi",
                                                                    received_at=_AT))
                                         for message_id, phone in messages))
        tables = {"answers": [(a.message_id, a.interaction_id, a.created_interaction, a.duplicate) for a in answers]}
        for table, columns in [("interactions", "id, owner_id, first_agent_id, accepted_at, last_inbound_at"),
                               ("participations", "interaction_id, user_id, joined_at, left_at"),
                               ("routing_events", "interaction_id, kind, agents, detail, created_at"),
                               ("messages", "interaction_id, direction, kind, text, sender, external_key, created_at")]:
            _, rows = await client.execute_query(f"SELECT {columns} FROM {table} ORDER BY 1, 2, 3")
            tables[table] = [tuple(row) for row in rows]
        return tables
    finally:
        await writer.stop()
        await close_database()


async def test_the_writer_stores_in_one_hop_exactly_what_it_stores_through_tortoise(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    through_tortoise = await _stored_by_writer(tmp_path / "tortoise.sqlite3", False, monkeypatch)
    in_one_hop = await _stored_by_writer(tmp_path / "hop.sqlite3", True, monkeypatch)
    assert in_one_hop == through_tortoise
    assert through_tortoise["answers"][2][3] is True  # the retry
    assert [row[1] for row in through_tortoise["interactions"]] == [1, 2]  # owners stored
