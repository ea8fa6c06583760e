"""Benchmark: the interactions list (SPEC L2) on a large SQLite file, through the real query function.

Seeds a fresh file under a temporary directory with 100,000 interactions and 2,000,000 messages (raw
bulk inserts in big transactions, the full-text index built once at the end), then times
`list_interactions` for the first page, every filter, combinations and quick searches; prints p50 / p95
of each against the 100 ms target.

    python scripts/bench_list.py                  # 100,000 interactions, 2,000,000 messages
    python scripts/bench_list.py --quick          # 10,000 / 200,000, to check that it runs
"""
from __future__ import annotations

import argparse
import asyncio
import importlib
import random
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from figures import pct  # noqa: E402
from server.persistence.db import close_database, open_database  # noqa: E402
from server.persistence.queries import InteractionFilter, list_interactions  # noqa: E402

search_migration = importlib.import_module("server.persistence.migrations.0004_message_search")

TARGET_MS = 100.0
ACCOUNTS = ["meta-main", "meta-sales", "twilio-eu", "sinch-b2b", "kaleyra-in"]
TAGS = ["VIP", "Sales", "Support", "Billing", "Complaint", "Returns", "Lead", "Spam", "Urgent", "Callback"]
AGENTS = [f"agent{n}" for n in range(1, 51)]
FIRST = ["Mario", "Giulia", "Luca", "Anna", "Marco", "Sara", "Paolo", "Elena", "John", "Maria", "Ahmed", "Li",
         "Sofia", "Pietro", "Chiara", "Omar", "Laura", "Davide", "Fatima", "Yuki"]
LAST = ["Rossi", "Bianchi", "Russo", "Ferrari", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco",
        "Smith", "Khan", "Wang", "Conti", "Galli", "Costa", "Fontana", "Moretti", "Barbieri", "Lombardi"]
SYLLABLES = ["ka", "lo", "mi", "ne", "ra", "to", "vu", "si", "de", "po", "ba", "gu", "fe", "zi", "cho", "tra"]
START = datetime(2025, 1, 1, tzinfo=timezone.utc)


