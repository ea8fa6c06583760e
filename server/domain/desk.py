"""An agent's desk (SPEC R1, R2, R6): state, capacity, the offers it holds, the interactions it owns.

The desk is the authority on what an agent can take: queues offer by what the agent last reported,
and the desk keeps only the offers that fit, preferring heavier queues, then older offers.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from server.domain.routing import Availability
from server.errors import Conflict, Forbidden, Invalid

OfferKind = Literal["new", "transfer"]


class AgentState(StrEnum):
    OFFLINE = "offline"
    ONLINE = "online"
    PAUSED = "paused"


@dataclass(slots=True)
class HeldOffer:
    """Not frozen (a frozen dataclass costs four times as much to build, and every offer of a ring-all queue
    is one); nothing changes one once made, and a queue shares one among every desk it offers it to."""

    interaction_id: int
    queue: str
    kind: OfferKind
    deadline: float
    weight: int = 0
    seq: int = 0  # arrival order at the queue, older first

    @property
    def priority(self) -> tuple[int, int]:
        """Smaller sorts first: heavier queue, then older interaction."""
        return (-self.weight, self.seq)


@dataclass(frozen=True)
class DeskIntake:
    shown: list[HeldOffer]
    declined: list[HeldOffer]  # never shown to the agent
    bumped: list[HeldOffer]  # were shown, dropped for a heavier queue's offer


def parse_state(state: str, reason: str | None) -> tuple[AgentState, str | None]:
    """A requested state and its reason, checked; the reason is kept for a pause only."""
    try:
        parsed = AgentState(state)
    except ValueError:
        raise Invalid(f"Unknown state {state!r}: use online, paused or offline.") from None
    reason = (reason or "").strip() or None
    if reason and len(reason) > 100:
        raise Invalid("The pause reason is limited to 100 characters.")
    return parsed, reason if parsed is AgentState.PAUSED else None


class AgentDesk:
    def __init__(self, username: str, capacity: int, *, state: AgentState = AgentState.OFFLINE,
                 reason: str | None = None, open_ids: tuple[int, ...] = (), now: float = 0.0,
                 weights: dict[str, int] | None = None, own_capacity: bool = False) -> None:
        self.username = username
        self.capacity = capacity
        self.own_capacity = own_capacity  # the agent's own setting, not their queues'
        self.weights = dict(weights or {})  # the agent's queues and their weights
        self.state = state
        self.reason = reason
        self.open: set[int] = set(open_ids)
        self.offers: dict[int, HeldOffer] = {}
        self._new_held: Counter[tuple[str, int]] = Counter()  # new offers held, per (queue, weight)
        self.idle_since = now
        self._won_from: dict[str, int] = {}  # per queue: races won, as reported back to that queue

    @property
    def available(self) -> bool:
        return self.state is AgentState.ONLINE

    def _new_offers(self) -> list[HeldOffer]:
        return [o for o in self.offers.values() if o.kind == "new"]

    def _hold(self, offer: HeldOffer) -> None:
        self.offers[offer.interaction_id] = offer
        if offer.kind == "new":
            self._new_held[(offer.queue, offer.weight)] += 1

    def withdraw(self, interaction_id: int) -> HeldOffer | None:
        offer = self.offers.pop(interaction_id, None)
        if offer is not None and offer.kind == "new":
            key = (offer.queue, offer.weight)
            self._new_held[key] -= 1
            if not self._new_held[key]:
                del self._new_held[key]
        return offer

    def availability_for(self, queue: str) -> Availability:
        """What `queue` may count on: capacity minus open interactions and the offers of other queues that
        weigh as much or more (a lighter queue's offer gives way to this queue's, see `receive`)."""
        weight = self.weights.get(queue, 0)
        others = sum(n for (q, w), n in self._new_held.items() if q != queue and w >= weight)
        budget = max(0, self.capacity - len(self.open) - others)
        return Availability(self.available, budget, len(self.open), self.idle_since,
                            self.state is AgentState.PAUSED, self._won_from.get(queue, 0), self.own_capacity)

    def set_state(self, state: str, reason: str | None, now: float) -> list[HeldOffer]:
        """Change state; going offline withdraws every offer held. Returns the withdrawn offers."""
        new_state, self.reason = parse_state(state, reason)
        self.state = new_state
        if new_state is AgentState.ONLINE and not self.open:
            self.idle_since = now
        if new_state is not AgentState.OFFLINE:
            return []
        withdrawn = list(self.offers.values())
        self.offers.clear()
        self._new_held.clear()
        return withdrawn

    def join_queue(self, queue: str, weight: int) -> bool:
        """The agent is in `queue` (now, or with a new weight); True when it was not before."""
        joined = queue not in self.weights
        self.weights[queue] = weight
        return joined

    def leave_queue(self, queue: str) -> None:
        """The agent left `queue`; its offers of the queue are withdrawn by the queue itself."""
        self.weights.pop(queue, None)

    def set_capacity(self, capacity: int) -> list[HeldOffer]:
        """A new capacity (an admin changed the agent's queues); returns the new offers that no longer fit."""
        self.capacity = capacity
        return self._trim()

    def receive(self, offers: list[HeldOffer]) -> DeskIntake:
        """Take offers in; keep those that fit the free capacity, best priority first."""
        shown: list[HeldOffer] = []
        declined: list[HeldOffer] = []
        for offer in offers:
            # New work goes to online agents; a transfer to a paused agent waits for them (offline: no).
            takes = self.available if offer.kind == "new" else self.state is not AgentState.OFFLINE
            if offer.interaction_id in self.open or not takes:
                declined.append(offer)
            elif offer.interaction_id not in self.offers:
                self._hold(offer)
                shown.append(offer)
        bumped: list[HeldOffer] = []
        for extra in self._trim():
            if extra in shown:
                shown.remove(extra)
                declined.append(extra)
            else:
                bumped.append(extra)
        return DeskIntake(shown, declined, bumped)

    def _trim(self) -> list[HeldOffer]:
        """Drop the new offers beyond the free capacity, worst priority first; returns them."""
        room = max(0, self.capacity - len(self.open))
        if sum(self._new_held.values()) <= room:
            return []
        extra = sorted(self._new_offers(), key=lambda o: o.priority)[room:]
        for offer in extra:
            self.withdraw(offer.interaction_id)
        return extra

    def check_tab_limit(self, most_open: int | None, interaction_id: int, accepting: set[int]) -> None:
        """May the agent open `interaction_id` under the admin's limit of conversations open at once (SPEC D4;
        None: no limit here)? Those being accepted count as open: two accepts at once do not pass it together."""
        if most_open is not None and len((self.open | accepting) - {interaction_id}) >= most_open:
            raise Conflict(f"You have the most open conversations allowed ({most_open}): close one first.",
                           code="tab_limit")

    def offer_for_accept(self, interaction_id: int) -> HeldOffer:
        """The offer the agent may accept, or a clear refusal."""
        offer = self.offers.get(interaction_id)
        if offer is None:
            raise Conflict("You have no open offer for this interaction.", code="offer_gone")
        if offer.kind == "new" and len(self.open) >= self.capacity:
            raise Conflict("You are at capacity: close an interaction first.", code="at_capacity")
        return offer

    def check_take(self, interaction_id: int, queue: str) -> None:
        """May the agent take this conversation from `queue`'s waiting list? A clear refusal if not."""
        if interaction_id in self.open:
            raise Conflict("You already own this interaction.", code="already_owner")
        if queue not in self.weights:
            raise Forbidden(f"You are not an agent of the queue {queue}.", code="not_member")
        if self.state is AgentState.OFFLINE:
            raise Conflict("You are offline: go online to take a conversation.", code="offline")
        if len(self.open) >= self.capacity:
            raise Conflict("You are at capacity: close an interaction first.", code="at_capacity")

    def opened(self, interaction_id: int, won_in: str | None = None) -> list[HeldOffer]:
        """The agent now owns it: won a race of the queue `won_in`, or accepted a transfer.

        Returns the new offers that no longer fit (a transfer filled the last slot), to decline.
        """
        self.withdraw(interaction_id)
        if won_in is not None:  # counted even when the offer was dropped meanwhile (offline, rejected)
            self._won_from[won_in] = self._won_from.get(won_in, 0) + 1
        self.open.add(interaction_id)
        return self._trim()

    def released(self, interaction_id: int, now: float) -> None:
        """An interaction left the agent (closed or transferred away)."""
        self.open.discard(interaction_id)
        if not self.open:
            self.idle_since = now
