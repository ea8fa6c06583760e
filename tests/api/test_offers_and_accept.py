"""Offers, accept and reject over HTTP: ring-all, reject, paused/offline agents, the race, capacity
(SPEC R1-R4, R6, R10, R12)."""
from __future__ import annotations

import httpx

from tests.api.conftest import AGENTS, CAPACITY, QUEUE, Desk, assert_error, at_once, eventually, new_phone


def test_ring_all_offers_a_new_conversation_to_every_online_agent(desk: Desk) -> None:
    desk.online("agent1", "agent2", "agent3")
    phone = new_phone()
    interaction_id = desk.inbound(phone, "I need help", name="Giulia Rossi")
    for username in ("agent1", "agent2", "agent3"):
        offer = desk[username].wait_for_offer(interaction_id)
        assert offer["kind"] == "new" and offer["queue"] == QUEUE
        assert offer["contact"]["phone"] == phone and offer["contact"]["name"] == "Giulia Rossi"
        assert 0 < offer["expires_in"] <= 30
    for username in ("agent4", "agent5"):  # offline
        desk.no_offer_for(username, interaction_id, wait=0.1)
    offered = [h for h in desk.get(interaction_id)["history"] if h["kind"] == "offered"]
    assert sorted(a for h in offered for a in h["agents"]) == ["agent1", "agent2", "agent3"]

    desk.accept("agent2", interaction_id)
    for username in ("agent1", "agent3"):  # told at once that it was taken
        assert eventually(lambda u=username: interaction_id not in desk.offer_ids(u))
    details = desk.get(interaction_id)
    assert details["owner"] == "agent2" and details["first_agent"] == "agent2" and details["accepted_at"]
    assert [h["kind"] for h in details["history"]][:1] == ["queued"]
    assert {"queued", "offered", "accepted"} <= {h["kind"] for h in details["history"]}
    accepted = [h for h in details["history"] if h["kind"] == "accepted"]
    assert [h["agents"] for h in accepted] == [["agent2"]]
    me = desk.me("agent2")
    assert me["open_interactions"] == [interaction_id]
    desk.close("agent2", interaction_id)


def test_a_late_accept_is_409_taken_naming_the_winner(desk: Desk) -> None:
    desk.online("agent1", "agent2")
    interaction_id = desk.inbound(new_phone())
    desk["agent2"].wait_for_offer(interaction_id)
    desk.accept("agent1", interaction_id)
    error = assert_error(desk["agent2"].post(f"/interactions/{interaction_id}/accept"), 409, "taken")
    assert "agent1" in error["message"]
    assert_error(desk["agent2"].post(f"/interactions/{interaction_id}/reject"), 409, "taken")
    # the winner accepting again does not change anything either
    assert_error(desk["agent1"].post(f"/interactions/{interaction_id}/accept"), 409, "already_owner")
    assert desk.get(interaction_id)["owner"] == "agent1"
    desk.close("agent1", interaction_id)


def test_reject_drops_the_offer_for_that_agent_only(desk: Desk) -> None:
    desk.online("agent1", "agent2", "agent3")
    interaction_id = desk.inbound(new_phone())
    for username in ("agent1", "agent2", "agent3"):
        desk[username].wait_for_offer(interaction_id)
    r = desk["agent1"].post(f"/interactions/{interaction_id}/reject")
    assert r.status_code == 200, r.text
    assert r.json() == {"interaction_id": interaction_id, "rejected": True}
    assert interaction_id not in desk.offer_ids("agent1")
    desk.no_offer_for("agent1", interaction_id, wait=0.3)
    assert interaction_id in desk.offer_ids("agent2") and interaction_id in desk.offer_ids("agent3")
    # the rejecter can neither accept nor reject it again
    assert_error(desk["agent1"].post(f"/interactions/{interaction_id}/accept"), 409, "offer_gone")
    assert_error(desk["agent1"].post(f"/interactions/{interaction_id}/reject"), 409, "offer_gone")
    rejected = [h for h in desk.get(interaction_id)["history"] if h["kind"] == "rejected"]
    assert [h["agents"] for h in rejected] == [["agent1"]]
    desk.accept("agent3", interaction_id)
    desk.close("agent3", interaction_id)