def stamp(moment: datetime) -> str:
    return str(moment)  # what the ORM and the sqlite3 adapter store: "2025-01-01 00:00:00.123456+00:00"


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def seed(path: Path, interactions: int, messages: int, rng: random.Random) -> dict:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")
    for sql in search_migration.SQLITE_DROP[:3]:  # the triggers: the index is built once at the end
        db.execute(sql)
    db.execute("BEGIN")
    db.execute("INSERT INTO queues (id, name, strategy, weight, offer_timeout, reoffer_delay, capacity, "
               "target_seconds) VALUES (1, 'bench', 'ring_all', 0, 30, 60, 5, 60)")
    db.executemany("INSERT INTO accounts (id, key, provider, name, phone_number, queue_id, credentials, "
                   "api_base_url) VALUES (?, ?, 'sandbox', ?, '', 1, '{}', '')",
                   [(n + 1, key, key) for n, key in enumerate(ACCOUNTS)])
    db.executemany("INSERT INTO users (id, username, password_hash, role, full_name, state, disabled, created_at) "
                   "VALUES (?, ?, 'x', 'agent', ?, 'offline', 0, ?)",
                   [(n + 1, name, name, stamp(START)) for n, name in enumerate(AGENTS)])
    db.executemany("INSERT INTO tags (id, name, color) VALUES (?, ?, '#607d8b')",
                   [(n + 1, name) for n, name in enumerate(TAGS)])
    words = vocabulary(3000, rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]  # Zipf-like: a few words are everywhere
    per = messages // interactions
    span = 365 * 24 * 3600
    message_id = 0
    rows_i, rows_m, rows_t, rows_p = [], [], [], []
    phones = []
    seconds = sorted(rng.randrange(span) for _ in range(interactions))
    for n in range(interactions):
        iid = n + 1
        created = START + timedelta(seconds=seconds[n], microseconds=rng.randrange(1_000_000))
        agent = rng.randint(1, len(AGENTS))
        status = "open" if n >= interactions * 0.95 else "closed"  # the newest 5 % still open
        phone = f"+39{rng.choice(['333', '347', '320', '389'])}{rng.randrange(10_000_000):07d}"
        phones.append(phone)
        texts = [" ".join(rng.choices(words, weights, k=rng.randint(3, 8))) for _ in range(per)]
        first_message = message_id + 1
        for k, text in enumerate(texts):
            message_id += 1
            direction = "note" if k % 10 == 9 else ("in" if k % 2 == 0 else "out")
            rows_m.append((message_id, iid, direction, text, "received" if direction == "in" else "read",
                           phone, stamp(created + timedelta(minutes=k))))
        unread = status == "open" and rng.random() < 0.5
        read_marker = first_message + per // 2 if unread else message_id
        rows_i.append((iid, phone, f"{rng.choice(FIRST)} {rng.choice(LAST)}", status, read_marker,
                       int(unread and rng.random() < 0.1), stamp(created),
                       stamp(created + timedelta(minutes=per)) if status == "closed" else None,
                       rng.randint(1, len(ACCOUNTS)), agent, agent))
        for tag in rng.sample(range(1, len(TAGS) + 1), k=rng.choice([0, 0, 1, 1, 2])):
            rows_t.append((iid, tag))
        rows_p.append((iid, agent, stamp(created)))
        if len(rows_m) >= 200_000 or n == interactions - 1:
            db.executemany("INSERT INTO interactions (id, customer_phone, customer_name, status, read_marker, "
                           "returned_unread, created_at, closed_at, account_id, first_agent_id, owner_id, "
                           "queue_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)", rows_i)
            db.executemany("INSERT INTO messages (id, interaction_id, direction, kind, text, status, sender, "
                           "created_at) VALUES (?, ?, ?, 'text', ?, ?, ?, ?)", rows_m)
            db.executemany("INSERT INTO interaction_tags (interactions_id, tag_id) VALUES (?, ?)", rows_t)
            db.executemany("INSERT INTO participations (interaction_id, user_id, joined_at) VALUES (?, ?, ?)",
                           rows_p)
            rows_i, rows_m, rows_t, rows_p = [], [], [], []
    db.execute("COMMIT")
    started = time.perf_counter()
    db.execute(search_migration.SQLITE_REBUILD)
    rebuild = time.perf_counter() - started
    for sql in search_migration.SQLITE_TRIGGERS:
        db.execute(sql)
    db.execute("ANALYZE")
    db.close()
    return {"words": words, "phones": phones, "rebuild": rebuild, "messages": message_id}


