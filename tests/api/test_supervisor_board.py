"""The live queue board over HTTP (SPEC S1) and notes from a watching supervisor to the owner (SPEC S2)."""
from __future__ import annotations

import json
from typing import Any

from tests.api.conftest import AGENTS, QUEUE, Desk, assert_error, eventually, new_phone
from tests.serverproc import Api
from tests.stored import rows


def board(desk: Desk, username: str = "supervisor") -> dict[str, Any]:
    r = desk[username].get("/supervisor/board")
    assert r.status_code == 200, r.text
    return r.json()


def queue_row(desk: Desk, username: str = "supervisor") -> dict[str, Any]:
    return next(q for q in board(desk, username)["queues"] if q["name"] == QUEUE)


def agent_row(desk: Desk, agent: str) -> dict[str, Any]:
    return next(a for a in board(desk)["agents"] if a["username"] == agent)


def test_the_board_shows_the_supervisors_queue_and_its_agents(desk: Desk) -> None:
    snapshot = board(desk)
    assert [q["name"] for q in snapshot["queues"]] == [QUEUE]
    assert {a["username"] for a in snapshot["agents"]} == set(AGENTS)
    row = snapshot["queues"][0]
    assert set(row) >= {"waiting", "longest_wait", "offers_in_flight", "agents", "open", "answered_today",
                        "within_target_share", "target_seconds"}
    assert row["agents"] == {"online": 0, "paused": 0, "full": 0, "offline": 5}
    alice = next(a for a in snapshot["agents"] if a["username"] == "agent1")
    assert alice["full_name"] == "Alice Agent" and alice["state"] == "offline" and alice["queues"] == [QUEUE]


def test_agents_may_not_see_the_board(desk: Desk) -> None:
    assert_error(desk["agent1"].get("/supervisor/board"), 403)


def test_a_supervisor_sees_only_the_queues_they_supervise(desk: Desk) -> None:
    r = desk.admin.post("/admin/users", json={"username": "sup-none", "password": "password1", "role": "supervisor"})
    assert r.status_code == 201, r.text
    other = Api(desk.server.base, "sup-none", password="password1")
    try:
        r = other.get("/supervisor/board")
        assert r.status_code == 200, r.text
        assert r.json()["queues"] == [] and r.json()["agents"] == []

        assert_error(desk.admin.put(f"/admin/queues/{QUEUE}/supervisors", json={"supervisors": ["agent1"]}), 422)
        r = desk.admin.put(f"/admin/queues/{QUEUE}/supervisors", json={"supervisors": ["supervisor", "sup-none"]})
        assert r.status_code == 200 and r.json()["supervisors"] == ["sup-none", "supervisor"], r.text
        assert [q["name"] for q in other.get("/supervisor/board").json()["queues"]] == [QUEUE]
        assert len(other.get("/supervisor/board").json()["agents"]) == len(AGENTS)
        r = desk.admin.put(f"/admin/queues/{QUEUE}/supervisors", json={"supervisors": ["supervisor"]})
        assert r.status_code == 200, r.text
        assert other.get("/supervisor/board").json()["queues"] == []
    finally:
        other.client.close()
    assert [q["name"] for q in board(desk, "admin")["queues"]] == [QUEUE]


def test_offers_accepts_states_and_closes_move_the_figures(desk: Desk) -> None:
    before = queue_row(desk)
    desk.set_state("agent1", "paused", "Lunch")
    row = eventually(lambda: (a := agent_row(desk, "agent1"))["state"] == "paused" and a, what="agent1 paused")
    assert row["reason"] == "Lunch"
    desk.online("agent2")
    interaction_id = desk.inbound(new_phone())
    waiting = eventually(lambda: (q := queue_row(desk))["waiting"] == 1 and q["offers_in_flight"] == 1 and q,
                         what="one waiting, offered once")
    assert waiting["agents"]["online"] == 1 and waiting["agents"]["paused"] == 1
    assert waiting["open"] == before["open"] + 1
    eventually(lambda: agent_row(desk, "agent2")["offers"] == 1, what="agent2 holds the offer")
    eventually(lambda: queue_row(desk)["longest_wait"] > 0, what="the wait ticks")

    desk.accept("agent2", interaction_id)
    answered = eventually(lambda: (q := queue_row(desk))["answered_today"] == before["answered_today"] + 1 and q,
                          what="answered counted")
    assert answered["waiting"] == 0 and answered["offers_in_flight"] == 0 and answered["longest_wait"] == 0
    assert answered["within_target_today"] == before["within_target_today"] + 1
    assert (agent_row(desk, "agent2")["open"], agent_row(desk, "agent2")["offers"]) == (1, 0)  # owned, not offered

    desk.close("agent2", interaction_id)
    eventually(lambda: queue_row(desk)["open"] == before["open"] and agent_row(desk, "agent2")["open"] == 0,
               what="closed: nothing open")


def test_an_agent_at_capacity_shows_full(desk: Desk) -> None:
    desk.online("agent3")
    opened = [desk.open_for("agent3") for _ in range(desk.me("agent3")["capacity"])]
    eventually(lambda: agent_row(desk, "agent3")["state"] == "full", what="agent3 full")
    assert queue_row(desk)["agents"]["full"] == 1
    desk.close("agent3", opened[0])
    eventually(lambda: agent_row(desk, "agent3")["state"] == "online", what="agent3 has room again")


def test_a_renamed_agent_shows_the_new_name(desk: Desk) -> None:
    assert agent_row(desk, "agent4")["full_name"] == "Dmitri Agent"
    try:
        assert desk.admin.patch("/admin/users/agent4", json={"full_name": "Dave Renamed"}).status_code == 200
        assert agent_row(desk, "agent4")["full_name"] == "Dave Renamed"
    finally:
        desk.admin.patch("/admin/users/agent4", json={"full_name": "Dmitri Agent"})


