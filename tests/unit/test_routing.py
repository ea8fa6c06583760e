"""QueueRouting, the queue's routing state machine (SPEC R1-R6, R12), driven directly with explicit times."""
from __future__ import annotations

import pytest

from server.domain.routing import (Availability, Effect, Offer, QueueRouting, QueueRules, Record, Strategy,
                                   Withdraw)
from server.errors import Conflict

TIMEOUT = 30.0
DELAY = 60.0


def online(budget: int = 5, *, open_count: int = 0, idle_since: float = 0.0) -> Availability:
    return Availability(True, budget, open_count, idle_since)


OFFLINE = Availability(False, 0, 0, 0.0)
PAUSED = Availability(False, 5, 0, 0.0, paused=True)


def queue(strategy: Strategy = Strategy.RING_ALL, *agents: str, capacity: int = 5,
          budget: int = 5, weight: int = 0) -> QueueRouting:
    """A queue whose `agents` are online with `budget` free slots each, added at t=0."""
    routing = QueueRouting("sales", QueueRules(strategy, weight, TIMEOUT, DELAY, capacity))
    for agent in agents:
        assert routing.add_member(agent, online(budget), 0.0) == []
    return routing


def offers(effects: list[Effect]) -> list[tuple[str, int]]:
    return [(e.agent, e.interaction_id) for e in effects if isinstance(e, Offer)]


def offered(agents: tuple[str, ...], interaction_id: int, deadline: float) -> list[Effect]:
    """The effects of offering one interaction to `agents` at once."""
    return [*(Offer(a, interaction_id, deadline) for a in agents), Record(interaction_id, "offered", agents)]


# --- R1: waiting order and capacity -----------------------------------------------------------------
def test_interactions_wait_in_arrival_order_when_nobody_is_there():
    routing = queue()
    for interaction_id in (3, 1, 2):
        assert routing.enqueue(interaction_id, 0.0) == [Record(interaction_id, "queued")]
    assert routing.waiting_ids == [3, 1, 2]
    assert routing.next_deadline() is None


def test_enqueueing_a_waiting_interaction_again_changes_nothing():
    routing = queue(Strategy.RING_ALL, "a")
    routing.enqueue(1, 0.0)
    assert routing.enqueue(1, 5.0) == []
    assert routing.waiting_ids == [1]
    assert routing.offers_in_flight() == 1


def test_restart_reenqueue_records_no_history():
    routing = queue(Strategy.RING_ALL, "a")
    assert routing.enqueue(7, 0.0, record=False) == offered(("a",), 7, TIMEOUT)


def test_new_interaction_is_queued_then_offered_with_the_offer_timeout():
    routing = queue(Strategy.RING_ALL, "a")
    assert routing.enqueue(1, 100.0) == [Record(1, "queued"), *offered(("a",), 1, 100.0 + TIMEOUT)]
    assert routing.waiter(1).offered == {"a": 100.0 + TIMEOUT}
    assert routing.next_deadline() == 100.0 + TIMEOUT


def test_agent_is_offered_no_more_than_its_free_capacity():
    routing = queue(Strategy.RING_ALL, "a", budget=2)
    effects = [e for i in (1, 2, 3) for e in routing.enqueue(i, 0.0)]
    assert offers(effects) == [("a", 1), ("a", 2)]
    assert routing.offers_to("a") == [1, 2]
    assert routing.waiter(3).offered == {}


def test_oldest_waiter_offered_first_when_slot_frees():
    routing = queue(Strategy.RING_ALL, "a", budget=0)
    for interaction_id in (1, 2, 3):
        routing.enqueue(interaction_id, 0.0)
    assert routing.offers_in_flight() == 0
    effects = routing.update_member("a", online(1, open_count=4), 10.0)
    assert effects == offered(("a",), 1, 10.0 + TIMEOUT)


