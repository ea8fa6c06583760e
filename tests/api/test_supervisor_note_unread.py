"""A supervisor's note for the owning agent is unread for them as a customer's message is (SPEC R8, S2).

It counts in the interaction's `unread`, the list's unread filter and the agent's `unread_total`, for its
recipient only; reading clears it; an agent's own note counts for nobody."""
from __future__ import annotations

from tests.api.conftest import Desk, eventually, new_phone


def unread(desk: Desk, username: str, interaction_id: int) -> int:
    return desk.get(interaction_id, username)["unread"]


def listed_unread(desk: Desk, username: str) -> list[int]:
    r = desk[username].get("/interactions", params={"unread": "true", "status": "open"})
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


def note(desk: Desk, interaction_id: int, text: str) -> None:
    r = desk.sup.post(f"/supervisor/interactions/{interaction_id}/notes", json={"text": text})
    assert r.status_code == 201, r.text


def test_a_supervisors_note_is_unread_for_its_owner_until_read(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1", text="Where is my parcel?")
    assert desk["agent1"].post(f"/interactions/{interaction_id}/read").json()["unread"] == 0
    assert interaction_id not in listed_unread(desk, "agent1")

    note(desk, interaction_id, "Offer the refund")
    assert unread(desk, "agent1", interaction_id) == 1
    assert interaction_id in listed_unread(desk, "agent1")
    eventually(lambda: desk.me("agent1")["unread_total"] == 1, what="agent1's total counts the note")
    [shown] = [m for m in desk["agent1"].get(f"/interactions/{interaction_id}/messages").json()["items"]
               if m["direction"] == "note"]
    assert shown["to"] == "agent1" and shown["sender"].endswith("(supervisor)")

    r = desk["agent1"].post(f"/interactions/{interaction_id}/read")
    assert r.status_code == 200 and r.json()["unread"] == 0, r.text
    assert unread(desk, "agent1", interaction_id) == 0
    assert interaction_id not in listed_unread(desk, "agent1")
    eventually(lambda: desk.me("agent1")["unread_total"] == 0, what="reading clears the note")
    desk.close("agent1", interaction_id)


def test_a_note_and_a_customers_message_add_up(desk: Desk) -> None:
    desk.online("agent2")
    phone = new_phone()
    interaction_id = desk.open_for("agent2", phone=phone)
    desk["agent2"].post(f"/interactions/{interaction_id}/read")
    note(desk, interaction_id, "Check the order first")
    assert desk.inbound(phone, "Any news?") == interaction_id
    eventually(lambda: unread(desk, "agent2", interaction_id) == 2, what="the note and the message")
    eventually(lambda: desk.me("agent2")["unread_total"] == 2, what="agent2's total")
    desk.close("agent2", interaction_id)


def test_an_agents_own_note_is_not_unread(desk: Desk) -> None:
    desk.online("agent3")
    interaction_id = desk.open_for("agent3")
    desk["agent3"].post(f"/interactions/{interaction_id}/read")
    r = desk["agent3"].post(f"/interactions/{interaction_id}/notes", json={"text": "Called back"})
    assert r.status_code == 201, r.text
    assert unread(desk, "agent3", interaction_id) == 0
    assert desk.me("agent3")["unread_total"] == 0
    desk.close("agent3", interaction_id)


def test_a_note_counts_for_its_recipient_only(desk: Desk) -> None:
    desk.online("agent4", "agent5")
    interaction_id = desk.open_for("agent4")
    desk["agent4"].post(f"/interactions/{interaction_id}/read")
    note(desk, interaction_id, "For agent4")
    assert unread(desk, "agent4", interaction_id) == 1
    r = desk["agent4"].post(f"/interactions/{interaction_id}/transfer", json={"agent": "agent5"})
    assert r.status_code == 200, r.text
    desk["agent5"].wait_for_offer(interaction_id)
    assert desk["agent5"].post(f"/interactions/{interaction_id}/accept").status_code == 200
    assert unread(desk, "agent5", interaction_id) == 0
    assert interaction_id not in listed_unread(desk, "agent5")
    eventually(lambda: desk.me("agent5")["unread_total"] == 0, what="agent5 has nothing unread")
    eventually(lambda: desk.me("agent4")["unread_total"] == 0, what="agent4 no longer holds it")
    desk.close("agent5", interaction_id)
