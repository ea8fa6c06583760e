"""scripts/seed.py (SPEC O2): a seeded workspace holds what its flags asked for, with valid numbers; the same
seed gives the same people; seeding again adds beside what is there; the server then starts on it, a seeded
agent signs in, sees their closed interactions and finds a contact by a number typed in national format;
on SQLite and on PostgreSQL."""
from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import phonenumbers
import pytest

from tests.postgres import postgres_server
from tests.serverproc import ROOT, Api, ServerProcess

pytestmark = pytest.mark.system  # run by .ci/run after the README suite (see pyproject.toml)

SCRIPT = ROOT / "scripts" / "seed.py"
PASSWORD = "seeded-secret"
FLAGS = {"--agents": 4, "--supervisors": 1, "--queues": 2, "--contacts": 80, "--interactions": 30,
         "--messages-per-interaction": 6, "--lists": 2}
CUSTOM = {"tier", "birthday", "lifetime_value", "preferred_time"}
Query = Callable[[str], list[tuple[Any, ...]]]


def run_seed(target: list[str], *extra: str, seed: int = 5, **flags: int) -> subprocess.CompletedProcess[str]:
    args = [a for k, v in {**FLAGS, **{f"--{k.replace('_', '-')}": v for k, v in flags.items()}}.items()
            for a in (k, str(v))]
    done = subprocess.run([sys.executable, str(SCRIPT), *target, *args, "--seed", str(seed), "--password", PASSWORD,
                           "--countries", "IT,US,GB,DE,IN,BR", *extra],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return done


def sqlite_query(path: Path) -> Query:
    def query(sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(path) as db:
            return db.execute(sql).fetchall()
    return query


def postgres_query(url: str) -> Query:
    import asyncpg

    def query(sql: str) -> list[tuple[Any, ...]]:
        async def fetch() -> list[tuple[Any, ...]]:
            connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
            try:
                return [tuple(r) for r in await connection.fetch(sql)]
            finally:
                await connection.close()
        return asyncio.run(fetch())
    return query


def when(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def check_workspace(q: Query) -> None:
    """What a fresh small seed (FLAGS) must hold."""
    users = q("SELECT username, role FROM users ORDER BY id")
    assert users == [("admin", "admin"), ("supervisor1", "supervisor"),
                     *((f"agent{n}", "agent") for n in range(1, 5))]
    assert q("SELECT COUNT(*) FROM queues") == [(2,)] and q("SELECT COUNT(*) FROM queue_supervisors") == [(2,)]
    assert sorted(q("SELECT provider, COUNT(*) FROM accounts GROUP BY provider")) == [("meta", 1), ("sandbox", 2)]
    assert q("SELECT COUNT(*) FROM contact_lists") == [(2,)]
    assert q("SELECT COUNT(*) FROM custom_fields") == [(8,)]
    assert q("SELECT COUNT(*) FROM contacts") == [(80,)]
    assert q("SELECT COUNT(*) FROM contacts WHERE search_name = '' OR created_by_id IS NULL") == [(0,)]
    assert q("SELECT COUNT(*) FROM contacts c WHERE NOT EXISTS "
             "(SELECT 1 FROM contact_authors a WHERE a.contact_id = c.id AND a.user_id = c.created_by_id)") == [(0,)]
    values = [json.loads(v) for (v,) in q("SELECT field_values FROM contacts")]
    assert sum("tier" in v for v in values) > 20 and all(set(v) <= CUSTOM for v in values)
    # Every agent in 1-3 queues; every interaction closed, owned by an agent of its queue, with a disposition.
    per_agent = q("SELECT u.username, COUNT(m.id) FROM users u LEFT JOIN queue_members m ON m.user_id = u.id "
                  "WHERE u.role = 'agent' GROUP BY u.username")
    assert len(per_agent) == 4 and all(1 <= n <= 3 for _, n in per_agent)
    assert q("SELECT status, COUNT(*) FROM interactions GROUP BY status") == [("closed", 30)]
    assert q("SELECT COUNT(*) FROM interactions i WHERE i.disposition_id IS NULL OR i.contact_id IS NULL "
             "OR NOT EXISTS (SELECT 1 FROM queue_members m WHERE m.queue_id = i.queue_id AND m.user_id = i.owner_id)"
             ) == [(0,)]
    directions = dict(q("SELECT direction, COUNT(*) FROM messages GROUP BY direction"))
    assert directions["in"] >= 30 and directions["out"] >= 30 and directions.get("note", 0) > 0
    assert 4 <= sum(directions.values()) / 30 <= 8  # about 6 a conversation
    assert q("SELECT COUNT(*) FROM interactions i WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE "
             "m.interaction_id = i.id AND m.direction = 'in') OR NOT EXISTS (SELECT 1 FROM messages m WHERE "
             "m.interaction_id = i.id AND m.direction = 'out')") == [(0,)]
    now = datetime.now(timezone.utc)
    for created, closed in q("SELECT created_at, closed_at FROM interactions"):
        assert now - timedelta(days=91) <= when(created) < when(closed) <= now + timedelta(days=1)
    assert q("SELECT COUNT(*) FROM interaction_tags")[0][0] >= 30
    # Every number valid for its country and stored in E.164, none twice.
    phones = [p for (p,) in q("SELECT phone FROM contact_phones")]
    assert len(phones) >= 80 and len(set(phones)) == len(phones)
    regions = set()
    for phone in phones:
        number = phonenumbers.parse(phone)
        assert phonenumbers.is_valid_number(number), phone
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == phone
        regions.add(phonenumbers.region_code_for_number(number))
    assert len(regions) >= 4


def check_server(server: ServerProcess, q: Query) -> None:
    """A seeded agent signs in, lists their closed interactions, finds a contact by a national-format number."""
    agent = q("SELECT u.username, u.id FROM users u WHERE u.role = 'agent' AND EXISTS "
              "(SELECT 1 FROM interactions i WHERE i.owner_id = u.id) ORDER BY u.id LIMIT 1")[0]
    api = Api(server.base, agent[0], PASSWORD)
    owned = q(f"SELECT COUNT(*) FROM interactions WHERE owner_id = {agent[1]}")[0][0]
    listed = api.get("/interactions", params={"page_size": 100}).json()
    assert listed["total"] == owned > 0
    assert {item["status"] for item in listed["items"]} == {"closed"}
    # The message text search finds them (SQLite: the full-text index, rebuilt after the bulk insert).
    [(word_owner,)] = q(f"SELECT COUNT(DISTINCT interaction_id) FROM messages m JOIN interactions i ON "
                        f"i.id = m.interaction_id WHERE i.owner_id = {agent[1]} AND m.direction IN ('in', 'out') "
                        "AND m.text LIKE '%order%'")
    searched = api.get("/interactions", params={"message": "order", "page_size": 100}).json()
    assert searched["total"] == word_owner > 0
    contact_id, phone = q("SELECT c.id, p.phone FROM contacts c JOIN contact_phones p ON p.contact_id = c.id "
                          f"JOIN list_permissions r ON r.list_id = c.list_id AND r.user_id = {agent[1]} "
                          "ORDER BY c.id LIMIT 1")[0]
    national = phonenumbers.format_number(phonenumbers.parse(phone), phonenumbers.PhoneNumberFormat.NATIONAL)
    assert national != phone
    found = api.get("/contacts", params={"q": national}).json()
    assert contact_id in [c["id"] for c in found["items"]], (national, found)
    with pytest.raises(httpx.HTTPStatusError):
        Api(server.base, agent[0], "wrong-password")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    data = tmp_path_factory.mktemp("seeded")
    done = run_seed(["--data-dir", str(data)])
    yield data / "contact-center.sqlite3", done.stdout


def test_a_seed_holds_what_its_flags_ask_for(seeded: tuple[Path, str]) -> None:
    path, out = seeded
    check_workspace(sqlite_query(path))
    assert "agent1..agent4" in out and "Time per phase: migrate" in out and "contacts 80" in out


def test_the_server_serves_the_seeded_workspace(seeded: tuple[Path, str], tmp_path: Path) -> None:
    path, _ = seeded
    server = ServerProcess(tmp_path / "server", demo=False, database_url=f"sqlite://{path}").start()
    try:
        check_server(server, sqlite_query(path))
    finally:
        server.stop()


def test_the_same_seed_gives_the_same_data(seeded: tuple[Path, str], tmp_path: Path) -> None:
    first = sqlite_query(seeded[0])
    run_seed(["--data-dir", str(tmp_path)])
    second = sqlite_query(tmp_path / "contact-center.sqlite3")
    for sql in ("SELECT c.first_name, c.last_name, c.email, c.company, c.field_values, p.phone FROM contacts c "
                "JOIN contact_phones p ON p.contact_id = c.id ORDER BY c.id, p.phone",
                "SELECT interaction_id, direction, text, sender FROM messages ORDER BY id",
                "SELECT customer_phone, customer_name, owner_id, disposition_id, created_at FROM interactions",
                "SELECT username, full_name FROM users ORDER BY id"):
        assert first(sql) == second(sql), sql


def test_seeding_a_demo_workspace_adds_beside_it(tmp_path: Path) -> None:
    from server.persistence.db import close_database, open_database
    from server.services.demo import ensure_demo_workspace

    path = tmp_path / "contact-center.sqlite3"

    async def demo() -> None:
        await open_database(f"sqlite://{path}")
        try:
            await ensure_demo_workspace()
        finally:
            await close_database()

    asyncio.run(demo())
    q = sqlite_query(path)
    demo_users = q("SELECT id, username, password_hash FROM users ORDER BY id")
    done = run_seed(["--data-dir", str(tmp_path)], seed=6, agents=2, queues=2, contacts=10, interactions=5,
                    supervisors=1, lists=1)
    assert q("SELECT id, username, password_hash FROM users ORDER BY id")[:len(demo_users)] == demo_users
    assert q("SELECT username FROM users ORDER BY id")[len(demo_users):] == [("supervisor1",), ("agent6",),
                                                                             ("agent7",)]
    assert q("SELECT COUNT(*) FROM users WHERE role = 'admin'") == [(1,)]  # the demo's
    assert q("SELECT name FROM contact_lists ORDER BY id") == [("Customers",), ("Customers 2",)]
    assert q("SELECT name FROM queues ORDER BY id") == [("WhatsAppConn1",), ("Sales",), ("Support",)]
    assert q("SELECT COUNT(*) FROM tags WHERE name = 'VIP'") == [(1,)]  # reused by name
    assert q("SELECT COUNT(*) FROM contacts") == [(10,)] and q("SELECT COUNT(*) FROM interactions") == [(5,)]
    assert "agent6..agent7" in done.stdout and "reused" in done.stdout and "tag 'VIP'" in done.stdout


def test_bad_flags_are_refused_before_anything_is_written(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from seed import parse_options

    for flags, message in ((["--countries", "IT,XQ"], "'XQ'"), (["--interactions", "5", "--agents", "0"], "agent"),
                           (["--contacts", "-3"], "out of range"), (["--contacts", "many"], "whole number"),
                           (["--messages-per-interaction", "1"], "at least 2"), (["--password", ""], "empty")):
        with pytest.raises(SystemExit) as exit_:
            parse_options(["--data-dir", str(tmp_path / "x"), *flags], environ={})
        assert exit_.value.code == 2 and message in capsys.readouterr().err, flags
    assert parse_options(["--data-dir", str(tmp_path)], environ={}).database_url == \
        f"sqlite://{(tmp_path / 'contact-center.sqlite3').resolve()}"
    assert parse_options([], environ={"XC_DATABASE_URL": "postgres://u@h/db"}).database_url == "postgres://u@h/db"
    assert parse_options(["--data-dir", str(tmp_path)], environ={"XC_DATABASE_URL": "postgres://u@h/db"}) \
        .database_url.startswith("sqlite://")
    done = subprocess.run([sys.executable, str(SCRIPT), "--data-dir", str(tmp_path / "x"), "--countries", "XQ"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 2 and "XQ" in done.stderr
    assert not (tmp_path / "x").exists()


def test_a_seed_on_postgresql(tmp_path: Path) -> None:
    with postgres_server() as url:
        run_seed(["--database-url", url])
        q = postgres_query(url)
        check_workspace(q)
        # The id sequences continue after the ids the seed gave.
        assert q("SELECT nextval(pg_get_serial_sequence('contacts', 'id'))")[0][0] > 80
        assert q("SELECT nextval(pg_get_serial_sequence('messages', 'id'))")[0][0] > \
            q("SELECT MAX(id) FROM messages")[0][0]
        server = ServerProcess(tmp_path / "server", demo=False, database_url=url).start()
        try:
            check_server(server, q)
        finally:
            server.stop()
