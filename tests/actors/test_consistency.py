"""Orders of events that could leave the actors inconsistent: each is played through real actors."""
from __future__ import annotations

import threading
import time

import pytest

from server.actors import mail
from server.actors.bridge import ask
from server.domain.events import OfferGone, OfferShown
from server.errors import Conflict, Unavailable
from server.persistence import writes
from server.persistence.db import close_database, open_database
from server.persistence.models import (Account, AuditEntry, Interaction, Message, Queue, QueueMember, RoutingEvent, Transfer,
                                       User)
from server.persistence.writes import StoreClose
from tests.actors.test_races import inbound, wait_until


def online(core, *agents) -> None:
    for agent in agents:
        core.call(core.services.agents.set_state(agent, "online", None))


def offered(core, agent, interaction_id) -> bool:
    view = core.call(core.services.agents.desk_view(agent))
    return interaction_id in [o.interaction_id for o in view.offers]


def owned_with_transfer_pending(core, agents, message_id: str, phone: str, **target) -> int:
    """Every agent online; a new conversation accepted by agents[0], who transfers it to `target` (agent=
    or queue=); returns its id once the transfer is offered to agents[1]."""
    services = core.services
    online(core, *agents)
    account = core.call(services.inbound.account("sandbox-q1", "sandbox"))
    interaction_id = inbound(core, account, message_id, phone).interaction_id
    wait_until(lambda: offered(core, agents[0], interaction_id))
    core.call(services.agents.accept(agents[0], interaction_id))
    core.call(services.interactions.transfer(agents[0], interaction_id, **target))
    wait_until(lambda: offered(core, agents[1], interaction_id))
    return interaction_id


def test_accepting_while_going_offline_leaks_no_capacity(core):
    """The desk may drop the offer (offline) while the won race is being stored: the queue must still
    count the agent's slots right, or a capacity-1 agent would never be offered anything again."""
    [agent] = core.workspace(1, capacity=1)
    services = core.start()
    account = core.call(services.inbound.account("sandbox-q1", "sandbox"))
    for round_ in range(5):
        online(core, agent)
        interaction_id = inbound(core, account, f"leak-{round_}", f"+39333555{round_:04d}").interaction_id
        wait_until(lambda: offered(core, agent, interaction_id))
        racing = threading.Thread(target=lambda: core.call(services.agents.set_state(agent, "offline", None)))
        racing.start()
        try:
            core.call(services.agents.accept(agent, interaction_id))
            won = True
        except Conflict:
            won = False
        racing.join()
        online(core, agent)
        if won:
            core.call(services.interactions.close(agent, interaction_id))
        else:
            wait_until(lambda: offered(core, agent, interaction_id))
            core.call(services.agents.accept(agent, interaction_id))
            core.call(services.interactions.close(agent, interaction_id))
    follow_up = inbound(core, account, "leak-last", "+393335559999").interaction_id
    wait_until(lambda: offered(core, agent, follow_up), timeout=5)


def test_a_reject_while_the_accept_is_on_its_way_is_refused(core):
    agents = core.workspace(2)
    services = core.start()
    online(core, *agents)
    account = core.call(services.inbound.account("sandbox-q1", "sandbox"))
    interaction_id = inbound(core, account, "ar", "+393335551111").interaction_id
    wait_until(lambda: offered(core, agents[0], interaction_id))
    desk = services.system.desk(agents[0].username)
    accept = core.call_async(ask(desk, lambda reply: mail.Accept(interaction_id, reply)))
    reject = core.call_async(ask(desk, lambda reply: mail.Reject(interaction_id, reply)))
    assert accept.result(5)["owner"] == agents[0].username
    with pytest.raises(Conflict) as error:
        reject.result(5)
    assert error.value.code in ("accept_pending", "already_owner")


def test_the_first_message_counts_unread_for_the_agent_who_accepts(core):
    agents = core.workspace(1, capacity=20)
    services = core.start()
    online(core, *agents)
    account = core.call(services.inbound.account("sandbox-q1", "sandbox"))
    for n in range(10):
        interaction_id = inbound(core, account, f"u-{n}", f"+39333556{n:04d}").interaction_id
        wait_until(lambda: offered(core, agents[0], interaction_id))
        core.call(services.agents.accept(agents[0], interaction_id))
        wait_until(lambda: core.call(services.agents.me(agents[0]))["unread_total"] == n + 1, timeout=2)


