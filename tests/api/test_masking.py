"""Masking (SPEC C8) as far as conversations go: with the admin's masking on, an agent's offers, details,
lists and messages never carry the customer's number or name; supervisors see them whole."""
from __future__ import annotations

from tests.api.conftest import Desk, new_phone


def test_agents_get_masked_numbers_and_names_everywhere_supervisors_do_not(desk: Desk) -> None:
    admin = desk.admin
    assert admin.put("/admin/settings", json={"masking": {"phone": "partial", "name": "full"}}).status_code == 200
    try:
        desk.online("agent1")
        phone = new_phone()
        interaction_id = desk.inbound(phone, "my number is private", name="Rosa Bianca")
        offer = desk["agent1"].wait_for_offer(interaction_id)
        assert offer["contact"]["phone"] == phone[:4] + "•••" + phone[-2:] and offer["contact"]["name"] == "•••"
        desk.accept("agent1", interaction_id)
        for view in (desk.get(interaction_id, "agent1"),
                     desk["agent1"].get("/interactions", params={"status": "open"}).json()["items"][0]):
            # the demo's contact trigger saved the customer: linked, and masked all the same
            assert view["contact"]["id"] and view["contact"] == {"id": view["contact"]["id"], "name": "•••",
                                                                 "phone": phone[:4] + "•••" + phone[-2:],
                                                                 "phone_kind": "e164"}
        [message] = desk["agent1"].get(f"/interactions/{interaction_id}/messages").json()["items"]
        assert message["sender"] == "•••"
        everything = str(desk["agent1"].get(f"/interactions/{interaction_id}").json())
        assert phone not in everything and "Rosa" not in everything
        assert desk.get(interaction_id, "supervisor")["contact"]["phone"] == phone
        [seen] = desk.sup.get(f"/interactions/{interaction_id}/messages").json()["items"]
        assert seen["sender"] == "Rosa Bianca"
        desk.close("agent1", interaction_id)
    finally:
        admin.put("/admin/settings", json={"masking": {"phone": "none", "email": "none", "name": "none"}})
