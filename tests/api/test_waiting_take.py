"""The waiting list over HTTP (SPEC R3, D2): what nobody took stays in view of the queue's agents, who may take
it at once, the first to take or accept winning; the re-offer delay stays for automatic offers."""
from __future__ import annotations

import threading

import httpx

from tests.api.conftest import AGENTS, QUEUE, Desk, assert_error, eventually, new_phone
from tests.serverproc import Api


def waiting(api: Api) -> list[dict]:
    r = api.get("/waiting")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_a_rejected_conversation_is_listed_and_taken_at_once_by_whoever_rejected_it(desk: Desk) -> None:
    desk.online("agent1", "agent2")
    phone = new_phone()
    interaction_id = desk.inbound(phone, "anyone there?", name="Nora Vitale")
    for username in ("agent1", "agent2"):
        desk[username].wait_for_offer(interaction_id)
        assert desk[username].post(f"/interactions/{interaction_id}/reject").status_code == 200
    [item] = waiting(desk["agent1"])
    assert item["interaction_id"] == interaction_id and item["queue"] == QUEUE
    assert item["contact"]["name"] == "Nora Vitale" and item["contact"]["phone"] == phone
    assert item["offered_to_me"] is False and item["waited_seconds"] >= 0 and item["waiting_since"]
    desk.no_offer_for("agent1", interaction_id, wait=0.2)  # the re-offer delay holds for offers

    r = desk["agent1"].post(f"/interactions/{interaction_id}/take")
    assert r.status_code == 200, r.text
    assert r.json() == {"interaction_id": interaction_id, "owner": "agent1"}
    error = assert_error(desk["agent2"].post(f"/interactions/{interaction_id}/take"), 409, "taken")
    assert "agent1" in error["message"]
    assert eventually(lambda: desk.me("agent1")["open_interactions"] == [interaction_id])
    assert waiting(desk["agent2"]) == [] and desk.waiting() == 0
    details = desk.get(interaction_id)
    assert details["owner"] == "agent1"
    assert [h["agents"] for h in details["history"] if h["kind"] == "accepted"] == [["agent1"]]
    desk.close("agent1", interaction_id)


def test_taking_what_others_are_offered_withdraws_their_offers(desk: Desk) -> None:
    desk.online("agent1", "agent2", "agent3")
    interaction_id = desk.inbound(new_phone())
    for username in ("agent2", "agent3"):
        desk[username].wait_for_offer(interaction_id)
    assert desk["agent1"].post(f"/interactions/{interaction_id}/reject").status_code == 200
    listed = {i["interaction_id"]: i for i in waiting(desk["agent2"])}
    assert listed[interaction_id]["offered_to_me"] is True
    assert desk["agent1"].post(f"/interactions/{interaction_id}/take").status_code == 200
    for username in ("agent2", "agent3"):
        assert eventually(lambda u=username: interaction_id not in desk.offer_ids(u))
        error = assert_error(desk[username].post(f"/interactions/{interaction_id}/accept"), 409, "taken")
        assert "agent1" in error["message"]
    desk.close("agent1", interaction_id)


def test_take_and_accept_race_with_exactly_one_winner(desk: Desk) -> None:
    """Five agents at once, some accepting their offer and some taking from the list, on real threads."""
    desk.online(*AGENTS)
    for round_ in range(3):
        interaction_id = desk.inbound(new_phone(), "who is first?")
        for username in AGENTS:
            desk[username].wait_for_offer(interaction_id)
        barrier = threading.Barrier(len(AGENTS))
        results: dict[str, httpx.Response] = {}

        def claim(index: int, username: str, iid: int = interaction_id, r: int = round_) -> None:
            action = "take" if (index + r) % 2 else "accept"
            barrier.wait()
            results[username] = desk[username].post(f"/interactions/{iid}/{action}")

        threads = [threading.Thread(target=claim, args=(i, u)) for i, u in enumerate(AGENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert len(results) == len(AGENTS)
        winners = [u for u, r in results.items() if r.status_code == 200]
        assert len(winners) == 1, {u: r.text for u, r in results.items()}
        for username, r in results.items():
            if username != winners[0]:
                assert winners[0] in assert_error(r, 409, "taken")["message"]
        assert desk.get(interaction_id)["owner"] == winners[0]
        for username in AGENTS:
            expected = [interaction_id] if username == winners[0] else []
            assert eventually(lambda u=username, e=expected: desk.me(u)["open_interactions"] == e)
        desk.close(winners[0], interaction_id)


def test_who_may_take_what(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.inbound(new_phone())
    desk["agent1"].wait_for_offer(interaction_id)
    assert_error(desk["agent2"].post(f"/interactions/{interaction_id}/take"), 409, "offline")
    assert_error(desk.sup.post(f"/interactions/{interaction_id}/take"), 403, "no_desk")
    assert desk.sup.get("/waiting").json() == {"items": [], "total": 0}
    assert_error(desk["agent1"].post("/interactions/999999999/take"), 404)
    assert desk["agent1"].post(f"/interactions/{interaction_id}/take").status_code == 200
    assert_error(desk["agent1"].post(f"/interactions/{interaction_id}/take"), 409, "taken")
    desk.close("agent1", interaction_id)
    assert_error(desk["agent1"].post(f"/interactions/{interaction_id}/take"), 409, "closed")


def test_a_masked_agent_sees_the_waiting_customer_masked(desk: Desk) -> None:
    assert desk.admin.put("/admin/settings", json={"masking": {"phone": "partial", "name": "full"}}).status_code == 200
    try:
        desk.online("agent1")
        phone = new_phone()
        interaction_id = desk.inbound(phone, "private", name="Rosa Bianca")
        desk["agent1"].wait_for_offer(interaction_id)
        [item] = waiting(desk["agent1"])
        assert item["contact"]["phone"] == phone[:4] + "•••" + phone[-2:] and item["contact"]["name"] == "•••"
        assert phone not in str(desk["agent1"].get("/waiting").json())
        desk.accept("agent1", interaction_id)
        desk.close("agent1", interaction_id)
    finally:
        desk.admin.put("/admin/settings", json={"masking": {"phone": "none", "email": "none", "name": "none"}})


def test_the_list_shows_the_longest_waiting_fifty_and_counts_them_all(desk: Desk) -> None:
    desk.set_state("agent1", "paused", "Break")  # no offers, and may still take
    ids = [desk.inbound(new_phone(), f"number {n}") for n in range(52)]
    r = desk["agent1"].get("/waiting")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 52 and [i["interaction_id"] for i in body["items"]] == ids[:50]
    for interaction_id in ids:  # leave nothing waiting
        assert desk["agent1"].post(f"/interactions/{interaction_id}/take").status_code == 200
        desk.close("agent1", interaction_id)
