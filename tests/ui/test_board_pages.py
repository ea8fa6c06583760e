"""The supervisor's board and watch pages with NiceGUI's simulated user (SPEC S1, S2): who may open them,
the board's rows and batched redraws, a note written while watching, a conversation returned to its queue."""
from __future__ import annotations

from server.persistence.models import Message
from server.ui.board_page import FORBIDDEN, duration
from server.ui.monitor_page import FORBIDDEN as WATCH_FORBIDDEN
from tests.ui.conftest import WAIT_RETRIES, Browsers, accepted, element, eventually, go_online, new_phone, receive


def test_durations_read_as_a_person_says_them() -> None:
    assert [duration(s) for s in (0, 42.9, 61, 3599, 3600, 4805)] == [
        "0 s", "42 s", "1 min 01 s", "59 min 59 s", "1 h 00 min", "1 h 20 min"]


async def test_agents_are_told_the_board_and_watching_are_for_supervisors(browsers: Browsers) -> None:
    user = await browsers.signed_in("agent1")
    await user.open("/supervisor")
    await user.should_see(FORBIDDEN, retries=WAIT_RETRIES)
    await user.should_not_see(marker="board-agents")
    await user.open("/supervisor/interactions/1")
    await user.should_see(WATCH_FORBIDDEN, retries=WAIT_RETRIES)


async def test_the_board_lists_the_queue_and_follows_a_state_change(browsers: Browsers) -> None:
    user = await browsers.signed_in("supervisor")
    await user.open("/supervisor")
    await user.should_see(marker="board-agents", retries=WAIT_RETRIES)
    queues = element(user, "board-queues")
    assert [r["name"] for r in queues.rows] == ["WhatsAppConn1"] and queues.rows[0]["offline"] == 5
    agents = element(user, "board-agents")
    assert [r["username"] for r in agents.rows] == [f"agent{i}" for i in range(1, 6)]

    alice = await browsers.principal("agent1")
    await browsers.services.agents.set_state(alice, "paused", "Training")
    await eventually(lambda: next(r for r in agents.rows if r["username"] == "agent1")["state"] == "paused")
    row = next(r for r in agents.rows if r["username"] == "agent1")
    assert row["reason"] == "Training" and row["agent"] == "Alice Agent (agent1)"
    assert queues.rows[0]["paused"] == 1

    element(user, "board-state-filter").set_value("paused")
    await eventually(lambda: [r["username"] for r in agents.rows] == ["agent1"])


async def test_a_supervisor_watches_and_writes_to_the_owner(browsers: Browsers) -> None:
    services = browsers.services
    alice = await browsers.principal("agent1")
    await services.agents.set_state(alice, "online", None)
    interaction_id = await receive(browsers, new_phone(), "Where is my order?")
    await eventually(lambda: services.agents.offers(alice))
    await services.agents.accept(alice, interaction_id)

    user = await browsers.signed_in("supervisor")
    await user.open(f"/supervisor/interactions/{interaction_id}")
    await user.should_see("Where is my order?", retries=WAIT_RETRIES)
    await user.should_see("Owner: agent1")
    user.find(marker="monitor-note").type("Check the courier first")
    user.find(marker="monitor-send-note").click()
    await eventually(lambda: Message.filter(interaction_id=interaction_id, direction="note").exists())
    await eventually(lambda: element(user, "monitor-note").value == "")  # sent: the box is empty again
    await user.should_see("Check the courier first")  # now in the conversation
    note = await Message.get(interaction_id=interaction_id, direction="note")
    assert note.recipient == "agent1" and note.sender == "Sam Supervisor (supervisor)"
    await services.interactions.close(alice, interaction_id)
    await user.should_see(marker="monitor-closed", retries=WAIT_RETRIES)


async def test_a_supervisor_returns_the_watched_conversation_to_its_queue(browsers: Browsers) -> None:
    services = browsers.services
    alice, bob = await browsers.principal("agent1"), await browsers.principal("agent2")
    desk = await browsers.signed_in("agent1")
    await go_online(browsers, desk, "agent1")
    interaction_id = await accepted(browsers, desk, new_phone(), "Hello? Anyone?")

    user = await browsers.signed_in("supervisor")
    await user.open(f"/supervisor/interactions/{interaction_id}")
    await user.should_see("Owner: agent1", retries=WAIT_RETRIES)
    user.find(marker="monitor-return").click()
    await eventually(lambda: user.notify.contains("Back in the queue WhatsAppConn1: Alice Agent no longer has it."))
    await user.should_see("Waiting in the queue")
    await user.should_not_see(marker="monitor-return")
    assert interaction_id not in (await services.agents.me(alice))["open_interactions"]
    await desk.should_not_see(marker=f"tab-{interaction_id}", retries=WAIT_RETRIES)  # gone from agent1's desk, told why
    await eventually(lambda: any(m.startswith("A supervisor returned +") and m.endswith(" to the queue.")
                                 for m in desk.notify.messages))  # names the customer (by number: no name)

    await services.agents.set_state(bob, "online", None)
    await eventually(lambda: services.agents.offers(bob))
    await services.agents.accept(bob, interaction_id)
    await user.should_see("Owner: agent2", retries=WAIT_RETRIES)  # the page follows the new owner
    await user.should_see(marker="monitor-return")
    await services.interactions.close(bob, interaction_id)