def test_slot_freed_by_a_lost_race_goes_to_the_longest_waiter():
    routing = queue(Strategy.RING_ALL, "a", "b", budget=1)
    routing.enqueue(1, 0.0)
    routing.enqueue(2, 1.0)
    routing.enqueue(3, 2.0)
    routing.accept("b", 1, 5.0)
    assert routing.losers_told(["a"], 6.0) == offered(("a",), 2, 6.0 + TIMEOUT)
    assert routing.waiter(3).offered == {}


def test_queue_capacity_stops_offers_to_an_agent_with_that_many_open():
    routing = queue(Strategy.RING_ALL, capacity=2)
    routing.add_member("a", online(5, open_count=2), 0.0)
    routing.add_member("b", online(5, open_count=1), 0.0)
    assert offers(routing.enqueue(1, 0.0)) == [("b", 1)]


def test_queue_capacity_counts_the_offers_an_agent_already_holds():
    routing = queue(Strategy.RING_ALL, capacity=2)
    routing.add_member("a", online(5, open_count=1), 0.0)
    effects = [e for i in (1, 2, 3) for e in routing.enqueue(i, 0.0)]
    assert offers(effects) == [("a", 1)]


def test_raising_the_queue_capacity_offers_the_waiters():
    routing = queue(Strategy.RING_ALL, capacity=1)
    routing.add_member("a", online(5, open_count=1), 0.0)
    routing.enqueue(1, 0.0)
    assert routing.offers_in_flight() == 0
    effects = routing.set_rules(QueueRules(capacity=2, offer_timeout=TIMEOUT), 3.0)
    assert effects == offered(("a",), 1, 3.0 + TIMEOUT)


def test_new_agent_coming_online_gets_waiting_interaction():
    routing = queue()
    routing.add_member("a", OFFLINE, 0.0)
    routing.enqueue(1, 0.0)
    routing.enqueue(2, 1.0)
    assert routing.offers_in_flight() == 0
    effects = routing.update_member("a", online(1), 20.0)
    assert effects == offered(("a",), 1, 20.0 + TIMEOUT)


def test_agent_added_to_the_queue_is_offered_the_waiters_oldest_first():
    routing = queue()
    routing.enqueue(1, 0.0)
    routing.enqueue(2, 1.0)
    routing.enqueue(3, 2.0)
    effects = routing.add_member("a", online(2), 10.0)
    assert effects == [*offered(("a",), 1, 40.0), *offered(("a",), 2, 40.0)]
    assert routing.members == ["a"]


def test_report_from_an_agent_outside_the_queue_is_ignored():
    routing = queue(Strategy.RING_ALL, "a")
    routing.enqueue(1, 0.0)
    assert routing.update_member("stranger", online(), 1.0) == []
    assert routing.members == ["a"]
    assert routing.availability_of("stranger") is None


# --- R2: strategies ------------------------------------------------------------------------------------
def test_ring_all_is_the_default_strategy():
    assert QueueRules().strategy is Strategy.RING_ALL


def test_ring_all_offers_every_online_agent_under_capacity_at_once():
    routing = queue(Strategy.RING_ALL, "a", "b")
    routing.add_member("paused", OFFLINE, 0.0)
    routing.add_member("full", online(0, open_count=3), 0.0)
    routing.add_member("c", online(1), 0.0)
    assert routing.enqueue(1, 0.0) == [Record(1, "queued"), *offered(("a", "b", "c"), 1, TIMEOUT)]
    assert routing.offers_in_flight() == 3


def test_round_robin_offers_one_agent_at_a_time():
    routing = queue(Strategy.ROUND_ROBIN, "a", "b", "c")
    assert routing.enqueue(1, 0.0) == [Record(1, "queued"), *offered(("a",), 1, TIMEOUT)]
    assert routing.offers_in_flight() == 1


def test_round_robin_continues_after_last_served():
    routing = queue(Strategy.ROUND_ROBIN, "a", "b", "c")
    served = []
    for interaction_id in (1, 2, 3, 4):
        agent, _ = offers(routing.enqueue(interaction_id, float(interaction_id)))[0]
        routing.accept(agent, interaction_id, float(interaction_id))
        served.append(agent)
    assert served == ["a", "b", "c", "a"]