def test_a_close_that_could_not_be_stored_leaves_the_interaction_open_and_closable(core, monkeypatch):
    agents = core.workspace(1)
    services = core.start()
    online(core, *agents)
    account = core.call(services.inbound.account("sandbox-q1", "sandbox"))
    interaction_id = inbound(core, account, "cf", "+393335552222").interaction_id
    wait_until(lambda: offered(core, agents[0], interaction_id))
    core.call(services.agents.accept(agents[0], interaction_id))
    original = StoreClose.apply
    failures = iter([True])

    async def failing_once(self, conn, ctx):
        if next(failures, False):
            raise RuntimeError("disk full")
        return await original(self, conn, ctx)

    monkeypatch.setattr(StoreClose, "apply", failing_once)
    with pytest.raises(Unavailable):
        core.call(services.interactions.close(agents[0], interaction_id))
    assert core.call(Interaction.get(id=interaction_id)).status == "open"
    assert inbound(core, account, "cf-2", "+393335552222").interaction_id == interaction_id
    wait_until(lambda: core.call(services.agents.me(agents[0]))["unread_total"] == 2)
    assert core.call(services.interactions.close(agents[0], interaction_id))["status"] == "closed"


def test_a_transfer_accept_that_could_not_be_stored_changes_no_owner(core, monkeypatch):
    agents = core.workspace(2)
    services = core.start()
    interaction_id = owned_with_transfer_pending(core, agents, "tf", "+393335553333", agent=agents[1].username)
    original = writes.StoreTransferResolved.apply

    async def failing(self, conn, ctx):
        if self.status == "accepted":
            raise RuntimeError("disk full")
        return await original(self, conn, ctx)

    monkeypatch.setattr(writes.StoreTransferResolved, "apply", failing)
    with pytest.raises(Unavailable):
        core.call(services.agents.accept(agents[1], interaction_id))
    view = core.call(ask(services.system.interaction(interaction_id), mail.Snapshot))
    assert view.owner == agents[0].username and view.transfer_targets == [agents[1].username]
    monkeypatch.setattr(writes.StoreTransferResolved, "apply", original)
    assert core.call(services.interactions.close(agents[0], interaction_id))["status"] == "closed"


def test_accepting_a_transfer_of_an_interaction_just_closed_answers_at_once(core):
    agents = core.workspace(2)
    services = core.start()
    interaction_id = owned_with_transfer_pending(core, agents, "tc", "+393335554444", agent=agents[1].username)
    core.call(services.interactions.close(agents[0], interaction_id))
    started = time.time()
    with pytest.raises(Conflict) as error:
        core.call(services.agents.accept(agents[1], interaction_id))
    assert time.time() - started < 2 and error.value.code in ("closed", "offer_gone")


def test_a_rejected_transfer_is_not_offered_again_to_that_agent_after_a_restart(core):
    agents = core.workspace(3)
    services = core.start()
    interaction_id = owned_with_transfer_pending(core, agents, "tr", "+393335556666", queue="Q1")
    wait_until(lambda: offered(core, agents[2], interaction_id))
    core.call(services.agents.reject(agents[1], interaction_id))
    wait_until(lambda: core.call(Transfer.get(interaction_id=interaction_id)).targets == [agents[2].username])
    core.stop()
    services = core.start()
    wait_until(lambda: offered(core, agents[2], interaction_id))
    assert not offered(core, agents[1], interaction_id)