def test_rejected_by_everyone_it_waits_for_the_next_agent_to_come_online(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.inbound(new_phone())
    desk["agent1"].wait_for_offer(interaction_id)
    assert desk["agent1"].post(f"/interactions/{interaction_id}/reject").status_code == 200
    assert desk.waiting() == 1
    desk.online("agent4")
    desk.accept("agent4", interaction_id)
    assert desk.waiting() == 0
    desk.close("agent4", interaction_id)


def test_paused_and_offline_agents_get_no_offers(desk: Desk) -> None:
    desk.set_state("agent1", "paused", "Training")
    desk.online("agent2")
    interaction_id = desk.inbound(new_phone())
    desk["agent2"].wait_for_offer(interaction_id)
    desk.no_offer_for("agent1", interaction_id)
    desk.no_offer_for("agent3", interaction_id, wait=0.05)  # offline
    assert_error(desk["agent1"].post(f"/interactions/{interaction_id}/accept"), 403, "no_offer")
    # back online, the paused agent is offered what is still waiting
    desk.online("agent1")
    desk.accept("agent1", interaction_id)
    assert eventually(lambda: interaction_id not in desk.offer_ids("agent2"))
    desk.close("agent1", interaction_id)


def test_going_offline_withdraws_offers(desk: Desk) -> None:
    desk.online("agent1", "agent2")
    interaction_id = desk.inbound(new_phone())
    desk["agent1"].wait_for_offer(interaction_id)
    desk["agent2"].wait_for_offer(interaction_id)
    desk.offline("agent1")
    assert interaction_id not in desk.offer_ids("agent1")
    assert_error(desk["agent1"].post(f"/interactions/{interaction_id}/accept"), 409, "offer_gone")
    assert interaction_id in desk.offer_ids("agent2")
    desk.offline("agent2")  # nobody left: it waits, offered to no one
    assert desk.offer_ids("agent2") == []
    queue = desk.sup.get("/queues").json()["items"][0]
    assert queue["waiting"] == 1
    assert eventually(lambda: desk.sup.get("/queues").json()["items"][0]["offers_in_flight"] == 0)
    desk.online("agent2")
    desk.accept("agent2", interaction_id)
    desk.close("agent2", interaction_id)


def test_pausing_keeps_the_offers_already_shown(desk: Desk) -> None:
    """SPEC R6 withdraws offers only on going offline: a paused agent gets no new offers but keeps what it
    was shown, and /offers never lists an offer that cannot be accepted."""
    desk.online("agent1", "agent2")
    shown = desk.inbound(new_phone())
    desk["agent1"].wait_for_offer(shown)
    desk["agent2"].wait_for_offer(shown)
    desk.set_state("agent1", "paused", "Coffee")
    later = desk.inbound(new_phone())
    desk["agent2"].wait_for_offer(later)
    desk.no_offer_for("agent1", later)
    try:
        assert shown in desk.offer_ids("agent1"), "pausing withdrew the offer"
        r = desk["agent1"].post(f"/interactions/{shown}/accept")
        assert r.status_code == 200, r.text
        assert eventually(lambda: shown not in desk.offer_ids("agent2"))
    finally:
        for interaction_id in (shown, later):
            owner = desk.get(interaction_id)["owner"]
            if owner is None:
                desk.accept("agent2", interaction_id)
            desk.close(owner or "agent2", interaction_id)


def test_the_acceptance_race_has_exactly_one_winner(desk: Desk) -> None:
    desk.online(*AGENTS)
    for _ in range(4):
        interaction_id = desk.inbound(new_phone(), "who is first?")
        for username in AGENTS:
            desk[username].wait_for_offer(interaction_id)
        accepts = at_once([lambda api=desk[u], iid=interaction_id: api.post(f"/interactions/{iid}/accept")
                           for u in AGENTS])
        results: dict[str, httpx.Response] = dict(zip(AGENTS, accepts))
        winners = [u for u, r in results.items() if r.status_code == 200]
        assert len(results) == len(AGENTS)
        assert len(winners) == 1, {u: r.text for u, r in results.items()}
        winner = winners[0]
        assert results[winner].json() == {"interaction_id": interaction_id, "owner": winner}
        for username, r in results.items():
            if username != winner:
                error = assert_error(r, 409, "taken")
                assert winner in error["message"]
        details = desk.get(interaction_id)
        assert details["owner"] == winner
        assert [h["agents"] for h in details["history"] if h["kind"] == "accepted"] == [[winner]]
        for username in AGENTS:
            expected = [interaction_id] if username == winner else []
            assert eventually(lambda u=username, e=expected: desk.me(u)["open_interactions"] == e)
            assert interaction_id not in desk.offer_ids(username)
        desk.close(winner, interaction_id)


def test_the_tab_limit_holds_for_two_accepts_at_once(desk: Desk) -> None:
    """The admin's tab limit (SPEC D4) is checked by the desk as it accepts: with room for one more
    conversation, two accepts sent at once open exactly one; the other is refused and changes nothing."""
    assert desk.admin.put("/admin/settings", json={"max_tabs": 2}).status_code == 200
    try:
        desk.online("agent1")
        first = desk.open_for("agent1")
        offered = [desk.inbound(new_phone(), "me next?") for _ in range(2)]
        for interaction_id in offered:
            desk["agent1"].wait_for_offer(interaction_id)
        accepts = at_once([lambda i=i: desk["agent1"].post(f"/interactions/{i}/accept") for i in offered])
        results: dict[int, httpx.Response] = dict(zip(offered, accepts))
        won = [i for i, r in results.items() if r.status_code == 200]
        assert len(won) == 1, {i: r.text for i, r in results.items()}
        [refused] = [i for i in offered if i not in won]
        error = assert_error(results[refused], 409, "tab_limit")
        assert "(2)" in error["message"]
        assert sorted(desk.me("agent1")["open_interactions"]) == sorted([first, *won])
        assert desk.get(refused)["owner"] is None
        desk.close("agent1", won[0])  # room again: the refused one may be accepted now
        desk.accept("agent1", refused)
        for interaction_id in (first, refused):
            desk.close("agent1", interaction_id)
    finally:
        assert desk.admin.put("/admin/settings", json={"max_tabs": 20}).status_code == 200


def test_capacity_reached_means_no_new_offer_until_a_close(desk: Desk) -> None:
    desk.online("agent1")
    owned = [desk.open_for("agent1") for _ in range(CAPACITY)]
    assert sorted(desk.me("agent1")["open_interactions"]) == sorted(owned)
    extra = desk.inbound(new_phone(), "am I next?")
    desk.no_offer_for("agent1", extra, wait=0.5)
    assert desk.waiting() == 1
    # a new agent coming online takes nothing away from this; closing one frees a slot
    desk.close("agent1", owned[0])
    desk.accept("agent1", extra)
    assert sorted(desk.me("agent1")["open_interactions"]) == sorted([*owned[1:], extra])
    for interaction_id in [*owned[1:], extra]:
        desk.close("agent1", interaction_id)
    assert desk.me("agent1")["open_interactions"] == []


def test_offers_are_limited_to_the_free_capacity_oldest_first(desk: Desk) -> None:
    """With 4 slots taken and 2 conversations waiting, only the older one is offered (SPEC R1)."""
    desk.online("agent1")
    owned = [desk.open_for("agent1") for _ in range(CAPACITY - 1)]
    desk.offline("agent1")
    older = desk.inbound(new_phone(), "first")
    newer = desk.inbound(new_phone(), "second")
    desk.online("agent1")
    desk["agent1"].wait_for_offer(older)
    desk.no_offer_for("agent1", newer)
    desk.accept("agent1", older)
    desk.close("agent1", owned[0])
    desk.accept("agent1", newer)
    for interaction_id in [*owned[1:], older, newer]:
        desk.close("agent1", interaction_id)


def test_accept_and_reject_errors(desk: Desk) -> None:
    assert_error(desk["agent1"].post("/interactions/999999/accept"), 404, "not_found")
    assert_error(desk["agent1"].post("/interactions/999999/reject"), 404, "not_found")
    assert_error(desk["agent1"].post("/interactions/abc/accept"), 422, "invalid")
    # an interaction that exists but was never offered to me
    interaction_id = desk.inbound(new_phone())
    assert_error(desk["agent1"].post(f"/interactions/{interaction_id}/accept"), 403, "no_offer")
    assert_error(desk["agent1"].post(f"/interactions/{interaction_id}/reject"), 403, "no_offer")
    # users without a desk
    assert_error(desk.sup.post(f"/interactions/{interaction_id}/accept"), 403)
    assert_error(desk.admin.post(f"/interactions/{interaction_id}/reject"), 403)
    desk.online("agent5")
    desk.accept("agent5", interaction_id)
    desk.close("agent5", interaction_id)


def test_accepting_and_closing_at_once_leaks_no_capacity(desk: Desk) -> None:
    """Accept, then close immediately, many times: the desk ends with nothing open and full capacity."""
    desk.online("agent1", "agent2")
    for _ in range(15):
        interaction_id = desk.inbound(new_phone())
        desk["agent1"].wait_for_offer(interaction_id)
        assert desk["agent1"].post(f"/interactions/{interaction_id}/accept").status_code == 200
        assert desk["agent1"].post(f"/interactions/{interaction_id}/close", json={}).status_code == 200
    assert eventually(lambda: desk.me("agent1")["open_interactions"] == [])
    owned = [desk.open_for("agent1") for _ in range(CAPACITY)]
    for interaction_id in owned:
        desk.close("agent1", interaction_id)