def test_round_robin_skips_agents_who_cannot_take_it():
    routing = queue(Strategy.ROUND_ROBIN, "a", "b", "c")
    routing.enqueue(1, 0.0)
    routing.accept("a", 1, 1.0)
    routing.update_member("b", OFFLINE, 2.0)
    assert offers(routing.enqueue(2, 3.0)) == [("c", 2)]


def test_round_robin_reject_moves_offer_to_next_agent():
    routing = queue(Strategy.ROUND_ROBIN, "a", "b", "c")
    routing.enqueue(1, 0.0)
    effects = routing.reject("a", 1, 4.0)
    assert effects == [Record(1, "rejected", ("a",)), *offered(("b",), 1, 4.0 + TIMEOUT)]
    assert routing.waiter(1).offered == {"b": 4.0 + TIMEOUT}


def test_least_recent_picks_idle_longest():
    routing = queue(Strategy.LEAST_RECENT)
    routing.add_member("a", online(idle_since=50.0), 0.0)
    routing.add_member("b", online(idle_since=10.0), 0.0)
    routing.add_member("c", online(idle_since=30.0), 0.0)
    assert routing.enqueue(1, 100.0) == [Record(1, "queued"), *offered(("b",), 1, 130.0)]


def test_least_recent_agent_who_just_accepted_goes_to_the_back():
    routing = queue(Strategy.LEAST_RECENT)
    routing.add_member("a", online(idle_since=50.0), 0.0)
    routing.add_member("b", online(idle_since=10.0), 0.0)
    routing.enqueue(1, 100.0)
    routing.accept("b", 1, 101.0)
    assert routing.availability_of("b").idle_since == 101.0
    assert offers(routing.enqueue(2, 102.0)) == [("a", 2)]


def test_least_busy_picks_fewest_open():
    routing = queue(Strategy.LEAST_BUSY)
    routing.add_member("a", online(open_count=2), 0.0)
    routing.add_member("b", online(open_count=0), 0.0)
    routing.add_member("c", online(open_count=1), 0.0)
    assert routing.enqueue(1, 0.0) == [Record(1, "queued"), *offered(("b",), 1, TIMEOUT)]


def test_least_busy_counts_the_interaction_just_accepted():
    routing = queue(Strategy.LEAST_BUSY)
    routing.add_member("a", online(open_count=1), 0.0)
    routing.add_member("b", online(open_count=0), 0.0)
    routing.enqueue(1, 0.0)
    routing.accept("b", 1, 1.0)
    assert routing.availability_of("b").open_count == 1
    # a and b both have one open now: the tie goes by name, so a
    assert offers(routing.enqueue(2, 2.0)) == [("a", 2)]


@pytest.mark.parametrize("strategy", [Strategy.ROUND_ROBIN, Strategy.LEAST_RECENT, Strategy.LEAST_BUSY])
def test_single_agent_strategies_never_offer_one_waiter_twice(strategy: Strategy):
    routing = queue(strategy, "a", "b", "c")
    routing.enqueue(1, 0.0)
    routing.update_member("b", online(4), 1.0)
    routing.update_member("c", online(4), 1.0)
    assert len(routing.waiter(1).offered) == 1


def test_weight_is_carried_by_the_rules_and_does_not_change_the_offers():
    light = queue(Strategy.RING_ALL, "a", "b", weight=0)
    heavy = queue(Strategy.RING_ALL, "a", "b", weight=10)
    assert heavy.rules.weight == 10
    assert heavy.enqueue(1, 0.0) == light.enqueue(1, 0.0)


# --- R3: the acceptance race ---------------------------------------------------------------------------
def test_first_accept_owns_and_every_other_agent_is_told_who_took_it():
    routing = queue(Strategy.RING_ALL, "a", "b", "c")
    routing.enqueue(1, 0.0)
    effects = routing.accept("b", 1, 3.0)
    assert effects == [Record(1, "accepted", ("b",)), Withdraw("a", 1, "taken", by="b"),
                       Withdraw("c", 1, "taken", by="b")]
    assert routing.waiting_ids == []
    assert routing.offers_in_flight() == 0


