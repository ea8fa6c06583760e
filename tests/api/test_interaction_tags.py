"""Tags and disposition of an interaction, edited after the fact where permitted (SPEC C6, L1, L2)."""
from __future__ import annotations

from tests.api.conftest import Desk, assert_error


def test_the_owner_tags_an_interaction_and_the_list_finds_it_by_tag(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1", text="I want to complain")
    r = desk["agent1"].patch(f"/interactions/{interaction_id}", json={"tags": ["Complaint", "VIP"]})
    assert r.status_code == 200, r.text
    assert r.json()["tags"] == ["Complaint", "VIP"] and desk.get(interaction_id, "agent1")["tags"] == [
        "Complaint", "VIP"]
    listed = desk["agent1"].get("/interactions", params={"tag": ["Complaint", "VIP"]}).json()["items"]
    assert [i["id"] for i in listed] == [interaction_id] and listed[0]["tags"] == ["Complaint", "VIP"]
    assert desk["agent1"].patch(f"/interactions/{interaction_id}", json={"tags": ["VIP"]}).json()["tags"] == ["VIP"]
    assert desk["agent1"].get("/interactions", params={"tag": "Complaint", "status": "open"}).json()["total"] == 0
    desk.close("agent1", interaction_id)


def test_a_disposition_set_before_closing_stays_and_can_be_changed_after(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1", text="thanks, all good")
    assert desk["agent1"].patch(f"/interactions/{interaction_id}", json={"disposition": "Sale"}).json()[
        "disposition"] == "Sale"
    desk.close("agent1", interaction_id)  # closed without choosing one: the one set stays
    assert desk.get(interaction_id)["disposition"] == "Sale"
    r = desk["agent1"].patch(f"/interactions/{interaction_id}", json={"disposition": "Resolved", "tags": ["Sales"]})
    assert r.status_code == 200 and r.json()["disposition"] == "Resolved" and r.json()["tags"] == ["Sales"]
    assert desk["agent1"].patch(f"/interactions/{interaction_id}", json={"disposition": None}).json()[
        "disposition"] is None


def test_only_who_may_read_it_may_edit_it_and_bad_values_change_nothing(desk: Desk) -> None:
    desk.online("agent1")
    interaction_id = desk.open_for("agent1", text="hello")
    assert_error(desk["agent2"].patch(f"/interactions/{interaction_id}", json={"tags": ["VIP"]}), 403)
    assert desk.sup.patch(f"/interactions/{interaction_id}", json={"tags": ["Support"]}).json()["tags"] == [
        "Support"]
    for body in ({"tags": ["No such tag"]}, {"tags": "VIP"}, {"disposition": "Nope"}, {"owner": "agent2"}, {},
                 [1]):
        assert_error(desk["agent1"].patch(f"/interactions/{interaction_id}", json=body), 422)
    assert desk.get(interaction_id)["tags"] == ["Support"] and desk.get(interaction_id)["disposition"] is None
    assert_error(desk["agent1"].patch("/interactions/999999", json={"tags": []}), 404)
    desk.close("agent1", interaction_id)