def trigger_cost(path: Path, rows: int) -> tuple[float, float]:
    """Rows/s of the inbound insert statement in 50-row transactions, without and with the FTS triggers."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous=NORMAL")
    sql = ("INSERT INTO messages (interaction_id, direction, kind, text, status, sender, external_key, created_at) "
           "VALUES (?, 'in', 'text', ?, 'received', 'bench', ?, ?)")
    rates = []
    for run, triggers in (("a", False), ("b", True)):
        for stmt in (search_migration.SQLITE_TRIGGERS if triggers else search_migration.SQLITE_DROP[:3]):
            db.execute(stmt)
        started = time.perf_counter()
        for batch in range(rows // 50):
            db.execute("BEGIN")
            db.executemany(sql, [(1, f"inbound text number {batch} {k} parcel delayed", f"bench:{run}{batch}:{k}",
                                  stamp(START)) for k in range(50)])
            db.execute("COMMIT")
        rates.append(rows / (time.perf_counter() - started))
    db.execute("DELETE FROM messages WHERE sender = 'bench'")  # the delete trigger keeps the index in step
    db.close()
    return rates[0], rates[1]




async def timed(cases: list[tuple[str, InteractionFilter]], runs: int) -> list[str]:
    lines = []
    for name, f in cases:
        samples = []
        rows, total = await list_interactions(f)  # warm-up
        for _ in range(runs):
            started = time.perf_counter()
            rows, total = await list_interactions(f)
            samples.append((time.perf_counter() - started) * 1000)
        p50, p95 = pct(samples, 50), pct(samples, 95)
        verdict = "ok" if p95 <= TARGET_MS else "OVER"
        lines.append(f"{name:<44} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  total {total:>6}  rows {len(rows):>2}  "
                     f"{verdict}")
        print(lines[-1], flush=True)
    return lines


def cases(info: dict, rng: random.Random) -> list[tuple[str, InteractionFilter]]:
    words = info["words"]
    phone = info["phones"][len(info["phones"]) // 3]
    local = phone[3:]
    spaced = f"+39 {local[:3]} {local[3:6]} {local[6:]}"
    month = (datetime(2025, 6, 1, tzinfo=timezone.utc), datetime(2025, 7, 1, tzinfo=timezone.utc))
    F = InteractionFilter
    return [
        ("first page, no filter", F()),
        ("page 40, no filter", F(page=40)),
        ("status=open", F(status="open")),
        ("status=closed", F(status="closed")),
        ("unread=true", F(unread=True)),
        ("unread=false", F(unread=False)),
        ("account", F(account="twilio-eu")),
        ("agent (first to manage)", F(agent="agent17")),
        ("tag", F(tags=("Billing",))),
        ("two tags", F(tags=("Billing", "VIP"))),
        ("date range (one month)", F(created_from=month[0], created_to=month[1])),
        ("agent's own list", F(owner="agent17")),
        ("agent's list (took part in)", F(participant=17)),
        ("status+account+agent", F(status="closed", account="meta-main", agent="agent3")),
        ("open+unread+account", F(status="open", unread=True, account="meta-sales")),
        ("tag+date range", F(tags=("VIP",), created_from=month[0], created_to=month[1])),
        ("agent own+open+unread", F(owner="agent17", status="open", unread=True)),
        ("agent took part+open+unread", F(participant=17, status="open", unread=True)),
        ("search: name", F(text="Giulia Fontana")),
        ("search: phone E.164", F(text=phone)),
        ("search: phone +39 333 123 4567", F(text=spaced)),
        ("search: phone 0039...", F(text="0039" + local)),
        ("search: phone national", F(text=local)),
        ("search: common word", F(text=words[0])),
        ("search: mid-frequency word", F(text=words[300])),
        ("search: rare word", F(text=words[-1])),
        ("search: word prefix", F(text=words[300][:4])),
        ("search: two words", F(text=f"{words[10]} {words[40]}")),
        ("search: no match", F(text="xylophonequartz")),
        ("search: operators only", F(text='" * - AND NEAR(')),
        ("search: mid word, agent's own", F(text=words[300], owner="agent17")),
        ("search: mid word, agent took part", F(text=words[300], participant=17)),
        ("search: mid word + closed + date range", F(text=words[300], status="closed", created_from=month[0],
                                                     created_to=month[1])),
    ]


async def run_queries(path: Path, info: dict, runs: int) -> None:
    await open_database(f"sqlite://{path}")
    try:
        await timed(cases(info, random.Random(7)), runs)
    finally:
        await close_database()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 interactions, 200,000 messages")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    interactions, messages = (10_000, 200_000) if args.quick else (100_000, 2_000_000)
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-list.sqlite3"
        asyncio.run(open_database(f"sqlite://{path}"))  # the schema, through the real migrations
        asyncio.run(close_database())
        started = time.perf_counter()
        info = seed(path, interactions, messages, rng)
        print(f"seeded {interactions:,} interactions and {info['messages']:,} messages in "
              f"{time.perf_counter() - started:.1f} s (full-text rebuild {info['rebuild']:.1f} s); "
              f"file {path.stat().st_size / 1e6:.0f} MB", flush=True)
        without, with_triggers = trigger_cost(path, 20_000)
        print(f"inbound insert, 50 rows/transaction: {without:,.0f} rows/s without the FTS triggers, "
              f"{with_triggers:,.0f} rows/s with them ({(1 - with_triggers / without) * 100:.0f}% slower)", flush=True)
        print(f"\n== list_interactions, {args.runs} runs each, target p95 <= {TARGET_MS:.0f} ms ==")
        asyncio.run(run_queries(path, info, args.runs))


if __name__ == "__main__":
    main()