def test_second_accept_is_told_taken():
    routing = queue(Strategy.RING_ALL, "a", "b")
    routing.enqueue(1, 0.0)
    routing.accept("a", 1, 1.0)
    with pytest.raises(Conflict) as error:
        routing.accept("b", 1, 1.0)
    assert error.value.code == "taken"
    assert error.value.message == "Already taken by a."


def test_accept_without_an_offer_is_refused_and_changes_nothing():
    routing = queue(Strategy.ROUND_ROBIN, "a", "b")
    routing.enqueue(1, 0.0)
    with pytest.raises(Conflict) as error:
        routing.accept("b", 1, 1.0)
    assert error.value.code == "offer_gone"
    assert routing.waiter(1).offered == {"a": TIMEOUT}


def test_winner_holds_one_more_open_and_one_less_free():
    routing = queue(Strategy.RING_ALL, "a", budget=2)
    routing.enqueue(1, 0.0)
    routing.accept("a", 1, 7.0)
    assert routing.availability_of("a") == Availability(True, 1, 1, 7.0)
    assert offers(routing.enqueue(2, 8.0)) == [("a", 2)]
    assert routing.enqueue(3, 9.0) == [Record(3, "queued")]


def test_losers_slots_stay_counted_until_they_are_told():
    routing = queue(Strategy.RING_ALL, "a", "b", "c", budget=1)
    routing.enqueue(1, 0.0)
    routing.enqueue(2, 1.0)
    assert routing.accept("b", 1, 2.0) == [Record(1, "accepted", ("b",)), Withdraw("a", 1, "taken", by="b"),
                                           Withdraw("c", 1, "taken", by="b")]
    assert routing.offers_in_flight() == 0  # a's and c's desks still show 1: no room for 2 yet
    assert routing.losers_told(["a", "c"], 3.0) == offered(("a", "c"), 2, 33.0)


def test_a_report_sent_before_the_desk_learnt_of_a_won_race_does_not_free_its_slot():
    routing = queue(Strategy.RING_ALL, "a", budget=2, capacity=10)
    routing.enqueue(1, 0.0)
    routing.enqueue(2, 0.0)
    routing.accept("a", 1, 1.0)  # a holds 2 and owns 1: full
    stale = Availability(True, 2, 0, 0.0, won=0)  # left the desk before it heard it won 1
    assert offers(routing.update_member("a", stale, 2.0)) == []
    assert routing.availability_of("a").open_count == 1
    routing.enqueue(3, 3.0)
    assert routing.offers_to("a") == [2]
    fresh = Availability(True, 1, 1, 1.0, won=1)  # the desk now owns 1 and reports it
    assert offers(routing.update_member("a", fresh, 4.0)) == []
    assert routing.availability_of("a") == fresh


def test_accept_that_could_not_be_stored_puts_the_interaction_back_in_its_place():
    routing = queue(Strategy.RING_ALL, "a", "b", budget=2)
    for interaction_id in (1, 2, 3):
        routing.enqueue(interaction_id, 0.0)
    waiter = routing.waiter(1)
    routing.accept("b", 1, 2.0)
    effects = routing.accept_failed("b", 1, ["a"], 3.0, waiter)
    assert routing.waiting_ids == [1, 2, 3]
    assert routing.availability_of("b").open_count == 0
    # both hold 2 and are free for one more: the interaction that came back is offered afresh
    assert effects == offered(("a", "b"), 1, 33.0)
    assert routing.accept("a", 1, 4.0)[0] == Record(1, "accepted", ("a",))


def test_accepting_an_interaction_that_was_cancelled_is_refused():
    routing = queue(Strategy.RING_ALL, "a")
    routing.enqueue(1, 0.0)
    routing.cancel(1, 1.0)
    with pytest.raises(Conflict) as error:
        routing.accept("a", 1, 2.0)
    assert error.value.code == "taken"
    assert "no longer waiting" in error.value.message


