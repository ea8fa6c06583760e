"""AgentDesk, the agent's own view of what it can hold (SPEC R1, R2, R6, R10)."""
from __future__ import annotations

import pytest

from server.domain.desk import AgentDesk, AgentState, DeskIntake, HeldOffer
from server.domain.routing import Availability, Offer, QueueRouting, QueueRules, Record
from server.errors import Conflict, Invalid


def offer(interaction_id: int, queue: str = "sales", *, weight: int = 0, seq: int | None = None,
          kind: str = "new", deadline: float = 30.0) -> HeldOffer:
    return HeldOffer(interaction_id, queue, kind, deadline, weight,  # type: ignore[arg-type]
                     interaction_id if seq is None else seq)


def desk(capacity: int = 3, *, open_ids: tuple[int, ...] = (), state: AgentState = AgentState.ONLINE,
         now: float = 0.0) -> AgentDesk:
    return AgentDesk("ann", capacity, state=state, open_ids=open_ids, now=now)


# --- state ---------------------------------------------------------------------------------------------
def test_desk_starts_offline_and_takes_nothing():
    agent = AgentDesk("ann", 3)
    assert agent.state is AgentState.OFFLINE
    assert not agent.available
    assert agent.availability_for("sales") == Availability(False, 3, 0, 0.0, paused=False)


def test_only_an_online_agent_is_available():
    agent = desk()
    assert agent.available
    agent.set_state("paused", "lunch", 1.0)
    assert not agent.available
    agent.set_state("offline", None, 2.0)
    assert not agent.available


def test_pause_keeps_its_reason_trimmed_and_other_states_drop_it():
    agent = desk()
    assert agent.set_state("paused", "  lunch break ", 1.0) == []
    assert (agent.state, agent.reason) == (AgentState.PAUSED, "lunch break")
    agent.set_state("online", "ignored", 2.0)
    assert (agent.state, agent.reason) == (AgentState.ONLINE, None)
    agent.set_state("paused", "   ", 3.0)
    assert agent.reason is None


def test_unknown_state_is_invalid_and_changes_nothing():
    agent = desk()
    with pytest.raises(Invalid) as error:
        agent.set_state("busy", None, 1.0)
    assert "busy" in error.value.message
    assert agent.state is AgentState.ONLINE


def test_pause_reason_is_limited_to_100_characters():
    agent = desk()
    agent.set_state("paused", "x" * 100, 1.0)
    assert agent.reason == "x" * 100
    with pytest.raises(Invalid):
        agent.set_state("paused", "y" * 101, 2.0)
    assert agent.reason == "x" * 100


def test_going_offline_withdraws_every_offer():
    agent = desk()
    new, transfer = offer(1), offer(2, kind="transfer")
    agent.receive([new, transfer])
    assert agent.set_state("offline", None, 5.0) == [new, transfer]
    assert agent.offers == {}


def test_pausing_keeps_the_offers_already_shown():
    agent = desk()
    new, transfer = offer(1), offer(2, kind="transfer")
    agent.receive([new, transfer])
    assert agent.set_state("paused", "coffee", 5.0) == []
    assert agent.offers == {1: new, 2: transfer}
    assert agent.offer_for_accept(1) == new


def test_paused_agent_keeps_the_queue_offer_and_may_still_accept_it():
    """Desk and queue agree on what a paused agent holds, so an offer it still sees can be accepted."""
    routing = QueueRouting("sales", QueueRules(capacity=1))
    agent = desk(1)
    for effect in routing.add_member("ann", agent.availability_for("sales"), 0.0) + routing.enqueue(1, 0.0):
        if isinstance(effect, Offer):
            agent.receive([offer(effect.interaction_id, deadline=effect.deadline)])
    agent.set_state("paused", None, 1.0)
    assert routing.update_member("ann", agent.availability_for("sales"), 1.0) == []
    assert routing.offers_to("ann") == list(agent.offers) == [1]
    agent.offer_for_accept(1)
    assert routing.accept("ann", 1, 2.0) == [Record(1, "accepted", ("ann",))]


def test_going_offline_drops_the_offers_on_both_sides():
    routing = QueueRouting("sales", QueueRules())
    agent = desk(2)
    routing.add_member("ann", agent.availability_for("sales"), 0.0)
    agent.receive([offer(e.interaction_id) for e in routing.enqueue(1, 0.0) if isinstance(e, Offer)])
    agent.set_state("offline", None, 1.0)
    routing.update_member("ann", agent.availability_for("sales"), 1.0)
    assert routing.offers_to("ann") == list(agent.offers) == []


def test_going_online_again_keeps_offers_and_withdraws_nothing():
    agent = desk()
    agent.receive([offer(1)])
    assert agent.set_state("online", None, 5.0) == []
    assert list(agent.offers) == [1]