def test_messages_that_arrive_while_closing_open_a_new_interaction(core):
    agents = core.workspace(1)
    services = core.start()
    online(core, *agents)
    account = core.call(services.inbound.account("sandbox-q1", "sandbox"))
    first = inbound(core, account, "w1", "+393335557777", "seen")
    wait_until(lambda: offered(core, agents[0], first.interaction_id))
    core.call(services.agents.accept(agents[0], first.interaction_id))
    late = inbound(core, account, "w2", "+393335557777", "not seen by the agent")
    assert late.interaction_id == first.interaction_id
    # The close as the actor issues it when that message had not reached it yet.
    core.call(services.writer.submit(StoreClose(first.interaction_id, agents[0].username, first.message_id,
                                                on_reopened=services.system.deliver_inbound)))
    moved = core.call(Message.get(id=late.message_id))
    assert moved.interaction_id != first.interaction_id
    assert core.call(Interaction.get(id=moved.interaction_id)).status == "open"
    wait_until(lambda: offered(core, agents[0], moved.interaction_id) or any(
        e.interaction_id == moved.interaction_id for e in core.events_of(OfferShown)))


def test_an_agent_in_two_queues_is_offered_the_heavier_queues_waiter_first(core):
    """Capacity 1, a waiter in each queue: the offer shown is the heavy queue's, whatever came first."""
    [agent] = core.workspace(1, capacity=1, queue="Light")

    async def heavy_queue() -> None:
        await open_database(core.settings.resolved_database_url)
        heavy = await Queue.create(name="Heavy", weight=9, capacity=1)
        await Account.create(key="sandbox-heavy", provider="sandbox", queue=heavy)
        await QueueMember.create(queue=heavy, user_id=agent.id)
        await close_database()

    core.call(heavy_queue())
    services = core.start()
    light = core.call(services.inbound.account("sandbox-light", "sandbox"))
    heavy = core.call(services.inbound.account("sandbox-heavy", "sandbox"))
    first = inbound(core, light, "l1", "+393335558881").interaction_id
    second = inbound(core, heavy, "h1", "+393335558882").interaction_id
    online(core, agent)
    wait_until(lambda: offered(core, agent, second))
    time.sleep(0.2)
    view = core.call(services.agents.desk_view(agent))
    assert [o.interaction_id for o in view.offers] == [second]
    core.call(services.agents.accept(agent, second))
    core.call(services.interactions.close(agent, second))
    wait_until(lambda: offered(core, agent, first))  # then the light queue's, once there is room
    third = inbound(core, heavy, "h2", "+393335558883").interaction_id  # a heavy waiter arrives meanwhile
    wait_until(lambda: offered(core, agent, third) and not offered(core, agent, first))
    assert core.events_of(OfferGone, lambda e: e.interaction_id == first and e.reason == "declined")


def test_a_conversation_of_a_user_disabled_while_the_server_was_down_waits_in_its_queue_after_a_restart(core):
    agents = core.workspace(3)
    services = core.start()
    interaction_id = owned_with_transfer_pending(core, agents, "dis", "+393335558888", agent=agents[1].username)
    core.stop()

    async def disable() -> None:  # the admin's change committed, the server gone before it returned anything
        await open_database(core.settings.resolved_database_url)
        await User.filter(username=agents[0].username).update(disabled=True)
        await close_database()

    core.call(disable())
    services = core.start()
    wait_until(lambda: offered(core, agents[2], interaction_id))  # waiting again, offered as any waiting one
    stored = core.call(Interaction.get(id=interaction_id))
    assert stored.owner_id is None and stored.status == "open"
    assert core.call(Transfer.get(interaction_id=interaction_id)).status == "cancelled"
    kinds = core.call(RoutingEvent.filter(interaction_id=interaction_id).order_by("id").values_list("kind", flat=True))
    assert kinds[kinds.index("transfer_cancelled"):][:3] == ["transfer_cancelled", "returned", "offered"]
    [audited] = core.call(AuditEntry.filter(action="transfer.cancelled", target=f"interaction {interaction_id}")
                          .values("after"))
    assert audited["after"]["owner"] is None and audited["after"]["reason"] == "its owner was disabled"
    core.call(services.agents.accept(agents[2], interaction_id))
    assert core.call(Interaction.get(id=interaction_id)).owner_id is not None
    core.stop()
    services = core.start()  # nothing returned twice
    assert core.call(RoutingEvent.filter(interaction_id=interaction_id, kind="returned").count()) == 1
