"""The pooled actor runtime, timers, and the actors' life cycle."""
from __future__ import annotations

import threading
import time

import pytest

from server.actors import mail
from server.actors.bridge import ask
from server.actors.runtime import ActorPool, PooledActor
from server.actors.timers import Timers
from server.domain.events import OfferGone, OfferShown
from server.errors import Unavailable
from tests.actors.test_races import inbound, wait_until


class Counter(PooledActor):
    def __init__(self, pool: ActorPool) -> None:
        super().__init__(pool)
        self.seen: list[int] = []
        self.threads: set[str] = set()

    def on_receive(self, message):
        self.threads.add(threading.current_thread().name)
        if message == "boom":
            raise ValueError("a bug while handling a tell")
        if isinstance(message, mail.Snapshot):
            message.reply.ok((list(self.seen), set(self.threads)))
        else:
            self.seen.append(message)


class Collect:
    def __init__(self) -> None:
        self.value = None
        self.done = threading.Event()

    def ok(self, value=None) -> None:
        self.value = value
        self.done.set()

    def fail(self, error) -> None:
        self.value = error
        self.done.set()


def snapshot(ref) -> list[int]:
    return seen_and_threads(ref)[0]


def seen_and_threads(ref) -> tuple[list[int], set[str]]:
    reply = Collect()
    ref.tell(mail.Snapshot(reply))
    assert reply.done.wait(5)
    return reply.value


def test_an_exception_in_a_tell_is_logged_and_the_actor_keeps_running(caplog):
    pool = ActorPool(2)
    ref = Counter.start(pool)
    ref.tell(1)
    ref.tell("boom")
    ref.tell(2)
    assert snapshot(ref) == [1, 2]
    assert "a bug while handling a tell" in caplog.text
    ref.stop()
    pool.shutdown()


def test_thousands_of_actors_share_a_few_threads_and_each_sees_its_mail_in_order():
    pool = ActorPool(3)
    before = set(threading.enumerate())
    refs = [Counter.start(pool) for _ in range(3000)]
    assert set(threading.enumerate()) - before == set()  # no thread started (another test's may have ended)
    for n in range(20):
        for ref in refs:
            ref.tell(n)
    for ref in refs[::100]:
        assert snapshot(ref) == list(range(20))
    threads = set().union(*(seen_and_threads(ref)[1] for ref in refs[::100]))
    assert threads <= {f"actors-{i}" for i in range(3)}
    for ref in refs:
        ref.stop(block=False)
    pool.shutdown()


def test_timers_tell_at_the_due_time_in_order():
    pool = ActorPool(1)
    ref = Counter.start(pool)
    timers = Timers()
    started = time.monotonic()
    timers.after(0.2, ref, 2)
    timers.after(0.1, ref, 1)
    wait_until(lambda: snapshot(ref) == [1, 2], timeout=3, step=0.01)
    assert time.monotonic() - started >= 0.2
    timers.stop()
    ref.stop()
    pool.shutdown()


def test_asking_a_stopped_actor_is_unavailable(core):
    core.workspace(1)
    services = core.start()
    pool = services.system.pool
    ref = Counter.start(pool)
    ref.stop()
    with pytest.raises(Unavailable):
        core.call(ask(ref, mail.Snapshot))


def test_closing_an_interaction_stops_its_actor(core):
    agents = core.workspace(1)
    services = core.start()
    core.call(services.agents.set_state(agents[0], "online", None))
    account = core.call(services.inbound.account("sandbox-q1", "sandbox"))
    interaction_id = inbound(core, account, "close-me", "+393337654321").interaction_id
    wait_until(lambda: core.events_of(OfferShown))
    core.call(services.agents.accept(agents[0], interaction_id))
    ref = services.system.interaction(interaction_id)
    assert services.system.counts["interactions"] == 1 and ref.is_alive()
    core.call(services.interactions.close(agents[0], interaction_id))
    wait_until(lambda: services.system.counts["interactions"] == 0 and not ref.is_alive(), timeout=5)


def test_an_unanswered_offer_times_out_and_comes_back_after_the_reoffer_delay(core):
    agents = core.workspace(1, offer_timeout=1, reoffer_delay=1)
    services = core.start()
    core.call(services.agents.set_state(agents[0], "online", None))
    account = core.call(services.inbound.account("sandbox-q1", "sandbox"))
    interaction_id = inbound(core, account, "slow", "+393337654322").interaction_id
    wait_until(lambda: core.events_of(OfferGone, lambda e: e.reason == "timeout"), timeout=5)
    wait_until(lambda: len(core.events_of(OfferShown)) == 2, timeout=5)
    assert [e.interaction_id for e in core.events_of(OfferShown)] == [interaction_id, interaction_id]
    history = core.call(services.interactions.history(interaction_id))
    assert [h["kind"] for h in history][:4] == ["queued", "offered", "timed_out", "offered"]
