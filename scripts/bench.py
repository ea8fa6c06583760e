"""Benchmark: the routing core under load, beside the raw limits of its own parts, in one run.

The product runs in this process (uvicorn in a thread, NiceGUI-free API app) on an SQLite file or, with
--database-url, on an empty PostgreSQL database; a child process plays customers (through the real
sandbox webhook) and agents (accepting through the REST API) so that the load generator does not share
our GIL. Prints medians and percentiles, beside the raw limits of pykka and of the database driver in
use, and what the supervisor board costs with the workspace's 1,000 agents and 5,000 open interactions.

    python scripts/bench.py                 # full run (about 2 minutes)
    python scripts/bench.py --quick         # smaller and shorter, to check that it runs
    python scripts/bench.py --database-url postgres://user@host:5432/emptydb
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing as mp
import os
import random
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiosqlite  # noqa: E402
import asyncpg  # noqa: E402
import pykka  # noqa: E402
import uvicorn  # noqa: E402

from figures import pct  # noqa: E402
from server.actors.events import OfferShown  # noqa: E402
from server.actors.runtime import ActorPool, PooledActor  # noqa: E402
from server.app import create_entry  # noqa: E402
from server.config import Settings  # noqa: E402
from server.connectors.sinch import signature as sinch_signature  # noqa: E402
from server.connectors.twilio import signature  # noqa: E402
from server.persistence.db import close_database, open_database  # noqa: E402
from server.persistence.models import (Account, AuthSession, ContactList, ContactTrigger, Interaction,  # noqa: E402
                                       Message, Queue, QueueMember, User)


# --- figures -------------------------------------------------------------------------------------


def ms(values: list[float]) -> str:
    return f"p50 {pct(values, 50) * 1000:7.2f} ms   p99 {pct(values, 99) * 1000:7.2f} ms   (n={len(values)})"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- raw limits of our parts ---------------------------------------------------------------------
def hop(actor: pykka.Actor, message: tuple[str, int, Any, threading.Event]) -> None:
    """One step of a tell chain between two actors: pass the count on, or say the chain ended."""
    _, n, other, done = message
    if n == 0:
        done.set()
    else:
        other.tell(("hop", n - 1, actor.actor_ref, done))


class Echo(pykka.ThreadingActor):
    def on_receive(self, message: Any) -> Any:
        if isinstance(message, tuple):
            return hop(self, message)
        return message  # an ask: answered with itself


class PooledEcho(PooledActor):
    def on_receive(self, message: Any) -> Any:
        hop(self, message)


def raw_pykka(hops: int) -> dict[str, float]:
    a, b = Echo.start(), Echo.start()
    started = time.perf_counter()
    for _ in range(2000):
        a.ask("ping")
    ask_rtt = (time.perf_counter() - started) / 2000
    done = threading.Event()
    started = time.perf_counter()
    a.tell(("hop", hops, b, done))
    done.wait(60)
    threading_rate = hops / (time.perf_counter() - started)
    a.stop(), b.stop()
    pool = ActorPool(4, name="bench-raw")
    pa, pb = PooledEcho.start(pool), PooledEcho.start(pool)
    done = threading.Event()
    started = time.perf_counter()
    pa.tell(("hop", hops, pb, done))
    done.wait(60)
    pooled_rate = hops / (time.perf_counter() - started)
    pa.stop(), pb.stop()
    pool.shutdown()
    return {"ask_rtt_us": ask_rtt * 1e6, "tell_chain_threading": threading_rate, "tell_chain_pooled": pooled_rate}


async def raw_sqlite(path: Path, rows: int, synchronous: str) -> dict[str, float]:
    out = {}
    for batch in (1, 50):
        file = path / f"raw-{synchronous}-{batch}.db"
        async with aiosqlite.connect(file) as db:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute(f"PRAGMA synchronous={synchronous}")
            await db.execute("CREATE TABLE m (id INTEGER PRIMARY KEY, k TEXT UNIQUE, body TEXT, at REAL)")
            await db.commit()
            count = rows if batch > 1 else rows // 10
            started = time.perf_counter()
            for start in range(0, count, batch):
                await db.executemany("INSERT INTO m (k, body, at) VALUES (?, ?, ?)",
                                     [(f"k{i}", "hello there", time.time()) for i in range(start, start + batch)])
                await db.commit()
            out[f"rows_per_s_batch{batch}"] = count / (time.perf_counter() - started)
    return out


async def raw_postgres(url: str, rows: int) -> dict[str, float]:
    """The same inserts as raw_sqlite, straight through asyncpg on the database under test."""
    out = {}
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        for batch in (1, 50):
            table = f"raw_{batch}"
            await connection.execute(f"CREATE TABLE {table} (id SERIAL PRIMARY KEY, k TEXT UNIQUE, body TEXT, "
                                     "at DOUBLE PRECISION)")
            count = rows if batch > 1 else rows // 10
            started = time.perf_counter()
            for start in range(0, count, batch):
                async with connection.transaction():
                    await connection.executemany(f"INSERT INTO {table} (k, body, at) VALUES ($1, $2, $3)",
                                                 [(f"k{i}", "hello there", time.time())
                                                  for i in range(start, start + batch)])
            out[f"rows_per_s_batch{batch}"] = count / (time.perf_counter() - started)
            await connection.execute(f"DROP TABLE {table}")
    finally:
        await connection.close()
    return out


def board_cost(services: Any, runs: int = 30) -> dict[str, float]:
    """What one redraw of the supervisor board costs the server: the figures of every queue and agent."""
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        rows = asyncio.run_coroutine_threadsafe(services.board.rows(None), services.system.loop).result(10)
        times.append(time.perf_counter() - started)
        size = len(json.dumps(rows))
    return {"times": times, "bytes": size, "agents": len(rows["agents"]),
            "open": sum(q["open"] for q in rows["queues"])}


# --- the workspace -------------------------------------------------------------------------------
async def build_workspace(url: str, queues: int, per_queue: int, open_total: int, capacity: int) -> dict[str, Any]:
    await open_database(url)
    tokens: dict[str, list[tuple[str, str]]] = {}
    conversations: list[tuple[str, str]] = []  # (account key, phone)
    users, sessions, members = [], [], []
    queue_rows = [await Queue.create(name=f"Q{q}", capacity=capacity, offer_timeout=60) for q in range(queues)]
    accounts = [await Account.create(key=f"bench-q{q}", provider="sandbox", queue=queue_rows[q]) for q in range(queues)]
    await Account.create(key="bench-meta", provider="meta", queue=queue_rows[0],
                         credentials={"app_secret": "bench-secret", "verify_token": "v"})
    await Account.create(key="bench-twilio", provider="twilio", queue=queue_rows[0],
                         credentials={"auth_token": "bench-token", "account_sid": "AC1"})
    await Account.create(key="bench-sinch", provider="sinch", queue=queue_rows[0],
                         credentials={"webhook_secret": "bench-secret"})
    await Account.create(key="bench-kaleyra", provider="kaleyra", queue=queue_rows[0],
                         credentials={"webhook_secret": "bench-secret"})
    customers = await ContactList.create(name="Customers")  # as in production: new numbers become contacts
    for account in await Account.all():
        await ContactTrigger.create(account=account, list=customers)
    for q in range(queues):
        for a in range(per_queue):
            users.append(User(username=f"q{q}a{a}", password_hash="-", role="agent", state="online", capacity=capacity))
    await User.bulk_create(users, batch_size=500)
    by_name = {u.username: u.id for u in await User.all()}
    for q in range(queues):
        tokens[f"Q{q}"] = []
        for a in range(per_queue):
            name = f"q{q}a{a}"
            token = secrets.token_urlsafe(24)
            tokens[f"Q{q}"].append((name, token))
            sessions.append(AuthSession(token_hash=hashlib.sha256(token.encode()).hexdigest(), user_id=by_name[name]))
            members.append(QueueMember(queue_id=queue_rows[q].id, user_id=by_name[name]))
    await AuthSession.bulk_create(sessions, batch_size=500)
    await QueueMember.bulk_create(members, batch_size=500)
    interactions, messages = [], []
    now = time.time()
    from datetime import datetime, timezone
    created = datetime.fromtimestamp(now, timezone.utc)
    for n in range(open_total):
        q = n % queues
        owner = by_name[f"q{q}a{(n // queues) % per_queue}"]
        phone = f"+39333{n:07d}"
        conversations.append((accounts[q].key, phone))
        interactions.append(Interaction(id=n + 1, account_id=accounts[q].id, queue_id=queue_rows[q].id,
                                        customer_phone=phone, customer_name=f"Customer {n}", owner_id=owner,
                                        first_agent_id=owner, created_at=created, status="open"))
        messages.append(Message(interaction_id=n + 1, direction="in", text="hello", sender=phone,
                                external_key=f"{accounts[q].id}:seed-{n}", created_at=created))
    await Interaction.bulk_create(interactions, batch_size=500)
    await Message.bulk_create(messages, batch_size=500)
    await close_database()
    return {"tokens": tokens, "conversations": conversations}


# --- the load generator (child process) ----------------------------------------------------------
class RawHttp:
    """A small keep-alive HTTP/1.1 client: the load generator must cost less than what it measures."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port, self.size = host, port, size
        self.pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self.size):
            self.pool.put_nowait(await asyncio.open_connection(self.host, self.port))

    async def post(self, path: str, body: dict[str, Any] | None = None, token: str | None = None, *,
                   raw: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        payload = raw if raw is not None else json.dumps(body or {}).encode()
        extra = {"Content-Type": "application/json", **(headers or {})}
        if token:
            extra["Authorization"] = f"Bearer {token}"
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(payload)}\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in extra.items()) + "\r\n")
        reader, writer = await self.pool.get()
        try:
            for attempt in (1, 2):
                try:
                    writer.write(head.encode() + payload)
                    header = await reader.readuntil(b"\r\n\r\n")
                    break
                except (asyncio.IncompleteReadError, ConnectionError):
                    if attempt == 2:
                        raise
                    writer.close()  # the server closed an idle connection: open another
                    reader, writer = await asyncio.open_connection(self.host, self.port)
            lines = header.decode().split("\r\n")
            status = int(lines[0].split()[1])
            length = next(int(v) for k, _, v in (ln.partition(":") for ln in lines[1:]) if k.lower() == "content-length")
            data = await reader.readexactly(length)
        finally:
            self.pool.put_nowait((reader, writer))
        return status, data