# --- R4: reject and re-offer ----------------------------------------------------------------------------
def test_ring_all_reject_drops_only_the_rejecter():
    routing = queue(Strategy.RING_ALL, "a", "b")
    routing.enqueue(1, 0.0)
    assert routing.reject("a", 1, 2.0) == [Record(1, "rejected", ("a",))]
    assert routing.offers_to("a") == []
    assert routing.offers_to("b") == [1]
    assert routing.waiter(1).refused == {"a": 2.0 + DELAY}


def test_rejecter_is_still_offered_the_next_waiter():
    routing = queue(Strategy.RING_ALL, "a", "b", budget=1)
    routing.enqueue(1, 0.0)
    routing.enqueue(2, 1.0)
    assert routing.reject("a", 1, 2.0) == [Record(1, "rejected", ("a",)), *offered(("a",), 2, 32.0)]


def test_rejecting_an_offer_not_held_is_refused():
    routing = queue(Strategy.RING_ALL, "a")
    routing.enqueue(1, 0.0)
    routing.reject("a", 1, 1.0)
    for agent, interaction_id in (("a", 1), ("a", 99), ("b", 1)):
        with pytest.raises(Conflict) as error:
            routing.reject(agent, interaction_id, 2.0)
        assert error.value.code == "offer_gone"


def test_everybody_rejected_waits_then_reoffered_after_delay():
    routing = queue(Strategy.RING_ALL, "a", "b")
    routing.enqueue(1, 0.0)
    assert routing.reject("a", 1, 10.0) == [Record(1, "rejected", ("a",))]
    assert routing.reject("b", 1, 12.0) == [Record(1, "rejected", ("b",))]
    assert routing.waiting_ids == [1]
    assert routing.offers_in_flight() == 0
    assert routing.next_deadline() == 10.0 + DELAY
    assert routing.tick(69.9) == []
    assert routing.tick(70.0) == offered(("a",), 1, 70.0 + TIMEOUT)
    assert routing.tick(72.0) == offered(("b",), 1, 72.0 + TIMEOUT)
    assert routing.waiter(1).refused == {}


def test_everybody_rejected_in_round_robin_starts_the_round_again_after_delay():
    routing = queue(Strategy.ROUND_ROBIN, "a", "b")
    routing.enqueue(1, 0.0)
    assert offers(routing.reject("a", 1, 1.0)) == [("b", 1)]
    assert routing.reject("b", 1, 2.0) == [Record(1, "rejected", ("b",))]
    assert routing.tick(61.0) == offered(("a",), 1, 91.0)


def test_everybody_rejected_then_an_agent_comes_online_and_is_offered_at_once():
    routing = queue(Strategy.RING_ALL, "a")
    routing.add_member("b", OFFLINE, 0.0)
    routing.enqueue(1, 0.0)
    routing.reject("a", 1, 1.0)
    assert routing.update_member("b", online(), 5.0) == offered(("b",), 1, 35.0)


def test_zero_reoffer_delay_offers_the_rejecter_again_at_the_next_tick():
    routing = QueueRouting("q", QueueRules(offer_timeout=TIMEOUT, reoffer_delay=0.0))
    routing.add_member("a", online(), 0.0)
    routing.enqueue(1, 0.0)
    assert routing.reject("a", 1, 5.0) == [Record(1, "rejected", ("a",))]
    assert routing.tick(5.0) == offered(("a",), 1, 35.0)


# --- R5: offer timeouts --------------------------------------------------------------------------------
def test_offer_timeout_counts_as_reject():
    routing = queue(Strategy.RING_ALL, "a", "b")
    routing.enqueue(1, 0.0)
    assert routing.tick(29.9) == []
    assert routing.tick(30.0) == [Withdraw("a", 1, "timeout"), Withdraw("b", 1, "timeout"),
                                  Record(1, "timed_out", ("a", "b"))]
    assert routing.waiter(1).refused == {"a": 90.0, "b": 90.0}
    assert routing.next_deadline() == 90.0
    assert routing.tick(90.0) == offered(("a", "b"), 1, 120.0)


