"""Presence through the REST API (SPEC P1): signing out takes an agent offline at once, with their offers going
to another agent. (An agent who works through the API alone, with no desk page, is never taken offline: the
browser tests of presence show it beside an agent who closes the desk.)"""
from __future__ import annotations

from tests.api.conftest import Desk, new_phone
from tests.serverproc import Api


def test_signing_out_through_the_api_takes_the_agent_offline_at_once(desk: Desk) -> None:
    desk.online("agent1", "agent2")
    interaction_id = desk.inbound(new_phone(), "hello", name="Olga Orsi")
    desk["agent1"].wait_for_offer(interaction_id)
    session = Api(desk.server.base, "agent1")
    assert session.post("/auth/logout").json() == {"status": "signed_out"}
    session.client.close()
    assert desk.me("agent1")["state"] == "offline"
    assert desk.offer_ids("agent1") == []  # the offer stays with agent2 only
    assert interaction_id in desk.offer_ids("agent2")
    desk.accept("agent2", interaction_id)
    desk.close("agent2", interaction_id)