async def generate(params: dict[str, Any]) -> dict[str, Any]:
    http = RawHttp("127.0.0.1", params["port"], 64)
    await http.open()
    rng = random.Random(7)
    conversations: list[tuple[str, str]] = [tuple(c) for c in params["conversations"]]
    tokens: dict[str, list[tuple[str, str]]] = params["tokens"]
    new_counter = 0
    result: dict[str, Any] = {}
    accepts: list[tuple[float, int]] = []
    pending: set[asyncio.Task[Any]] = set()

    async def send(account: str, phone: str, sent: list, fresh: bool) -> None:
        mid = secrets.token_hex(8)
        t0 = time.monotonic()
        status, body = await http.post(f"/webhooks/sandbox/{account}", {"id": mid, "from": phone, "text": "hi"})
        t1 = time.monotonic()
        if status != 200:
            sent.append((t0, t1, None, False, status))
            return
        interaction_id = json.loads(body)["interaction_id"]
        sent.append((t0, t1, interaction_id, fresh, status))
        if fresh:
            conversations.append((account, phone))
            await asyncio.sleep(params["accept_after"])
            queue = "Q" + account.removeprefix("bench-q")
            _, token = rng.choice(tokens[queue])
            a0 = time.monotonic()
            status, _ = await http.post(f"/api/v1/interactions/{interaction_id}/accept", token=token)
            accepts.append((time.monotonic() - a0, status))

    async def paced(name: str, rate: float, seconds: float, new_share: float) -> None:
        nonlocal new_counter
        sent: list[tuple[Any, ...]] = []
        start = time.monotonic()
        n = 0
        while (now := time.monotonic()) - start < seconds:
            due = start + n / rate
            if due > now:
                await asyncio.sleep(due - now)
            n += 1
            if rng.random() < new_share:
                new_counter += 1
                q = new_counter % len(tokens)
                account, phone, fresh = f"bench-q{q}", f"+39334{params['seed'] * 1000000 + new_counter:07d}", True
            else:
                account, phone = rng.choice(conversations)
                fresh = False
            task = asyncio.create_task(send(account, phone, sent, fresh))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*list(pending))
        result[name] = {"sent": sent, "seconds": time.monotonic() - start, "accepts": list(accepts)}
        accepts.clear()

    async def flat_out(seconds: float, concurrency: int) -> None:
        done = 0
        stop = time.monotonic() + seconds

        async def worker() -> None:
            nonlocal done
            while time.monotonic() < stop:
                account, phone = rng.choice(conversations)
                status, _ = await http.post(f"/webhooks/sandbox/{account}",
                                            {"id": secrets.token_hex(8), "from": phone, "text": "flat out"})
                done += status == 200

        started, cpu = time.monotonic(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result["max"] = {"acked": done, "seconds": time.monotonic() - started, "client_cpu": time.process_time() - cpu}

    print("load: steady mix", flush=True)
    await paced("steady", params["rate"], params["seconds"], 0.2)
    print("load: burst of new conversations", flush=True)
    await asyncio.sleep(1)
    await paced("burst", params["rate"], params["burst_seconds"], 1.0)
    await asyncio.sleep(1)
    print("load: sustained, flat out", flush=True)
    await flat_out(params["max_seconds"], 48)
    print("load: signed provider formats, flat out", flush=True)
    for provider, build in PROVIDER_REQUESTS.items():
        result[provider] = await _flat_out_signed(http, params, build)
    return result


async def _flat_out_signed(http: RawHttp, params: dict[str, Any], build: Any) -> dict[str, float]:
    """Signed deliveries in the provider's own format, continuing 50 conversations, 48 at a time."""
    done, stop = 0, time.monotonic() + params["max_seconds"]

    async def worker(n: int) -> None:
        nonlocal done
        while time.monotonic() < stop:
            path, raw, headers = build(params["port"], f"+39335{n % 50:07d}")
            status, _ = await http.post(path, raw=raw, headers=headers)
            done += status in (200, 204)

    started = time.monotonic()
    await asyncio.gather(*(worker(n) for n in range(48)))
    return {"acked": done, "seconds": time.monotonic() - started}


def _meta_request(port: int, phone: str) -> tuple[str, bytes, dict[str, str]]:
    raw = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
        "value": {"contacts": [{"profile": {"name": "Bench"}, "wa_id": phone[1:]}], "messages": [
            {"from": phone[1:], "id": f"wamid.{secrets.token_hex(12)}", "timestamp": "1", "type": "text",
             "text": {"body": "signed"}}]}}]}]}).encode()
    sig = "sha256=" + hmac.new(b"bench-secret", raw, hashlib.sha256).hexdigest()
    return "/webhooks/meta/bench-meta", raw, {"X-Hub-Signature-256": sig}