def test_offer_timeout_in_round_robin_moves_the_offer_to_the_next_agent():
    routing = queue(Strategy.ROUND_ROBIN, "a", "b")
    routing.enqueue(1, 0.0)
    assert routing.tick(30.0) == [Withdraw("a", 1, "timeout"), Record(1, "timed_out", ("a",)),
                                  *offered(("b",), 1, 60.0)]


def test_offer_timeout_and_reoffer_delay_are_the_queues_settings():
    routing = QueueRouting("q", QueueRules(offer_timeout=45.0, reoffer_delay=7.0))
    routing.add_member("a", online(), 0.0)
    assert routing.enqueue(1, 10.0) == [Record(1, "queued"), *offered(("a",), 1, 55.0)]
    assert routing.tick(55.0) == [Withdraw("a", 1, "timeout"), Record(1, "timed_out", ("a",))]
    assert routing.next_deadline() == 62.0
    assert routing.tick(62.0) == offered(("a",), 1, 107.0)
    assert routing.reject("a", 1, 70.0) == [Record(1, "rejected", ("a",))]
    assert routing.waiter(1).refused == {"a": 77.0}


def test_only_offers_past_their_deadline_time_out():
    routing = queue(Strategy.RING_ALL, "a")
    routing.add_member("b", OFFLINE, 0.0)
    routing.enqueue(1, 0.0)
    routing.update_member("b", online(), 10.0)
    assert routing.tick(30.0) == [Withdraw("a", 1, "timeout"), Record(1, "timed_out", ("a",))]
    assert routing.waiter(1).offered == {"b": 40.0}
    assert routing.next_deadline() == 40.0


def test_timed_out_agent_gets_its_slot_back_for_the_next_waiter():
    routing = queue(Strategy.RING_ALL, "a", budget=1)
    routing.enqueue(1, 0.0)
    routing.enqueue(2, 5.0)
    assert routing.tick(30.0) == [Withdraw("a", 1, "timeout"), Record(1, "timed_out", ("a",)),
                                  *offered(("a",), 2, 60.0)]


# --- R6: agents who cannot take offers ------------------------------------------------------------------
def test_agent_going_unavailable_loses_its_offers():
    routing = queue(Strategy.RING_ALL, "a", "b")
    routing.enqueue(1, 0.0)
    routing.enqueue(2, 0.0)
    assert routing.update_member("a", OFFLINE, 5.0) == []
    assert routing.offers_to("a") == []
    assert routing.offers_to("b") == [1, 2]


def test_paused_agent_keeps_its_offers_but_gets_no_new_ones():
    routing = queue(Strategy.RING_ALL, "a", "b")
    routing.enqueue(1, 0.0)
    assert routing.update_member("a", PAUSED, 1.0) == []
    assert routing.offers_to("a") == [1]
    assert offers(routing.enqueue(2, 2.0)) == [("b", 2)]
    assert routing.accept("a", 1, 3.0) == [Record(1, "accepted", ("a",)), Withdraw("b", 1, "taken", by="a")]


def test_paused_agent_is_told_when_someone_else_takes_its_offer():
    routing = queue(Strategy.RING_ALL, "a", "b")
    routing.enqueue(1, 0.0)
    routing.update_member("a", PAUSED, 1.0)
    assert routing.accept("b", 1, 2.0) == [Record(1, "accepted", ("b",)), Withdraw("a", 1, "taken", by="b")]


def test_paused_agents_offer_still_times_out():
    routing = queue(Strategy.ROUND_ROBIN, "a", "b")
    routing.enqueue(1, 0.0)
    routing.update_member("a", PAUSED, 1.0)
    assert routing.tick(30.0) == [Withdraw("a", 1, "timeout"), Record(1, "timed_out", ("a",)),
                                  *offered(("b",), 1, 60.0)]