def test_coming_online_with_nothing_open_starts_the_idle_clock():
    agent = desk(state=AgentState.OFFLINE, now=0.0)
    agent.set_state("online", None, 40.0)
    assert agent.idle_since == 40.0


def test_coming_online_with_open_interactions_keeps_the_idle_clock():
    agent = desk(state=AgentState.OFFLINE, open_ids=(7,), now=3.0)
    agent.set_state("online", None, 40.0)
    assert agent.idle_since == 3.0


# --- receiving offers ----------------------------------------------------------------------------------
def test_offers_within_capacity_are_shown():
    agent = desk(3, open_ids=(9,))
    first, second = offer(1), offer(2)
    assert agent.receive([first, second]) == DeskIntake([first, second], [], [])
    assert agent.offers == {1: first, 2: second}


def test_offline_agent_declines_every_offer():
    agent = desk(state=AgentState.OFFLINE)
    new, transfer = offer(1), offer(2, kind="transfer")
    assert agent.receive([new, transfer]) == DeskIntake([], [new, transfer], [])
    assert agent.offers == {}


def test_paused_agent_declines_new_work_but_a_transfer_waits_for_it():
    agent = desk(state=AgentState.PAUSED)
    new, transfer = offer(1), offer(2, kind="transfer")
    assert agent.receive([new, transfer]) == DeskIntake([transfer], [new], [])
    assert agent.offers == {2: transfer}


def test_offer_for_an_interaction_already_open_is_declined():
    agent = desk(open_ids=(1,))
    assert agent.receive([offer(1)]) == DeskIntake([], [offer(1)], [])


def test_the_same_offer_twice_is_kept_once():
    agent = desk()
    agent.receive([offer(1)])
    assert agent.receive([offer(1, deadline=99.0)]) == DeskIntake([], [], [])
    assert agent.offers == {1: offer(1)}


def test_offers_past_capacity_are_declined_keeping_the_oldest():
    agent = desk(3, open_ids=(9,))
    offers = [offer(3), offer(1), offer(2)]
    assert agent.receive(offers) == DeskIntake([offer(1), offer(2)], [offer(3)], [])
    assert sorted(agent.offers) == [1, 2]


def test_desk_prefers_heavier_queue_offer():
    agent = desk(1)
    light, heavy = offer(1, "support", weight=1), offer(9, "vip", weight=5)
    assert agent.receive([light, heavy]) == DeskIntake([heavy], [light], [])
    assert agent.offers == {9: heavy}


def test_heavier_queue_offer_bumps_a_lighter_one_already_shown():
    agent = desk(1)
    light, heavy = offer(1, "support", weight=1), offer(9, "vip", weight=5)
    agent.receive([light])
    assert agent.receive([heavy]) == DeskIntake([heavy], [], [light])
    assert agent.offers == {9: heavy}


def test_lighter_queue_offer_is_declined_when_the_desk_is_full():
    agent = desk(1)
    heavy, light = offer(9, "vip", weight=5), offer(1, "support", weight=1)
    agent.receive([heavy])
    assert agent.receive([light]) == DeskIntake([], [light], [])
    assert agent.offers == {9: heavy}


def test_same_weight_older_offer_bumps_a_younger_one_already_shown():
    agent = desk(1)
    agent.receive([offer(5)])
    assert agent.receive([offer(3)]) == DeskIntake([offer(3)], [], [offer(5)])
    assert agent.receive([offer(7)]) == DeskIntake([], [offer(7)], [])


def test_weight_beats_age():
    agent = desk(1)
    old_light, young_heavy = offer(1, "a", weight=0, seq=1), offer(2, "b", weight=3, seq=500)
    assert agent.receive([old_light, young_heavy]).shown == [young_heavy]


def test_open_interactions_leave_no_room_for_new_offers():
    agent = desk(2, open_ids=(1, 2))
    assert agent.receive([offer(3)]) == DeskIntake([], [offer(3)], [])


def test_transfer_offers_need_no_free_capacity_and_are_never_bumped():
    agent = desk(1, open_ids=(1,))
    transfer = offer(2, kind="transfer")
    assert agent.receive([transfer]) == DeskIntake([transfer], [], [])
    heavy = offer(3, weight=10)
    assert agent.receive([heavy]) == DeskIntake([], [heavy], [])
    assert agent.offers == {2: transfer}


def test_withdraw_returns_the_offer_once():
    agent = desk()
    agent.receive([offer(1)])
    assert agent.withdraw(1) == offer(1)
    assert agent.withdraw(1) is None
    assert agent.offers == {}


# --- accepting -----------------------------------------------------------------------------------------
def test_offer_for_accept_returns_the_held_offer():
    agent = desk()
    agent.receive([offer(1)])
    assert agent.offer_for_accept(1) == offer(1)