def _twilio_request(port: int, phone: str) -> tuple[str, bytes, dict[str, str]]:
    path = "/webhooks/twilio/bench-twilio"
    fields = {"MessageSid": f"SM{secrets.token_hex(16)}", "From": f"whatsapp:{phone}", "To": "whatsapp:+15550000000",
              "Body": "signed", "NumMedia": "0", "ProfileName": "Bench"}
    sig = signature("bench-token", f"http://127.0.0.1:{port}{path}", fields)
    return path, urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded",
                                              "X-Twilio-Signature": sig}


def _sinch_request(port: int, phone: str) -> tuple[str, bytes, dict[str, str]]:
    raw = json.dumps({"app_id": "app", "accepted_time": "2026-11-25T10:00:00Z", "message": {
        "id": f"01{secrets.token_hex(12)}", "direction": "TO_APP", "contact_name": "Bench",
        "contact_message": {"text_message": {"text": "signed"}},
        "channel_identity": {"channel": "WHATSAPP", "identity": phone[1:], "app_id": "app"}}}).encode()
    nonce, timestamp = secrets.token_hex(8), str(int(time.time()))
    return "/webhooks/sinch/bench-sinch", raw, {
        "Content-Type": "application/json", "x-sinch-webhook-signature-nonce": nonce,
        "x-sinch-webhook-signature-timestamp": timestamp,
        "x-sinch-webhook-signature": sinch_signature("bench-secret", raw, nonce, timestamp)}