def test_paused_agent_going_offline_loses_its_offers():
    routing = queue(Strategy.ROUND_ROBIN, "a", "b")
    routing.enqueue(1, 0.0)
    routing.update_member("a", PAUSED, 1.0)
    assert routing.update_member("a", OFFLINE, 2.0) == offered(("b",), 1, 32.0)
    assert routing.offers_to("a") == []


def test_round_robin_offer_moves_on_when_the_agent_goes_offline():
    routing = queue(Strategy.ROUND_ROBIN, "a", "b")
    routing.enqueue(1, 0.0)
    assert routing.update_member("a", OFFLINE, 5.0) == offered(("b",), 1, 35.0)


def test_agent_back_online_is_offered_again_what_it_lost():
    routing = queue(Strategy.RING_ALL, "a", budget=1)
    routing.enqueue(1, 0.0)
    routing.update_member("a", OFFLINE, 5.0)
    assert routing.update_member("a", online(1), 6.0) == offered(("a",), 1, 36.0)


def test_full_agent_gets_no_offer_until_it_reports_room():
    routing = queue(Strategy.RING_ALL)
    routing.add_member("a", online(0, open_count=5), 0.0)
    routing.enqueue(1, 0.0)
    assert routing.offers_in_flight() == 0
    assert routing.update_member("a", online(1, open_count=4), 9.0) == offered(("a",), 1, 39.0)


def test_decline_returns_the_offer_without_penalty():
    routing = queue(Strategy.RING_ALL, "a", "b", budget=2)
    routing.enqueue(1, 0.0)
    routing.enqueue(2, 0.0)
    assert routing.decline("a", 2, 1.0) == []
    assert routing.offers_to("a") == [1]
    assert routing.waiter(2).refused == {}
    # a counts as full until its desk reports room again; then it is offered 2 again, no delay
    assert routing.availability_of("a").budget == 1
    assert routing.update_member("a", online(2), 2.0) == offered(("a",), 2, 32.0)


def test_decline_in_round_robin_passes_the_offer_on():
    routing = queue(Strategy.ROUND_ROBIN, "a", "b")
    routing.enqueue(1, 0.0)
    assert routing.decline("a", 1, 1.0) == offered(("b",), 1, 31.0)


def test_decline_of_an_offer_not_held_is_ignored():
    routing = queue(Strategy.RING_ALL, "a")
    routing.enqueue(1, 0.0)
    assert routing.decline("a", 99, 1.0) == []
    assert routing.decline("b", 1, 1.0) == []
    assert routing.offers_to("a") == [1]


# --- leaving the queue -----------------------------------------------------------------------------------
def test_cancel_withdraws_every_offer_as_closed():
    routing = queue(Strategy.RING_ALL, "a", "b")
    routing.enqueue(1, 0.0)
    assert routing.cancel(1, 2.0) == [Withdraw("a", 1, "closed"), Withdraw("b", 1, "closed")]
    assert routing.waiting_ids == []
    assert routing.cancel(1, 3.0) == []


def test_cancel_frees_the_slot_for_the_next_waiter():
    routing = queue(Strategy.RING_ALL, "a", budget=1)
    routing.enqueue(1, 0.0)
    routing.enqueue(2, 1.0)
    assert routing.cancel(1, 2.0) == [Withdraw("a", 1, "closed"), *offered(("a",), 2, 32.0)]


def test_remove_member_withdraws_its_offers_and_passes_them_on():
    routing = queue(Strategy.ROUND_ROBIN, "a", "b")
    routing.enqueue(1, 0.0)
    assert routing.remove_member("a", 3.0) == [Withdraw("a", 1, "closed"), *offered(("b",), 1, 33.0)]
    assert routing.members == ["b"]


