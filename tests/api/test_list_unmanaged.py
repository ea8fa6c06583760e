"""The list shows, beside each contact, how many of the conversation's interactions no agent took (R9)."""
from __future__ import annotations

from tests.api.conftest import Desk, new_phone


def test_a_waiting_conversation_counts_as_not_taken_until_an_agent_takes_it(desk: Desk) -> None:
    phone = new_phone()
    interaction_id = desk.inbound(phone, "anyone?")

    def unmanaged() -> int:
        [row] = desk.sup.get("/interactions", params={"q": phone}).json()["items"]
        assert row["id"] == interaction_id
        return row["unmanaged"]

    assert unmanaged() == 1
    desk.online("agent1")
    desk.accept("agent1", interaction_id)
    assert unmanaged() == 0
    desk.close("agent1", interaction_id)
