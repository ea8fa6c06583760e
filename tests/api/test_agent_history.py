"""What an agent handled stays in their Interactions list (SPEC L1, R7; issue 16, point 7): a conversation they
transferred away or that a supervisor returned to the queue is listed with their part in it, read-only and
only up to when they left it; what they own (also once closed) is theirs as before. Participations are stored,
so a restart keeps them."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.api.conftest import Desk, assert_error, new_id, new_phone
from tests.conftest import DemoTemplate
from tests.postgres import create_database
from tests.serverproc import Api, ServerProcess, copy_data_dir


def _listed(api: Api, interaction_id: int, **params: Any) -> dict[str, Any] | None:
    """The interaction as `api`'s user finds it in their list (None: not listed)."""
    r = api.get("/interactions", params={"page_size": 100, **params})
    assert r.status_code == 200, r.text
    return next((item for item in r.json()["items"] if item["id"] == interaction_id), None)


def _texts(api: Api, interaction_id: int) -> list[str]:
    r = api.get(f"/interactions/{interaction_id}/messages")
    assert r.status_code == 200, r.text
    return [m["text"] for m in r.json()["items"]]


def _transferred(desk: Desk, phone: str) -> int:
    """agent1 accepts the customer's message, answers and notes, transfers to agent2, who accepts and
    answers; the customer writes again."""
    desk.online("agent1", "agent2")
    interaction_id = desk.open_for("agent1", phone, "My parcel is late")
    assert desk["agent1"].post(f"/interactions/{interaction_id}/messages", json={"text": "Let me check"}).status_code \
        == 201
    assert desk["agent1"].post(f"/interactions/{interaction_id}/notes", json={"text": "billing issue"}).status_code \
        == 201
    r = desk["agent1"].post(f"/interactions/{interaction_id}/transfer", json={"agent": "agent2"})
    assert r.status_code == 200, r.text
    desk.accept("agent2", interaction_id)
    assert desk["agent2"].post(f"/interactions/{interaction_id}/messages",
                               json={"text": "Refund on its way"}).status_code == 201
    assert desk.inbound(phone, "Thanks Bruno") == interaction_id
    return interaction_id


def test_a_transferred_conversation_stays_in_the_senders_list_read_only(desk: Desk) -> None:
    interaction_id = _transferred(desk, new_phone())
    mine = _listed(desk["agent1"], interaction_id)
    assert mine is not None, "agent1 lost the conversation they transferred"
    assert (mine["my_part"], mine["unread"], mine["can_edit"], mine["owner"]) == ("transferred", 0, False, "agent2")
    assert mine["last_message"] == {"direction": "out", "text": "Let me check"}  # nothing after they left
    details = desk.get(interaction_id, "agent1")
    assert (details["my_part"], details["unread"], details["can_edit"]) == ("transferred", 0, False)
    assert _listed(desk["agent1"], interaction_id, unread="true") is None  # the new owner's unread is not theirs
    assert _listed(desk["agent1"], interaction_id, unread="false") is not None

    theirs = _listed(desk["agent2"], interaction_id)
    assert theirs is not None and (theirs["my_part"], theirs["can_edit"]) == ("owner", True)
    assert theirs["unread"] >= 1
    seen = _listed(desk.sup, interaction_id)
    assert seen is not None and (seen["my_part"], seen["can_edit"]) == (None, False)


