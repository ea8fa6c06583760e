"""An agent's list holds every conversation they took part in, with their part (SPEC L1): owned, transferred
away, returned to the queue. One no longer theirs is history: they may read it, not work it."""
from __future__ import annotations

from typing import Any

from tests.api.conftest import Desk, assert_error


def listed(desk: Desk, username: str) -> dict[int, Any]:
    r = desk[username].get("/interactions", params={"page_size": 100})
    assert r.status_code == 200, r.text
    return {item["id"]: item["my_part"] for item in r.json()["items"]}


def transferred(desk: Desk, source: str, target: str) -> int:
    desk.online(source, target)
    interaction_id = desk.open_for(source)
    r = desk[source].post(f"/interactions/{interaction_id}/transfer", json={"agent": target})
    assert r.status_code == 200, r.text
    desk[target].wait_for_offer(interaction_id)
    assert desk[target].post(f"/interactions/{interaction_id}/accept").status_code == 200
    return interaction_id


def test_a_conversation_transferred_away_stays_in_the_senders_list(desk: Desk) -> None:
    interaction_id = transferred(desk, "agent1", "agent2")
    assert listed(desk, "agent1")[interaction_id] == "transferred"
    assert listed(desk, "agent2")[interaction_id] == "owner"
    assert interaction_id not in listed(desk, "agent3")
    assert listed(desk, "supervisor")[interaction_id] is None  # supervisors see all, taking no part
    desk.close("agent2", interaction_id)
    assert listed(desk, "agent1")[interaction_id] == "transferred"
    assert listed(desk, "agent2")[interaction_id] == "owner"


def test_the_previous_agent_reads_the_history_but_cannot_work_it(desk: Desk) -> None:
    interaction_id = transferred(desk, "agent1", "agent2")
    base = f"/interactions/{interaction_id}"
    view = desk.get(interaction_id, "agent1")
    assert view["my_part"] == "transferred" and view["owner"] == "agent2"
    r = desk["agent1"].get(f"{base}/messages")
    assert r.status_code == 200 and [m["text"] for m in r.json()["items"]][0] == "hello", r.text
    assert_error(desk["agent1"].post(f"{base}/messages", json={"text": "still mine?"}), 403)
    assert_error(desk["agent1"].post(f"{base}/notes", json={"text": "still mine?"}), 403)
    assert_error(desk["agent1"].patch(base, json={"tags": []}), 403)
    assert_error(desk["agent1"].post(f"{base}/close", json={}), 403)
    assert_error(desk["agent1"].post(f"{base}/transfer", json={"agent": "agent3"}), 403)
    assert_error(desk["agent3"].get(base), 403)
    assert_error(desk["agent3"].get(f"{base}/messages"), 403)
    assert desk["agent1"].get(f"{base}/transcript.pdf").status_code == 200
    desk.close("agent2", interaction_id)


def test_a_conversation_returned_to_the_queue_stays_in_the_agents_list(desk: Desk) -> None:
    desk.online("agent4")
    interaction_id = desk.open_for("agent4")
    r = desk.sup.post(f"/supervisor/interactions/{interaction_id}/return")
    assert r.status_code == 200, r.text
    assert listed(desk, "agent4")[interaction_id] == "returned"
    desk.online("agent5")
    desk.offline("agent4")
    desk.accept("agent5", interaction_id)
    assert listed(desk, "agent4")[interaction_id] == "returned"
    assert listed(desk, "agent5")[interaction_id] == "owner"
    desk.close("agent5", interaction_id)
