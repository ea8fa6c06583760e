"""New conversations and the recontact template over HTTP (SPEC T2, T4): the contract's shapes and errors."""
from __future__ import annotations

from tests.api.conftest import Desk, assert_error, new_phone


def test_an_agent_starts_a_conversation_and_another_is_refused_naming_the_owner(desk: Desk) -> None:
    desk.online("agent1", "agent2")
    phone = new_phone()
    check = desk["agent1"].get("/outbound/check", params={"account": "sandbox", "phone": phone})
    assert check.status_code == 200 and check.json()["case"] == "template"
    error = assert_error(desk["agent1"].post("/outbound", json={"account": "sandbox", "phone": phone, "text": "Hi"}),
                         422, "window_expired")
    assert "not a contact yet" in error["message"]
    r = desk["agent1"].post("/outbound", json={"account": "sandbox", "phone": phone, "template": "order_update",
                                               "variables": ["Ada", "B-1"]})
    assert r.status_code == 201, r.text
    interaction, message = r.json()["interaction"], r.json()["message"]
    assert interaction["owner"] == "agent1" and interaction["status"] == "open" and interaction["contact"]["id"]
    assert message["text"] == "Hi Ada, your order B-1 is on its way." and message["direction"] == "out"
    assert desk.offer_ids("agent2") == []
    taken = assert_error(desk["agent2"].post("/outbound", json={"account": "sandbox", "phone": phone,
                                                                "template": "order_update",
                                                                "variables": ["Ada", "B-1"]}), 409, "owned")
    assert "agent1" in taken["message"]
    # the sandbox has no window: the recontact template is not needed
    assert_error(desk["agent1"].post(f"/interactions/{interaction['id']}/recontact"), 409, "window_open")
    desk.close("agent1", interaction["id"])


def test_who_may_not_start_conversations_and_bad_bodies(desk: Desk) -> None:
    assert_error(desk.sup.post("/outbound", json={"account": "sandbox", "phone": new_phone(), "text": "x"}), 403)
    desk.online("agent3")
    for body in ({"account": "sandbox", "phone": "12ab", "template": "order_update", "variables": ["A", "B"]},
                 {"account": "sandbox", "phone": new_phone(), "template": "order_update", "variables": ["A"]},
                 {"account": "sandbox", "phone": new_phone()}, {"account": "sandbox", "phone": new_phone(),
                                                                 "text": "x", "template": "order_update"}, [1]):
        assert_error(desk["agent3"].post("/outbound", json=body), 422)
    assert_error(desk["agent3"].post("/outbound", json={"account": "nope", "phone": new_phone(), "text": "x"}), 404)
    assert_error(desk["agent3"].post("/outbound", json={"account": "sandbox", "phone": new_phone(),
                                                        "template": "no_such_template"}), 404)


def test_the_check_names_no_contact_of_a_list_the_agent_may_not_see(desk: Desk) -> None:
    hidden = f"Hidden {new_phone()}"
    assert desk.admin.post("/admin/lists", json={"name": hidden}).status_code == 201
    secret, shown = new_phone(), new_phone()
    hidden_id = desk.admin.post("/contacts", json={"list": hidden, "phones": [secret]}).json()["id"]
    shown_id = desk.admin.post("/contacts", json={"list": "Customers", "phones": [shown]}).json()["id"]
    desk.online("agent4")
    assert_error(desk["agent4"].get(f"/contacts/{hidden_id}"), 404)
    check = desk["agent4"].get("/outbound/check", params={"account": "sandbox", "phone": secret})
    assert check.status_code == 200, check.text
    assert check.json()["contact_id"] is None and "not a contact yet" in check.json()["reason"]
    assert desk.admin.get(f"/contacts/{hidden_id}").status_code == 200
    seen = desk["agent4"].get("/outbound/check", params={"account": "sandbox", "phone": shown}).json()
    assert seen["contact_id"] == shown_id


def test_a_conversation_names_no_contact_of_a_list_the_agent_may_not_see(desk: Desk) -> None:
    hidden = f"Hidden {new_phone()}"
    assert desk.admin.post("/admin/lists", json={"name": hidden}).status_code == 201
    phone = new_phone()
    hidden_id = desk.admin.post("/contacts", json={"list": hidden, "phones": [phone]}).json()["id"]
    desk.online("agent5")
    interaction_id = desk.inbound(phone, "hello")
    offer = desk["agent5"].wait_for_offer(interaction_id)
    assert offer["contact"]["id"] is None
    desk.accept("agent5", interaction_id)
    assert desk.get(interaction_id, "agent5")["contact"]["id"] is None
    listed = desk["agent5"].get("/interactions", params={"status": "open"}).json()["items"]
    assert [i["contact"]["id"] for i in listed if i["id"] == interaction_id] == [None]
    assert desk.get(interaction_id, "admin")["contact"]["id"] == hidden_id
    desk.close("agent5", interaction_id)