def test_removed_member_forgets_its_refusals():
    routing = queue(Strategy.RING_ALL, "a")
    routing.enqueue(1, 0.0)
    routing.reject("a", 1, 1.0)
    assert routing.remove_member("a", 2.0) == []
    assert routing.waiter(1).refused == {}
    assert routing.add_member("a", online(), 3.0) == offered(("a",), 1, 33.0)


def test_next_deadline_is_the_earliest_offer_or_refusal():
    routing = queue(Strategy.RING_ALL, "a", "b")
    routing.enqueue(1, 0.0)
    routing.reject("a", 1, 1.0)  # a may be offered it again at 61
    assert routing.next_deadline() == 30.0  # b's offer expires first
    routing.accept("b", 1, 2.0)
    assert routing.next_deadline() is None


def test_a_returned_interaction_keeps_its_place_and_mark_when_its_next_accept_cannot_be_stored():
    routing = queue(Strategy.RING_ALL, "a", budget=2)
    routing.enqueue(1, 0.0)
    routing.enqueue(2, 5.0, returned=True)  # answered before; back because its owner was disabled
    routing.enqueue(3, 6.0)
    waiter = routing.waiter(2)
    routing.accept("a", 2, 7.0)
    routing.accept_failed("a", 2, [], 8.0, waiter)
    assert routing.waiting_ids == [1, 2, 3]
    assert routing.waiter(2).returned and routing.waiter(2).since == 5.0


def test_an_agents_own_capacity_replaces_the_queues_per_agent_capacity():
    routing = QueueRouting("sales", QueueRules(Strategy.RING_ALL, 0, TIMEOUT, DELAY, capacity=1))
    routing.add_member("own", Availability(True, 3, 1, 0.0, own_capacity=True), 0.0)  # theirs: 4, 1 open
    routing.add_member("queues", Availability(True, 3, 1, 0.0), 0.0)  # the queue's 1 applies: full
    assert offers(routing.enqueue(1, 1.0)) == [("own", 1)]


# --- D2: taking a waiting interaction from the waiting list ------------------------------------------
def test_a_member_takes_an_interaction_it_rejected_without_waiting_for_the_reoffer_delay():
    routing = queue(Strategy.RING_ALL, "a", "b")
    routing.enqueue(1, 0.0)
    routing.reject("a", 1, 1.0)
    effects = routing.take("a", 1, 2.0)
    assert effects[0] == Record(1, "accepted", ("a",))
    assert Withdraw("b", 1, "taken", by="a") in effects
    assert routing.waiting_ids == []
    with pytest.raises(Conflict, match="Already taken by a"):
        routing.take("b", 1, 3.0)
    with pytest.raises(Conflict, match="Already taken by a"):
        routing.accept("b", 1, 3.0)


def test_a_timed_out_interaction_waits_in_the_list_and_any_member_may_take_it():
    routing = queue(Strategy.RING_ALL, "a")
    routing.enqueue(1, 0.0)
    assert Withdraw("a", 1, "timeout") in routing.tick(TIMEOUT)
    assert routing.waiting_since() == {1: 0.0}
    assert routing.take("a", 1, TIMEOUT + 1)[0] == Record(1, "accepted", ("a",))


def test_taking_what_another_agent_is_offered_wins_the_race_and_withdraws_their_offer():
    routing = queue(Strategy.ROUND_ROBIN, "a", "b")
    [(holder, _)] = offers(routing.enqueue(1, 0.0))  # one agent at a time
    taker = "b" if holder == "a" else "a"
    effects = routing.take(taker, 1, 1.0)
    assert Withdraw(holder, 1, "taken", by=taker) in effects
    availability = routing.availability_of(taker)
    assert availability is not None and (availability.open_count, availability.budget) == (1, 4)


def test_only_members_take_and_only_what_waits():
    routing = queue(Strategy.RING_ALL, "a")
    routing.enqueue(1, 0.0)
    with pytest.raises(Conflict) as refused:
        routing.take("stranger", 1, 1.0)
    assert refused.value.code == "not_member"
    with pytest.raises(Conflict, match="no longer waiting"):
        routing.take("a", 99, 1.0)