def _kaleyra_request(port: int, phone: str) -> tuple[str, bytes, dict[str, str]]:
    raw = json.dumps({"from": phone[1:], "name": "Bench", "type": "text", "body": "with secret",
                      "created_at": str(time.time_ns()), "wanumber": "15550000000"}).encode()
    return "/webhooks/kaleyra/bench-kaleyra", raw, {"Content-Type": "application/json",
                                                     "x-webhook-secret": "bench-secret"}


PROVIDER_REQUESTS = {"meta": _meta_request, "twilio": _twilio_request, "sinch": _sinch_request,
                     "kaleyra": _kaleyra_request}


def child_main(params: dict[str, Any], out: Any) -> None:
    out.send(asyncio.run(generate(params)))


# --- the product, in this process ----------------------------------------------------------------
class OfferClock:
    """When every agent of the queue holds an interaction's offer (monotonic time), from the event hub."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.counts: dict[int, int] = {}
        self.complete: dict[int, float] = {}

    def __call__(self, event: Any) -> None:
        if isinstance(event, OfferShown) and event.kind == "new":
            n = self.counts.get(event.interaction_id, 0) + 1
            self.counts[event.interaction_id] = n
            if n == self.expected:
                self.complete[event.interaction_id] = time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small workspace, short phases")
    parser.add_argument("--only", choices=("steady", "max"), help=argparse.SUPPRESS)  # for profiling one phase
    parser.add_argument("--database-url", default="", help="an EMPTY PostgreSQL database (default: SQLite file)")
    args = parser.parse_args()
    queues, per_queue, open_total = (10, 100, 5000) if not args.quick else (4, 25, 400)
    seconds, burst_seconds, max_seconds = (15, 10, 5) if not args.quick else (3, 2, 2)
    if args.only == "steady":
        burst_seconds = max_seconds = 0.5
    elif args.only == "max":
        seconds = burst_seconds = 0.5
        max_seconds = 10
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    print(f"workspace: {queues} queues x {per_queue} online agents, {open_total} open interactions, "
          f"a contact trigger on every account; cpus={os.cpu_count()}")

    raw = raw_pykka(20_000 if args.quick else 100_000)
    postgres = args.database_url.startswith(("postgres://", "postgresql://"))
    if postgres:
        database_raw = {"FULL": asyncio.run(raw_postgres(args.database_url, 20_000 if args.quick else 50_000))}
    else:
        database_raw = {sync: asyncio.run(raw_sqlite(tmp, 20_000 if args.quick else 50_000, sync))
                        for sync in ("FULL", "NORMAL")}
    driver = "asyncpg" if postgres else "aiosqlite"
    print(f"database: {'PostgreSQL' if postgres else 'SQLite (WAL, synchronous FULL)'}")
    one_row = database_raw["FULL"]["rows_per_s_batch1"]

    settings = Settings(data_dir=tmp / "data", storage_secret="bench", host="127.0.0.1", port=free_port(),
                        database_url=args.database_url)
    settings.data_dir.mkdir(parents=True)
    ws = asyncio.run(build_workspace(settings.resolved_database_url, queues, per_queue, open_total, capacity=30))
    app = create_entry(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=settings.port, log_level="warning",
                                           access_log=False, timeout_keep_alive=120))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    while not getattr(app.state, "ready", False):
        time.sleep(0.05)
    services = app.state.services
    clock = OfferClock(per_queue)
    asyncio.run_coroutine_threadsafe(_subscribe(services.hub, clock), services.system.loop).result(5)
    time.sleep(1)
    idle_threads, idle_rss = threading.active_count(), rss_mb()

    parent, child = mp.Pipe()
    params = {"port": settings.port, "tokens": ws["tokens"], "conversations": ws["conversations"], "rate": 200,
              "seconds": seconds, "burst_seconds": burst_seconds, "max_seconds": max_seconds, "accept_after": 0.1,
              "seed": 1}
    proc = mp.get_context("spawn").Process(target=child_main, args=(params, child))
    proc.start()
    peak_rss, peak_threads = idle_rss, idle_threads
    cpu_marks: list[tuple[float, float]] = []
    while not parent.poll(0.5):
        cpu_marks.append((time.monotonic(), time.process_time()))
        peak_rss, peak_threads = max(peak_rss, rss_mb()), max(peak_threads, threading.active_count())
    result = parent.recv()
    proc.join()
    time.sleep(0.5)
    board = board_cost(services)
    counts = services.system.counts
    server.should_exit = True
    thread.join(15)

    print("\n== raw limits of our parts (same machine, same run) ==")
    print(f"pykka ThreadingActor ask round trip:          {raw['ask_rtt_us']:9.1f} us")
    print(f"pykka ThreadingActor tell chain (2 actors):   {raw['tell_chain_threading']:9.0f} hops/s")
    print(f"our pooled runtime tell chain (2 actors):     {raw['tell_chain_pooled']:9.0f} hops/s")
    for sync, figures in database_raw.items():
        durability = f"sync {sync}" if not postgres else "fsync on"
        for batch in (1, 50):
            label = f"{driver} {batch} row{'s' if batch > 1 else ''}/transaction ({durability}):"
            print(label.ljust(46) + f"{figures[f'rows_per_s_batch{batch}']:9.0f} rows/s")
    for phase in ("steady", "burst"):
        data = result[phase]
        sent = data["sent"]
        ok = [s for s in sent if s[4] == 200]
        fresh = [s for s in ok if s[3]]
        offer = [clock.complete[s[2]] - s[0] for s in fresh if s[2] in clock.complete]
        acks = [s[1] - s[0] for s in ok]
        half = len(fresh) // 2
        first = [clock.complete[s[2]] - s[0] for s in fresh[:half] if s[2] in clock.complete]
        second = [clock.complete[s[2]] - s[0] for s in fresh[half:] if s[2] in clock.complete]
        accept = [a for a, status in data["accepts"] if status == 200]
        print(f"\n== {phase}: offered {len(sent) / data['seconds']:.0f} msg/s for {data['seconds']:.1f} s, "
              f"{len(fresh)} new conversations ==")
        print(f"webhook acknowledged:           {ms(acks)}  errors={len(sent) - len(ok)}")
        print(f"inbound-to-offer (all {per_queue} agents): {ms(offer)}  incomplete={len(fresh) - len(offer)}")
        print(f"  first half p99 {pct(first, 99) * 1000:.1f} ms, second half p99 {pct(second, 99) * 1000:.1f} ms")
        print(f"accept:                         {ms(accept)}  refused={len(data['accepts']) - len(accept)}")
    flat = result["max"]
    print("\n== sustained inbound, 48 concurrent senders ==")
    for provider in PROVIDER_REQUESTS:
        signed = result[provider]
        print(f"signed {provider} format: {signed['acked'] / signed['seconds']:.0f} messages/s acknowledged "
              f"({signed['acked'] / signed['seconds'] / one_row:.1f}x raw 1-row/transaction)")
    window = [m for m in cpu_marks if m[0] >= cpu_marks[-1][0] - flat["seconds"]]
    server_cpu = (window[-1][1] - window[0][1]) / max(1e-9, window[-1][0] - window[0][0]) if len(window) > 1 else 0
    print(f"CPU share: server {server_cpu:.0%} of a core, load generator {flat['client_cpu'] / flat['seconds']:.0%}")
    print(f"acknowledged: {flat['acked'] / flat['seconds']:.0f} messages/s "
          f"({flat['acked'] / flat['seconds'] / one_row:.1f}x raw 1-row/transaction)")
    commits = list(services.writer.commit_seconds)
    print(f"database transactions (writer):     {ms(commits)}  max {max(commits, default=0) * 1000:.0f} ms")
    print(f"\n== supervisor board: {board['agents']} agents, {board['open']} open interactions ==")
    print(f"figures of every queue and agent: {ms(board['times'])}; {board['bytes'] / 1024:.0f} KB as JSON")
    print(f"\nlive actors: {counts}; threads idle {idle_threads}, peak {peak_threads}; "
          f"RSS idle {idle_rss:.0f} MB, peak {peak_rss:.0f} MB; writer batches {services.writer.batches} "
          f"for {services.writer.operations} operations")


async def _subscribe(hub: Any, clock: OfferClock) -> None:
    hub.subscribe("*", clock)


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    main()
