"""Transfers over HTTP (SPEC R7, R12): to an agent, to a queue, refused, declined, timed out."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from tortoise import Tortoise

from server.persistence.db import tortoise_config
from server.services.transfer_offers import transfer_details
from tests.api.conftest import QUEUE, Desk, assert_error, at_once, eventually
from tests.serverproc import ServerProcess
from tests.stored import SQLITE_FILE, rows


@pytest.fixture
def owned(desk: Desk) -> Iterator[int]:
    """An interaction owned by agent1, read (unread 0); closed afterwards by whoever owns it then."""
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    assert desk["agent1"].post(f"/interactions/{interaction_id}/read").json()["unread"] == 0
    yield interaction_id
    owner = desk.get(interaction_id)["owner"]
    if desk.get(interaction_id)["status"] == "open":
        desk.close(owner, interaction_id)


def _transfer(desk: Desk, interaction_id: int, by: str = "agent1", **target: object) -> httpx.Response:
    return desk[by].post(f"/interactions/{interaction_id}/transfer", json=target)


def _stored_transfers(server: ServerProcess, interaction_id: int) -> list[tuple[str, str | None]]:
    """(status, note) of every transfer stored for the interaction, oldest first."""
    return [tuple(row) for row in rows(server, "SELECT status, note FROM transfers WHERE interaction_id = ? "
                                               "ORDER BY id", interaction_id)]


def _transfer_details(server: ServerProcess, interaction_id: int) -> dict[str, str | None] | None:
    """What `transfer_details` (the offer card's sender and reason) answers for the interaction, read from the
    server's own database: the REST API does not show it."""
    async def read() -> dict[int, dict[str, str | None]]:
        url = server.database_url or f"sqlite://{server.data_dir / SQLITE_FILE}"
        await Tortoise.init(config=tortoise_config(url))
        try:
            return await transfer_details([interaction_id])
        finally:
            await Tortoise.close_connections()

    return asyncio.run(read()).get(interaction_id)


def test_transfer_to_an_online_agent_changes_the_owner_once_accepted(desk: Desk, owned: int) -> None:
    desk.online("agent2")
    r = _transfer(desk, owned, agent="agent2")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending" and r.json()["targets"] == ["agent2"]
    offer = desk["agent2"].wait_for_offer(owned)
    assert offer["kind"] == "transfer" and offer["queue"] == QUEUE
    # until it is accepted, the owner stays the same and keeps working
    details = desk.get(owned, "agent1")
    assert details["owner"] == "agent1"
    assert details["transfer"]["targets"] == ["agent2"] and "agent2" in details["transfer"]["to"]
    assert desk["agent1"].post(f"/interactions/{owned}/notes", json={"text": "handing over"}).status_code == 201
    assert_error(desk["agent2"].get(f"/interactions/{owned}"), 403)

    r = desk["agent2"].post(f"/interactions/{owned}/accept")
    assert r.status_code == 200, r.text
    assert r.json() == {"interaction_id": owned, "owner": "agent2"}
    details = desk.get(owned, "agent2")
    assert details["owner"] == "agent2" and details["transfer"] is None
    assert details["first_agent"] == "agent1"
    assert eventually(lambda: owned in desk.me("agent2")["open_interactions"])
    assert eventually(lambda: owned not in desk.me("agent1")["open_interactions"])
    assert desk.get(owned, "agent1")["my_part"] == "transferred"  # read only now (test_agent_history.py)
    assert_error(desk["agent1"].post(f"/interactions/{owned}/messages", json={"text": "still mine?"}), 403)
    # the new owner works it
    assert desk["agent2"].post(f"/interactions/{owned}/messages", json={"text": "Hi, I'm Bruno"}).status_code == 201
    kinds = [h["kind"] for h in details["history"]]
    assert kinds.index("accepted") < kinds.index("transfer_requested") < kinds.index("transfer_accepted")
    done = next(h for h in details["history"] if h["kind"] == "transfer_accepted")
    assert done["agents"] == ["agent2"]
    requested = next(h for h in details["history"] if h["kind"] == "transfer_requested")
    assert requested["agents"] == ["agent1", "agent2"]


def test_transfer_to_a_queue_is_offered_to_its_online_agents_first_accept_wins(desk: Desk, owned: int) -> None:
    desk.online("agent2", "agent3", "agent4")
    r = _transfer(desk, owned, queue=QUEUE)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending"
    assert r.json()["targets"] == ["agent2", "agent3", "agent4"]  # not the owner, not offline agent5
    for username in ("agent2", "agent3", "agent4"):
        assert desk[username].wait_for_offer(owned)["kind"] == "transfer"
    desk.no_offer_for("agent1", owned, wait=0.05)
    desk.no_offer_for("agent5", owned, wait=0.05)

    targets = ("agent2", "agent3", "agent4")
    accepts = at_once([lambda u=u: desk[u].post(f"/interactions/{owned}/accept") for u in targets])
    results: dict[str, httpx.Response] = dict(zip(targets, accepts))
    winners = [u for u, resp in results.items() if resp.status_code == 200]
    assert len(winners) == 1, {u: resp.text for u, resp in results.items()}
    winner = winners[0]
    for username, resp in results.items():
        if username != winner:
            assert_error(resp, 409, "taken")
            assert eventually(lambda u=username: owned not in desk.offer_ids(u))
    assert desk.get(owned)["owner"] == winner
    assert eventually(lambda: desk.me(winner)["open_interactions"] == [owned])
    assert eventually(lambda: desk.me("agent1")["open_interactions"] == [])


def test_the_target_agent_may_be_named_by_id(desk: Desk, owned: int) -> None:
    users = desk.admin.get("/admin/users").json()["items"]
    agent2 = next(u["id"] for u in users if u["username"] == "agent2")
    desk.online("agent2")
    r = _transfer(desk, owned, agent=agent2)
    assert r.status_code == 200, r.text
    assert r.json()["targets"] == ["agent2"]
    desk.accept("agent2", owned)
    assert desk.get(owned)["owner"] == "agent2"


def test_transfer_to_an_offline_or_paused_agent_is_refused(desk: Desk, owned: int) -> None:
    assert_error(_transfer(desk, owned, agent="agent2"), 409, "agent_not_online")
    desk.set_state("agent3", "paused", "Meeting")
    assert_error(_transfer(desk, owned, agent="agent3"), 409, "agent_not_online")
    details = desk.get(owned)
    assert details["owner"] == "agent1" and details["transfer"] is None
    assert "transfer_requested" not in [h["kind"] for h in details["history"]]


def test_transfer_input_errors(desk: Desk, owned: int) -> None:
    desk.online("agent2")
    assert_error(_transfer(desk, owned), 422, "invalid")
    assert_error(_transfer(desk, owned, agent="agent2", queue=QUEUE), 422, "invalid")
    assert_error(_transfer(desk, owned, agent="agent1"), 422, "invalid")  # to myself
    assert_error(_transfer(desk, owned, agent="nobody"), 404, "not_found")
    assert_error(_transfer(desk, owned, queue="NoSuchQueue"), 404, "not_found")
    assert_error(desk["agent1"].post(f"/interactions/{owned}/transfer", content=b"nope",
                                     headers={"content-type": "application/json"}), 422, "invalid")
    assert desk.get(owned)["transfer"] is None
    assert desk.offer_ids("agent2") == []


def test_a_second_transfer_while_one_is_pending_is_409(desk: Desk, owned: int) -> None:
    desk.online("agent2", "agent3")
    assert _transfer(desk, owned, agent="agent2").status_code == 200
    assert_error(_transfer(desk, owned, agent="agent3"), 409, "transfer_pending")
    assert_error(_transfer(desk, owned, queue=QUEUE), 409, "transfer_pending")
    desk.no_offer_for("agent3", owned, wait=0.1)
    assert desk.get(owned)["transfer"]["targets"] == ["agent2"]


def test_closing_cancels_a_pending_transfer(desk: Desk, owned: int) -> None:
    desk.online("agent2")
    assert _transfer(desk, owned, agent="agent2").status_code == 200
    desk["agent2"].wait_for_offer(owned)
    desk.close("agent1", owned)
    assert eventually(lambda: owned not in desk.offer_ids("agent2"))
    r = desk["agent2"].post(f"/interactions/{owned}/accept")
    assert r.status_code in (403, 409), r.text
    assert_error(r, r.status_code)
    details = desk.get(owned)
    assert details["owner"] == "agent1" and details["status"] == "closed"


def test_a_declined_transfer_returns_to_the_owner_unread(desk: Desk, owned: int) -> None:
    desk.online("agent2")
    assert _transfer(desk, owned, agent="agent2").status_code == 200
    desk["agent2"].wait_for_offer(owned)
    r = desk["agent2"].post(f"/interactions/{owned}/reject")
    assert r.status_code == 200, r.text
    assert eventually(lambda: desk.get(owned)["transfer"] is None)
    details = desk.get(owned, "agent1")
    assert details["owner"] == "agent1" and details["unread"] >= 1
    kinds = [h["kind"] for h in details["history"]]
    assert kinds[-2:] == ["transfer_rejected", "transfer_failed"]
    assert details["history"][-2]["agents"] == ["agent2"]
    assert eventually(lambda: desk.me("agent1")["unread_total"] >= 1)
    assert desk["agent1"].post(f"/interactions/{owned}/read").json()["unread"] == 0
    assert desk.get(owned)["unread"] == 0


def test_a_queue_with_nobody_else_online_is_refused_before_anything_is_offered(
        desk: Desk, owned: int, demo_server: ServerProcess) -> None:
    desk.set_state("agent2", "paused", "Meeting")  # a member, but not online
    error = assert_error(_transfer(desk, owned, queue=QUEUE, note="for billing"), 409, "nobody_online")
    assert QUEUE in error["message"] and "online" in error["message"]
    details = desk.get(owned)
    assert details["owner"] == "agent1" and details["transfer"] is None and details["unread"] == 0
    assert not [h for h in details["history"] if h["kind"].startswith("transfer")]
    assert _stored_transfers(demo_server, owned) == []
    for username in ("agent1", "agent2"):
        desk.no_offer_for(username, owned, wait=0.1)
    assert desk["agent1"].post(f"/interactions/{owned}/messages", json={"text": "still with me"}).status_code == 201


def test_a_transfer_carries_the_senders_note(desk: Desk, owned: int, demo_server: ServerProcess) -> None:
    desk.online("agent2")
    r = _transfer(desk, owned, agent="agent2", note="  Needs a Spanish speaker \n")
    assert r.status_code == 200, r.text
    assert _stored_transfers(demo_server, owned) == [("pending", "Needs a Spanish speaker")]
    assert _transfer_details(demo_server, owned) == {
        "from": "agent1", "from_name": "Alice Agent", "note": "Needs a Spanish speaker"}
    requested = next(h for h in desk.get(owned)["history"] if h["kind"] == "transfer_requested")
    assert "agent2" in requested["detail"] and "Needs a Spanish speaker" in requested["detail"]
    desk.accept("agent2", owned)
    assert _transfer_details(demo_server, owned) is None  # only a pending transfer has a sender to show


def test_a_transfer_without_a_note_still_tells_who_sent_it(desk: Desk, owned: int, demo_server: ServerProcess) -> None:
    desk.online("agent2", "agent3")
    r = _transfer(desk, owned, queue=QUEUE, note="   ")
    assert r.status_code == 200, r.text
    assert r.json()["targets"] == ["agent2", "agent3"]
    assert _stored_transfers(demo_server, owned) == [("pending", None)]
    assert _transfer_details(demo_server, owned) == {"from": "agent1", "from_name": "Alice Agent", "note": None}
    requested = next(h for h in desk.get(owned)["history"] if h["kind"] == "transfer_requested")
    assert requested["detail"] == f"queue {QUEUE}"


@pytest.mark.parametrize("note", ["a\x00b", "x" * 201, 42, ["why"]], ids=["nul", "201 characters", "number", "list"])
def test_a_nul_or_over_long_note_is_refused_and_changes_nothing(desk: Desk, owned: int, demo_server: ServerProcess,
                                                                 note: object) -> None:
    desk.online("agent2")
    assert_error(_transfer(desk, owned, agent="agent2", note=note), 422, "invalid")
    assert_error(_transfer(desk, owned, queue=QUEUE, note=note), 422, "invalid")
    details = desk.get(owned)
    assert details["owner"] == "agent1" and details["transfer"] is None
    assert "transfer_requested" not in [h["kind"] for h in details["history"]]
    assert _stored_transfers(demo_server, owned) == []
    desk.no_offer_for("agent2", owned, wait=0.1)


def test_the_note_limit_counts_the_trimmed_text(desk: Desk, owned: int, demo_server: ServerProcess) -> None:
    desk.online("agent2")
    r = _transfer(desk, owned, agent="agent2", note=f"  {'x' * 200}  ")
    assert r.status_code == 200, r.text
    assert _stored_transfers(demo_server, owned) == [("pending", "x" * 200)]
    requested = next(h for h in desk.get(owned)["history"] if h["kind"] == "transfer_requested")
    assert requested["detail"].startswith("agent agent2") and len(requested["detail"]) <= 255


def test_transfer_settings_are_enforced(desk: Desk, owned: int) -> None:
    desk.online("agent2")
    try:
        assert desk.admin.put("/admin/settings", json={"transfer": {"enabled": False}}).status_code == 200
        assert_error(_transfer(desk, owned, agent="agent2"), 409, "transfer_disabled")
        assert desk.admin.put("/admin/settings", json={"transfer": {"enabled": True, "to": "queues"}}).status_code == 200
        assert_error(_transfer(desk, owned, agent="agent2"), 409, "transfer_not_allowed")
        assert desk.admin.put("/admin/settings", json={"transfer": {"to": "agents"}}).status_code == 200
        assert_error(_transfer(desk, owned, queue=QUEUE), 409, "transfer_not_allowed")
        desk.no_offer_for("agent2", owned, wait=0.05)
    finally:
        restored = desk.admin.put("/admin/settings", json={"transfer": {"enabled": True, "to": "both"}})
        assert restored.json()["transfer"] == {"enabled": True, "to": "both"}
    assert _transfer(desk, owned, agent="agent2").status_code == 200
    desk.accept("agent2", owned)


def test_a_transfer_nobody_accepts_in_time_returns_to_the_owner_unread(desk: Desk, owned: int) -> None:
    r = desk.admin.put("/admin/settings", json={"agent_timeout": 5})
    assert r.status_code == 200 and r.json()["agent_timeout"] == 5
    try:
        desk.online("agent2")
        started = time.time()
        r = _transfer(desk, owned, agent="agent2")
        assert r.status_code == 200, r.text
        assert r.json()["expires_in"] == 5
        desk["agent2"].wait_for_offer(owned)
        time.sleep(3)
        assert desk.get(owned)["transfer"] is not None  # not before its time
        assert owned in desk.offer_ids("agent2")
        eventually(lambda: desk.get(owned)["transfer"] is None, timeout=6, interval=0.1, what="transfer timed out")
        assert time.time() - started >= 4.5
    finally:
        desk.admin.put("/admin/settings", json={"agent_timeout": 300})
    assert desk.admin.get("/admin/settings").json()["agent_timeout"] == 300
    details = desk.get(owned, "agent1")
    assert details["owner"] == "agent1" and details["unread"] >= 1
    assert eventually(lambda: owned not in desk.offer_ids("agent2"))
    r = desk["agent2"].post(f"/interactions/{owned}/accept")
    assert r.status_code in (403, 409), r.text
    assert desk.get(owned)["owner"] == "agent1"
    assert eventually(lambda: desk.me("agent1")["unread_total"] >= 1)
    listed = desk["agent1"].get("/interactions", params={"unread": "true"}).json()["items"]
    assert owned in [i["id"] for i in listed]
    assert "transfer_timed_out" in [h["kind"] for h in details["history"]]


def test_the_target_going_offline_withdraws_the_transfer_offer(desk: Desk, owned: int) -> None:
    desk.online("agent2")
    assert _transfer(desk, owned, agent="agent2").status_code == 200
    desk["agent2"].wait_for_offer(owned)
    desk.offline("agent2")
    assert owned not in desk.offer_ids("agent2")
    eventually(lambda: desk.get(owned)["transfer"] is None, what="transfer ended")
    details = desk.get(owned, "agent1")
    assert details["owner"] == "agent1" and details["unread"] >= 1
