"""Whom a transfer can go to (SPEC R7, D9): each queue with how many of its agents are online, a queue with
nobody online listed but not choosable, and the sender's reason carried to the offer."""
from __future__ import annotations

from server.services.transfer_offers import transfer_details
from tests.ui.conftest import WAIT_RETRIES, Browsers, accepted, element, eventually, go_online, new_phone

BILLING = "Billing"  # a second queue, of agent1 (the sender) and agent3 (who stays offline)


async def _sender_with_a_conversation(browsers: Browsers) -> tuple[object, int]:
    """agent1 online with a conversation open; agent2 online (WhatsAppConn1); a Billing queue nobody else is on."""
    admin = await browsers.principal("admin")
    await browsers.services.queue_admin.create(admin, {"name": BILLING, "members": ["agent1", "agent3"]})
    sender = await browsers.signed_in("agent1")
    await go_online(browsers, sender, "agent1")
    interaction_id = await accepted(browsers, sender, new_phone(), "who can help me with my invoice?")
    await browsers.services.agents.set_state(await browsers.principal("agent2"), "online", None)
    return sender, interaction_id


async def test_transfer_targets_count_each_queues_online_agents_besides_the_owner(browsers: Browsers) -> None:
    _, interaction_id = await _sender_with_a_conversation(browsers)
    targets = await browsers.services.interactions.transfer_targets(await browsers.principal("agent1"),
                                                                    interaction_id)
    assert targets == {"agents": [{"username": "agent2", "name": "Bruno Agent"}],
                       "queues": [{"name": BILLING, "agents_online": 0},
                                  {"name": "WhatsAppConn1", "agents_online": 1}]}


async def test_the_dialog_shows_online_counts_and_a_queue_with_nobody_online_cannot_be_chosen(
        browsers: Browsers) -> None:
    sender, interaction_id = await _sender_with_a_conversation(browsers)
    sender.find(marker="chat-menu").click()
    sender.find(marker="transfer").click()
    await sender.should_see(marker="transfer-target", retries=WAIT_RETRIES)
    target = element(sender, "transfer-target")
    assert target.options == {"agent:agent2": "👤 Bruno Agent",
                              f"queue:{BILLING}": f"👥 Queue {BILLING} · nobody online",
                              "queue:WhatsAppConn1": "👥 Queue WhatsAppConn1 · 1 online"}
    disabled = {option["label"]: option["disable"] for option in target.props["options"]}
    assert disabled == {"👤 Bruno Agent": False, f"👥 Queue {BILLING} · nobody online": True,
                        "👥 Queue WhatsAppConn1 · 1 online": False}

    target.set_value("queue:WhatsAppConn1")
    sender.find(marker="transfer-note").type("  Billing question, I am on the phone  ")
    sender.find(marker="transfer-confirm").click()
    await sender.should_see("Transfer offered to queue WhatsAppConn1", retries=WAIT_RETRIES)

    async def offered() -> dict[int, dict[str, str | None]]:
        return await transfer_details([interaction_id])

    assert (await eventually(offered))[interaction_id] == {
        "from": "agent1", "from_name": "Alice Agent", "note": "Billing question, I am on the phone"}
