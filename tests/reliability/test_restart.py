"""SIGKILL during inbound load, then restart on the same SQLite file (SPEC R11)."""
from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest

from tests.postgres import postgres_binaries, postgres_server
from tests.serverproc import Api, ServerProcess

pytestmark = pytest.mark.system  # run by .ci/run after the README suite (see pyproject.toml)


@pytest.fixture(params=["sqlite", "postgres"] if postgres_binaries() else ["sqlite"])
def database_url(request):
    """The embedded SQLite file, and PostgreSQL wherever its binaries are installed (.ci/run installs them)."""
    if request.param == "sqlite":
        yield None
        return
    with postgres_server() as url:
        yield url


def accept_as(agent: Api, interaction_id: int) -> None:
    agent.wait_for_offer(interaction_id)
    r = agent.post(f"/interactions/{interaction_id}/accept")
    assert r.status_code == 200, r.text


def all_pages(api: Api, params: dict) -> list[dict]:
    items, page = [], 1
    while True:
        body = api.get("/interactions", params={**params, "page": page, "page_size": 200}).json()
        items += body["items"]
        if len(items) >= body["total"] or not body["items"]:
            return items
        page += 1


def test_sigkill_during_inbound_load_loses_nothing_acknowledged(tmp_path, database_url):
    server = ServerProcess(tmp_path / "data", database_url=database_url).start()
    base = server.base
    agents = {n: Api(base, f"agent{n}") for n in range(1, 6)}
    supervisor = Api(base, "supervisor")
    for agent in agents.values():
        assert agent.put("/me/state", json={"state": "online"}).status_code == 200

    # Six owned conversations.
    phones = [f"+3933370{n:05d}" for n in range(6)]
    owned: dict[int, str] = {}
    for n, phone in enumerate(phones):
        r = agents[1].inbound(f"seed-{n}", phone, f"first {n}", name=f"Customer {n}")
        assert r.status_code == 200
        interaction_id = r.json()["interaction_id"]
        owner = [1, 1, 2, 2, 3, 4][n]
        accept_as(agents[owner], interaction_id)
        owned[interaction_id] = f"agent{owner}"
    c0, c1 = list(owned)[:2]
    assert agents[1].post(f"/interactions/{c0}/read").json()["unread"] == 0
    for k in range(2):
        assert agents[1].inbound(f"after-read-{k}", phones[0], f"more {k}").status_code == 200
    transfer = agents[1].post(f"/interactions/{c1}/transfer", json={"agent": "agent2"})
    assert transfer.status_code == 200 and transfer.json()["status"] == "pending", transfer.text
    for agent in agents.values():
        assert agent.put("/me/state", json={"state": "paused", "reason": "restart test"}).status_code == 200

    waiting_phones = [f"+3933371{n:05d}" for n in range(3)]
    waiting_ids = [agents[1].inbound(f"wait-{n}", p, "waiting").json()["interaction_id"]
                   for n, p in enumerate(waiting_phones)]
    unread_before = {i: supervisor.get(f"/interactions/{i}").json()["unread"] for i in owned}
    assert unread_before[c0] == 2

    # Inbound load from several threads; the server is killed in the middle of it.
    acked: list[tuple[int, str]] = []
    in_flight: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    conversations = phones + waiting_phones

    def load(worker: int) -> None:
        client = httpx.Client(timeout=5)
        n = 0
        while not stop.is_set():
            n += 1
            phone = conversations[n % len(conversations)] if n % 3 else f"+39333{worker}{n:06d}"
            text = f"load-{worker}-{n}-{uuid.uuid4().hex[:6]}"
            with lock:
                in_flight.append(text)
            try:
                r = client.post(f"{base}/webhooks/sandbox/sandbox", json={"id": text, "from": phone, "text": text})
            except httpx.HTTPError:
                return
            with lock:
                in_flight.remove(text)
                if r.status_code == 200:
                    acked.append((r.json()["interaction_id"], text))

    threads = [threading.Thread(target=load, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(10)
    assert len(acked) > 50, "the load did not get going before the kill"

    server = ServerProcess(tmp_path / "data", port=server.port, database_url=database_url).start()
    try:
        supervisor = Api(base, "supervisor")
        # Every acknowledged message is there.
        texts_by_interaction: dict[int, set[str]] = {}
        for interaction_id, text in acked:
            if interaction_id not in texts_by_interaction:
                items = supervisor.get(f"/interactions/{interaction_id}/messages", params={"limit": 500}).json()["items"]
                texts_by_interaction[interaction_id] = {m["text"] for m in items}
            assert text in texts_by_interaction[interaction_id], f"acknowledged {text} lost"

        # Owners are as they were; the agents' old sessions still work.
        for interaction_id, owner in owned.items():
            assert supervisor.get(f"/interactions/{interaction_id}").json()["owner"] == owner
        assert agents[1].get("/me").json()["state"] == "paused"

        # Unread counts: what was there, plus what was acknowledged since (at most plus what was in flight).
        acked_per = {i: sum(1 for j, _ in acked if j == i) for i in owned}
        for interaction_id in owned:
            unread = supervisor.get(f"/interactions/{interaction_id}").json()["unread"]
            low = unread_before[interaction_id] + acked_per[interaction_id]
            assert low <= unread <= low + len(in_flight), (interaction_id, unread, low)
        me1 = agents[1].get("/me").json()
        assert me1["unread_total"] == sum(supervisor.get(f"/interactions/{i}").json()["unread"]
                                          for i, o in owned.items() if o == "agent1")

        # Waiting order: the oldest waiters are offered first when an agent comes online.
        open_items = all_pages(supervisor, {"status": "open"})
        unowned = sorted(i["id"] for i in open_items if i["owner"] is None)
        assert unowned[:3] == waiting_ids
        queue = next(q for q in supervisor.get("/queues").json()["items"] if q["name"] == "WhatsAppConn1")
        assert queue["waiting"] == len(unowned) == len(open_items) - len(owned)

        # The supervisor board is rebuilt too (SPEC S1): today's answers, open and waiting interactions with
        # the longest wait counted from the oldest's arrival, the agents' states and what they hold.
        board = supervisor.get("/supervisor/board").json()
        [row] = board["queues"]
        assert (row["answered_today"], row["open"], row["waiting"]) == (len(owned), len(open_items), len(unowned))
        assert row["longest_wait"] >= 1.5  # the first waiter arrived before the 1.5 s of load
        holding = {a["username"]: (a["state"], a["reason"], a["open"]) for a in board["agents"]}
        assert holding["agent1"] == ("paused", "restart test", 2) and holding["agent4"][2] == 1
        assert agents[5].put("/me/state", json={"state": "online"}).status_code == 200
        deadline = time.time() + 5
        offered: list[int] = []
        while time.time() < deadline and len(offered) < 5:
            offered = sorted(o["interaction_id"] for o in agents[5].get("/offers").json()["items"] if o["kind"] == "new")
            time.sleep(0.05)
        assert offered == unowned[:5]

        # The pending transfer survived, with what is left of its time, and can be accepted.
        transfer_offer = agents[2].wait_for_offer(c1)
        assert transfer_offer["kind"] == "transfer" and 0 < transfer_offer["expires_in"] <= 300
        assert agents[2].post(f"/interactions/{c1}/accept").status_code == 200
        assert supervisor.get(f"/interactions/{c1}").json()["owner"] == "agent2"
        history = [h["kind"] for h in supervisor.get(f"/interactions/{c1}").json()["history"]]
        assert history[:1] == ["queued"] and "accepted" in history and history[-1] == "transfer_accepted"
    finally:
        server.stop()