def test_a_supervisor_note_reaches_only_the_owner_and_changes_nothing_else(desk: Desk) -> None:
    desk.online("agent4", "agent5")
    interaction_id = desk.open_for("agent4", text="I need help")
    unread_before = desk.get(interaction_id, "agent4")["unread"]
    r = desk.sup.post(f"/supervisor/interactions/{interaction_id}/notes", json={"text": "Offer the refund"})
    assert r.status_code == 201, r.text
    note = r.json()
    assert note["direction"] == "note" and note["to"] == "agent4" and note["sender"] == "Sam Supervisor (supervisor)"
    owner_sees = desk["agent4"].get(f"/interactions/{interaction_id}/messages").json()["items"]
    assert [m["text"] for m in owner_sees if m["direction"] == "note"] == ["Offer the refund"]
    assert desk.get(interaction_id, "agent4")["unread"] == unread_before + 1  # unread for its owner

    # Transferred on, the next owner does not see what was meant for agent4; supervisors still do.
    r = desk["agent4"].post(f"/interactions/{interaction_id}/transfer", json={"agent": "agent5"})
    assert r.status_code == 200, r.text
    desk["agent5"].wait_for_offer(interaction_id)
    assert desk["agent5"].post(f"/interactions/{interaction_id}/accept").status_code == 200
    shown = desk["agent5"].get(f"/interactions/{interaction_id}/messages").json()["items"]
    assert all(m["direction"] != "note" for m in shown), shown
    sup_sees = desk.sup.get(f"/interactions/{interaction_id}/messages").json()["items"]
    assert [m["text"] for m in sup_sees if m["direction"] == "note"] == ["Offer the refund"]
    desk.close("agent5", interaction_id)


def test_supervisor_notes_are_refused_clearly(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    assert_error(desk["agent1"].post(f"/supervisor/interactions/{interaction_id}/notes", json={"text": "x"}), 403)
    assert_error(desk.sup.post(f"/supervisor/interactions/{interaction_id}/notes", json={"text": "  "}), 422)
    assert_error(desk.sup.post("/supervisor/interactions/999999/notes", json={"text": "x"}), 404)
    desk.close("agent1", interaction_id)
    assert_error(desk.sup.post(f"/supervisor/interactions/{interaction_id}/notes", json={"text": "x"}), 409)


def test_a_supervisor_returns_a_conversation_from_its_agent_to_the_queue(desk: Desk, demo_server) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1", text="Are you still there?")
    desk["agent1"].post(f"/interactions/{interaction_id}/read")
    answered = eventually(lambda: (q := queue_row(desk))["open"] >= 1 and q, what="open")["answered_today"]
    desk.online("agent2")
    r = desk.sup.post(f"/supervisor/interactions/{interaction_id}/return")
    assert r.status_code == 200, r.text
    assert r.json() == {"interaction_id": interaction_id, "queue": QUEUE, "owner": None, "returned_from": "agent1"}
    assert desk.get(interaction_id)["owner"] is None
    assert interaction_id not in desk.me("agent1")["open_interactions"]
    desk["agent2"].wait_for_offer(interaction_id)  # offered as any waiting one (agent1 too: online, with room)
    desk.accept("agent2", interaction_id)
    assert desk.get(interaction_id, "agent2")["unread"] >= 1  # new to its new owner
    assert "returned" in desk.history_kinds(interaction_id)
    assert queue_row(desk)["answered_today"] == answered  # answered once, however often it comes back
    [(who, before, after)] = rows(demo_server, "SELECT username, before, after FROM audit_entries WHERE action = ? "
                                  "AND target = ?", "interaction.return", f"interaction {interaction_id}")
    before, after = (json.loads(v) if isinstance(v, str) else v for v in (before, after))
    assert (who, before["owner"], after["owner"]) == ("supervisor", "agent1", None)
    desk.close("agent2", interaction_id)


def test_returning_a_conversation_is_refused_clearly(desk: Desk, demo_server) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    assert_error(desk["agent1"].post(f"/supervisor/interactions/{interaction_id}/return"), 403)
    assert_error(desk.sup.post("/supervisor/interactions/999999/return"), 404)
    assert desk.get(interaction_id)["owner"] == "agent1"  # nothing changed
    desk.close("agent1", interaction_id)
    assert_error(desk.sup.post(f"/supervisor/interactions/{interaction_id}/return"), 409, "closed")
    desk.offline("agent1")
    waiting = desk.inbound(new_phone())
    assert_error(desk.sup.post(f"/supervisor/interactions/{waiting}/return"), 409, "no_owner")

    # a queue the supervisor does not supervise: refused; an admin may
    other = desk.admin.post("/admin/queues", json={"name": f"Other{waiting}", "members": ["agent3"]}).json()
    account = f"sbx-other-{waiting}"
    assert desk.admin.post("/admin/accounts", json={"key": account, "provider": "sandbox",
                                                    "queue": other["name"]}).status_code == 201
    desk.online("agent3")
    r = desk.admin.inbound(f"m-other-{waiting}", new_phone(), "hello", account=account)
    elsewhere = r.json()["interaction_id"]
    desk.accept("agent3", elsewhere)
    assert_error(desk.sup.post(f"/supervisor/interactions/{elsewhere}/return"), 403)
    assert desk.admin.post(f"/supervisor/interactions/{elsewhere}/return").status_code == 200
    desk.accept("agent3", elsewhere)
    desk.close("agent3", elsewhere)
    desk.offline("agent3")
    desk.online("agent1")
    desk.accept("agent1", waiting)
    desk.close("agent1", waiting)