def test_accept_without_an_offer_is_refused():
    with pytest.raises(Conflict) as error:
        desk().offer_for_accept(1)
    assert error.value.code == "offer_gone"


def test_a_transfer_filling_the_desk_drops_the_new_offers_that_no_longer_fit():
    agent = desk(2)
    agent.receive([offer(1), offer(3, weight=5)])
    assert agent.opened(2) == [offer(1)]  # the transfer took a slot: the lighter offer goes
    assert list(agent.offers) == [3]


def test_offer_for_accept_refused_at_capacity():
    agent = desk(2)
    agent.receive([offer(1)])
    agent.capacity = 0  # lowered by an administrator meanwhile
    with pytest.raises(Conflict) as error:
        agent.offer_for_accept(1)
    assert error.value.code == "at_capacity"
    assert 1 in agent.offers


def test_transfer_may_be_accepted_at_capacity():
    agent = desk(1, open_ids=(1,))
    agent.receive([offer(2, kind="transfer")])
    assert agent.offer_for_accept(2) == offer(2, kind="transfer")


def test_opened_turns_the_offer_into_an_open_interaction():
    agent = desk()
    agent.receive([offer(1), offer(2)])
    agent.opened(1)
    assert agent.open == {1}
    assert list(agent.offers) == [2]


def test_released_frees_capacity_and_restarts_the_idle_clock_when_nothing_is_open():
    agent = desk(2, open_ids=(1, 2), now=0.0)
    agent.released(1, 10.0)
    assert agent.open == {2}
    assert agent.idle_since == 0.0
    agent.released(2, 20.0)
    assert agent.open == set()
    assert agent.idle_since == 20.0
    agent.released(2, 30.0)  # twice is harmless
    assert agent.idle_since == 30.0


# --- what the queues may count on ---------------------------------------------------------------------
def test_availability_for_excludes_that_queues_own_offers():
    agent = desk(4, open_ids=(10,), now=5.0)
    agent.receive([offer(1, "sales"), offer(2, "sales"), offer(3, "support"), offer(4, "vip", kind="transfer")])
    assert agent.availability_for("sales") == Availability(True, 4 - 1 - 1, 1, 5.0)
    assert agent.availability_for("support") == Availability(True, 4 - 1 - 2, 1, 5.0)
    assert agent.availability_for("other") == Availability(True, 4 - 1 - 3, 1, 5.0)


def test_availability_budget_is_never_negative():
    agent = desk(1, open_ids=(1, 2))
    assert agent.availability_for("sales").budget == 0


def test_paused_agent_reports_itself_unavailable_but_paused():
    agent = desk(2, now=3.0)
    agent.set_state("paused", None, 1.0)
    assert agent.availability_for("sales") == Availability(False, 2, 0, 3.0, paused=True)
    agent.set_state("offline", None, 2.0)
    assert agent.availability_for("sales") == Availability(False, 2, 0, 3.0, paused=False)


def test_closing_an_interaction_gives_the_queues_room_again():
    agent = desk(1, open_ids=(1,))
    assert agent.availability_for("sales").budget == 0
    agent.released(1, 9.0)
    assert agent.availability_for("sales") == Availability(True, 1, 0, 9.0)


def test_desk_reports_to_each_queue_the_races_it_won_there():
    desk = AgentDesk("ann", 5, state=AgentState.ONLINE)
    desk.receive([HeldOffer(1, "sales", "new", 30.0), HeldOffer(2, "care", "new", 30.0),
                  HeldOffer(3, "sales", "transfer", 30.0)])
    desk.opened(1, won_in="sales")
    desk.opened(3)  # a transfer is nobody's race
    assert desk.availability_for("sales").won == 1
    assert desk.availability_for("care").won == 0


def test_a_race_won_after_the_offer_was_dropped_still_counts_as_won():
    desk = AgentDesk("ann", 5, state=AgentState.ONLINE)
    desk.receive([HeldOffer(1, "sales", "new", 30.0)])
    desk.set_state("offline", None, 1.0)  # the accept was already on its way to the queue
    desk.opened(1, won_in="sales")
    assert desk.open == {1} and desk.availability_for("sales").won == 1


def test_a_heavier_queue_may_count_on_slots_a_lighter_queues_offers_hold():
    desk = AgentDesk("ann", 1, state=AgentState.ONLINE, weights={"light": 0, "heavy": 9})
    desk.receive([HeldOffer(1, "light", "new", 30.0, weight=0)])
    assert desk.availability_for("heavy").budget == 1  # its offer would push the light one out
    intake = desk.receive([HeldOffer(2, "heavy", "new", 30.0, weight=9)])
    assert [o.interaction_id for o in intake.shown] == [2]
    assert [o.interaction_id for o in intake.bumped] == [1]
    assert desk.availability_for("light").budget == 0  # and the light queue must wait its turn
