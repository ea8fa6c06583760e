"""A whole transaction in one hop into SQLite's connection thread (server/persistence/sqlite_hop.py): it commits
or leaves nothing, waits for a transaction tortoise has open, and costs exactly one hop. These fail first if
tortoise or aiosqlite change the internals it relies on."""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from server.persistence.db import close_database, open_database
from server.persistence.sqlite_hop import on_sqlite, run_in_one_hop
from server.persistence.writer import WriterContext
from server.persistence.writes import StoreInbound


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
