"""Races between real threads through the services and actors (SPEC R3, R9)."""
from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter, defaultdict

from server.actors import mail
from server.actors.bridge import ask
from server.actors.mail import Snapshot
from server.actors.runtime import PooledActor
from server.domain.events import OfferGone, OfferShown
from server.errors import Conflict
from server.persistence.models import Interaction, Message

AGENTS = 50
INTERACTIONS = 500


def wait_until(condition, timeout: float = 30.0, step: float = 0.02) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(step)
    raise AssertionError("condition not reached in time")


def inbound(core, account, message_id: str, phone: str, text: str = "hello"):
    services = core.services
    return core.call(services.inbound.receive(account, message_id, phone, text))


def test_fifty_agents_racing_for_each_of_500_interactions_give_exactly_one_owner(core):
    agents = core.workspace(AGENTS, capacity=1000)
    services = core.start()
    for agent in agents:
        core.call(services.agents.set_state(agent, "online", None))
    account = core.call(services.inbound.account("sandbox-q1", "sandbox"))
    ids = [inbound(core, account, f"race-{i}", f"+3933300{i:05d}").interaction_id for i in range(INTERACTIONS)]
    assert len(set(ids)) == INTERACTIONS

    wait_until(lambda: len(core.events_of(OfferShown)) == AGENTS * INTERACTIONS)

    outcomes: dict[int, list[tuple[str, str]]] = defaultdict(list)
    lock = threading.Lock()
    gate = threading.Barrier(AGENTS)

    def race(agent) -> None:
        order = list(ids)
        random.Random(agent.username).shuffle(order)
        gate.wait()
        for interaction_id in order:
            try:
                core.call(services.agents.accept(agent, interaction_id))
                result = "won"
            except Conflict as error:
                result = error.code
            with lock:
                outcomes[interaction_id].append((agent.username, result))

    threads = [threading.Thread(target=race, args=(a,)) for a in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    winners = {}
    for interaction_id in ids:
        results = outcomes[interaction_id]
        assert len(results) == AGENTS
        won = [name for name, result in results if result == "won"]
        assert len(won) == 1, f"interaction {interaction_id} had winners {won}"
        assert Counter(result for _, result in results) == {"won": 1, "taken": AGENTS - 1}
        winners[interaction_id] = won[0]

    stored = dict(core.call(Interaction.filter(id__in=ids).values_list("id", "owner__username")))
    assert stored == winners

    # Every loser was told who took it, and nobody holds an offer any more.
    wait_until(lambda: len(core.events_of(OfferGone)) == (AGENTS - 1) * INTERACTIONS)
    for gone in core.events_of(OfferGone):
        assert gone.reason == "taken" and gone.by == winners[gone.interaction_id] != gone.agent
    for agent in agents:
        view = core.call(services.agents.desk_view(agent))
        assert view.offers == []
        assert sorted(view.open) == sorted(i for i, w in winners.items() if w == agent.username)
    queue_view = core.call(ask(services.system.queue("Q1"), mail.Snapshot))
    assert queue_view.waiting == [] and queue_view.offers_in_flight == 0


def test_concurrent_first_messages_of_one_conversation_open_one_interaction(core):
    core.workspace(3)
    services = core.start()
    account = core.call(services.inbound.account("sandbox-q1", "sandbox"))
    gate = threading.Barrier(20)
    results = []
    lock = threading.Lock()

    def send(n: int) -> None:
        gate.wait()
        result = inbound(core, account, f"burst-{n}", "+393331234567", f"message {n}")
        with lock:
            results.append(result)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(results) == 20
    assert len({r.interaction_id for r in results}) == 1
    assert sum(r.created_interaction for r in results) == 1
    interaction_id = results[0].interaction_id
    assert core.call(Interaction.filter(customer_phone="+393331234567").count()) == 1
    assert core.call(Message.filter(interaction_id=interaction_id, direction="in").count()) == 20


def test_provider_retry_of_a_stored_message_is_a_duplicate(core):
    core.workspace(1)
    services = core.start()
    account = core.call(services.inbound.account("sandbox-q1", "sandbox"))
    first = inbound(core, account, "same-id", "+393331111111")
    again = inbound(core, account, "same-id", "+393331111111")
    assert not first.duplicate and again.duplicate
    assert core.call(Message.filter(interaction_id=first.interaction_id).count()) == 1


class SlowActor(PooledActor):
    """Answers only when released: stands for an actor stuck on long work."""

    def __init__(self, pool, release: threading.Event) -> None:
        super().__init__(pool)
        self.release = release

    def on_receive(self, message):
        self.release.wait(10)
        message.reply.ok("done")


def test_loop_keeps_serving_while_an_actor_is_busy(core):
    """Asking a slow actor must not freeze the event loop (no blocking get() on the loop)."""
    agents = core.workspace(2)
    services = core.start()
    release = threading.Event()
    slow = SlowActor.start(services.system.pool, release)
    try:
        waiting = asyncio.run_coroutine_threadsafe(ask(slow, Snapshot), core.loop)
        started = time.time()
        me = core.call(services.agents.me(agents[1]), timeout=5)
        assert me["username"] == agents[1].username and time.time() - started < 2
        assert not waiting.done()
        release.set()
        assert waiting.result(5) == "done"
    finally:
        release.set()
        slow.stop(block=False)


def test_an_agent_disabled_while_accepting_never_keeps_the_conversation(core):
    """Each round, an agent accepts an offer on one thread while an admin disables them on another: the
    conversation ends up waiting or with the agent still enabled, never with the disabled one."""
    from server.persistence.models import User as UserRow
    from server.services.auth import Principal

    rounds = 16
    agents = core.workspace(rounds + 1)
    services = core.start()
    admin_row = core.call(UserRow.create(username="race-admin", password_hash="-", role="admin"))
    admin = Principal(admin_row.id, admin_row.username, "admin", "")
    keeper = agents[-1]
    account = core.call(services.inbound.account("sandbox-q1", "sandbox"))
    for n, leaver in enumerate(agents[:rounds]):
        core.call(services.agents.set_state(leaver, "online", None))
        interaction_id = inbound(core, account, f"dr{n}", f"+39333444{n:04d}").interaction_id
        wait_until(lambda: interaction_id in [o.interaction_id for o in core.call(
            services.agents.desk_view(leaver)).offers])
        barrier = threading.Barrier(2)
        outcomes: dict[str, object] = {}

        def accept() -> None:
            barrier.wait()
            time.sleep(random.uniform(0, 0.03))  # before, during or after the admin's change is stored
            try:
                outcomes["accept"] = core.call(services.agents.accept(leaver, interaction_id))
            except Conflict as error:  # the offer went with the desk's going offline
                outcomes["accept"] = error

        def disable() -> None:
            barrier.wait()
            outcomes["disable"] = core.call(services.admin.update_user(admin, leaver.username, {"disabled": True}))

        threads = [threading.Thread(target=accept), threading.Thread(target=disable)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        core.call(services.agents.set_state(keeper, "online", None))
        wait_until(lambda: interaction_id in [o.interaction_id for o in core.call(
            services.agents.desk_view(keeper)).offers], timeout=10)  # back in the queue, offered again
        core.call(services.agents.accept(keeper, interaction_id))
        stored = core.call(Interaction.get(id=interaction_id).values("owner__username", "status"))
        assert stored == {"owner__username": keeper.username, "status": "open"}, (n, outcomes)
        core.call(services.interactions.close(keeper, interaction_id))
        core.call(services.agents.set_state(keeper, "offline", None))