def test_the_sender_reads_the_messages_up_to_the_transfer_only(desk: Desk) -> None:
    interaction_id = _transferred(desk, new_phone())
    assert _texts(desk["agent1"], interaction_id) == ["My parcel is late", "Let me check", "billing issue"]
    assert _texts(desk["agent2"], interaction_id)[-2:] == ["Refund on its way", "Thanks Bruno"]
    r = desk["agent1"].get(f"/interactions/{interaction_id}/transcript.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    desk.close("agent2", interaction_id)  # a later step of the routing history is not theirs to see either
    assert "closed" in [step["kind"] for step in desk.get(interaction_id, "agent2")["history"]]
    assert "closed" not in [step["kind"] for step in desk.get(interaction_id, "agent1")["history"]]


def test_the_sender_can_no_longer_act_on_it(desk: Desk) -> None:
    interaction_id = _transferred(desk, new_phone())
    agent1, base = desk["agent1"], f"/interactions/{interaction_id}"
    assert_error(agent1.post(f"{base}/messages", json={"text": "me again"}), 403, "forbidden")
    assert_error(agent1.post(f"{base}/notes", json={"text": "me again"}), 403, "forbidden")
    assert_error(agent1.post(f"{base}/close", json={}), 403, "forbidden")
    assert_error(agent1.post(f"{base}/transfer", json={"agent": "agent3"}), 403, "forbidden")
    assert_error(agent1.patch(base, json={"tags": []}), 403, "forbidden")
    unread = desk.get(interaction_id, "agent2")["unread"]
    assert agent1.post(f"{base}/read").json()["unread"] == 0  # reading it changes nothing for its owner
    assert desk.get(interaction_id, "agent2")["unread"] == unread
    assert desk.get(interaction_id)["owner"] == "agent2" and desk.get(interaction_id)["status"] == "open"


def test_a_conversation_a_supervisor_returned_is_marked_returned(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1", text="Anyone there?")
    assert desk.sup.post(f"/supervisor/interactions/{interaction_id}/return").status_code == 200
    mine = _listed(desk["agent1"], interaction_id)
    assert mine is not None and (mine["my_part"], mine["can_edit"], mine["unread"]) == ("returned", False, 0)
    desk.offline("agent1")
    desk.online("agent2")
    desk.accept("agent2", interaction_id)
    assert _listed(desk["agent1"], interaction_id)["my_part"] == "returned"
    assert _texts(desk["agent1"], interaction_id) == ["Anyone there?"]
    assert _listed(desk["agent2"], interaction_id)["my_part"] == "owner"


def test_an_agent_who_takes_a_conversation_back_owns_it_again(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1")
    assert desk.sup.post(f"/supervisor/interactions/{interaction_id}/return").status_code == 200
    desk.accept("agent1", interaction_id)
    mine = _listed(desk["agent1"], interaction_id)
    assert mine is not None and (mine["my_part"], mine["can_edit"]) == ("owner", True)


def test_a_closed_conversation_stays_the_owners(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1", text="Just a question")
    desk.close("agent1", interaction_id)
    mine = _listed(desk["agent1"], interaction_id, status="closed")
    assert mine is not None and (mine["my_part"], mine["can_edit"], mine["status"]) == ("owner", False, "closed")
    assert _texts(desk["agent1"], interaction_id) == ["Just a question"]


def test_a_conversation_an_agent_started_and_transferred_stays_in_their_list(desk: Desk) -> None:
    desk.online("agent1", "agent2")
    r = desk["agent1"].post("/outbound", json={"account": "sandbox", "phone": new_phone(),
                                               "template": "order_update", "variables": ["Ada", "B-7"]})
    assert r.status_code == 201, r.text
    interaction_id = r.json()["interaction"]["id"]
    assert _listed(desk["agent1"], interaction_id)["my_part"] == "owner"
    assert desk["agent1"].post(f"/interactions/{interaction_id}/transfer", json={"agent": "agent2"}).status_code \
        == 200
    desk.accept("agent2", interaction_id)
    assert _listed(desk["agent1"], interaction_id)["my_part"] == "transferred"
    assert _texts(desk["agent1"], interaction_id) == ["Hi Ada, your order B-7 is on its way."]


def test_a_masked_agent_sees_what_they_transferred_masked(desk: Desk) -> None:
    phone = new_phone()
    assert desk.admin.put("/admin/settings", json={"masking": {"phone": "partial", "name": "full"}}).status_code \
        == 200
    try:
        desk.online("agent1", "agent2")
        interaction_id = desk.inbound(phone, f"Call me on {phone}", name="Rosa Bianca")
        desk.accept("agent1", interaction_id)
        assert desk["agent1"].post(f"/interactions/{interaction_id}/transfer", json={"agent": "agent2"}).status_code \
            == 200
        desk.accept("agent2", interaction_id)
        mine = _listed(desk["agent1"], interaction_id)
        assert mine is not None and mine["my_part"] == "transferred"
        assert mine["contact"]["name"] == "•••" and mine["contact"]["phone"] == phone[:4] + "•••" + phone[-2:]
        everything = str(mine) + str(desk.get(interaction_id, "agent1")) + str(
            desk["agent1"].get(f"/interactions/{interaction_id}/messages").json())
        assert phone not in everything and "Rosa" not in everything
    finally:
        desk.admin.put("/admin/settings", json={"masking": {"phone": "none", "email": "none", "name": "none"}})


def test_participations_survive_a_restart(demo_template: DemoTemplate, tmp_path: Path) -> None:
    data_dir = copy_data_dir(demo_template.data_dir, tmp_path / "data")
    database_url = create_database(demo_template.postgres, f"history{uuid.uuid4().hex[:8]}", template="demo") \
        if demo_template.postgres else None
    server = ServerProcess(data_dir, database_url=database_url).start()
    try:
        agent1, agent2 = Api(server.base, "agent1"), Api(server.base, "agent2")
        for agent in (agent1, agent2):
            assert agent.put("/me/state", json={"state": "online"}).status_code == 200
        interaction_id = agent1.inbound(new_id(), new_phone(), "Before the restart").json()["interaction_id"]
        agent1.wait_for_offer(interaction_id)
        assert agent1.post(f"/interactions/{interaction_id}/accept").status_code == 200
        assert agent1.post(f"/interactions/{interaction_id}/transfer", json={"agent": "agent2"}).status_code == 200
        agent2.wait_for_offer(interaction_id)
        assert agent2.post(f"/interactions/{interaction_id}/accept").status_code == 200
    finally:
        server.stop()
    server = ServerProcess(data_dir, port=server.port, database_url=database_url).start()
    try:
        agent1, agent2 = Api(server.base, "agent1"), Api(server.base, "agent2")
        mine = _listed(agent1, interaction_id)
        assert mine is not None and (mine["my_part"], mine["can_edit"]) == ("transferred", False)
        assert _texts(agent1, interaction_id) == ["Before the restart"]
        assert _listed(agent2, interaction_id)["my_part"] == "owner"
    finally:
        server.stop()
