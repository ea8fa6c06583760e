"""A queue's routing rules (SPEC R1-R6): waiting order, who gets offered what, rejects, timeouts, the race.

`QueueRouting` is a plain synchronous state machine. Every command returns the effects it caused
(offers to make, offers to withdraw, history to record); the queue actor carries them out.
What the queue knows about its agents is their last reported `Availability`, minus the offers it
holds; the agent's own desk (desk.py) stays the authority and declines an offer it cannot hold.
"""
from __future__ import annotations

import heapq
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Literal

from server.errors import Conflict, Taken

Agent = str


class Strategy(StrEnum):
    RING_ALL = "ring_all"
    ROUND_ROBIN = "round_robin"
    LEAST_RECENT = "least_recent"
    LEAST_BUSY = "least_busy"


@dataclass(frozen=True)
class QueueRules:
    strategy: Strategy = Strategy.RING_ALL
    weight: int = 0
    offer_timeout: float = 30.0
    reoffer_delay: float = 60.0
    capacity: int = 5
    target_seconds: float = 60.0  # answered within this is on target (supervisor board); routing ignores it


@dataclass(slots=True)
class Availability:
    """An agent's session as its queues see it."""

    available: bool = False  # online: not paused, not offline
    budget: int = 0  # capacity - open interactions - offers held from *other* queues
    open_count: int = 0
    idle_since: float = 0.0
    paused: bool = False  # takes no new offers but keeps those shown (only going offline withdraws them)
    won: int = 0  # races of this queue the desk has seen the agent win (see QueueRouting.update_member)
    own_capacity: bool = False  # the agent's own capacity applies instead of the queue's per-agent one


WithdrawReason = Literal["taken", "timeout", "closed", "declined"]
HistoryKind = Literal["queued", "offered", "rejected", "timed_out", "accepted"]


@dataclass(slots=True)
class Offer:
    agent: Agent
    interaction_id: int
    deadline: float


@dataclass(slots=True)
class Withdraw:
    agent: Agent
    interaction_id: int
    reason: WithdrawReason
    by: Agent | None = None


@dataclass(slots=True)
class Record:
    """A line of an interaction's routing history (SPEC R12)."""

    interaction_id: int
    kind: HistoryKind
    agents: tuple[Agent, ...] = ()


Effect = Offer | Withdraw | Record


@dataclass
class Waiter:
    interaction_id: int
    since: float = 0.0  # when it joined the queue
    returned: bool = False  # answered before, back because its owner can no longer serve it
    offered: dict[Agent, float] = field(default_factory=dict)  # agent -> offer deadline
    refused: dict[Agent, float] = field(default_factory=dict)  # agent -> when it may be offered again


@dataclass
class _Member:
    availability: Availability
    own_offers: int = 0  # offers of this queue the agent holds now
    wins: int = 0  # races of this queue the agent won
    starved: bool = False  # ring-all passed it over for lack of room: has waiters to catch up on

    @property
    def free(self) -> int:
        return self.availability.budget - self.own_offers


class QueueRouting:
    """Waiting interactions of one queue, in arrival order, and the offers in flight for them."""

    _TAKEN_MEMORY = 10_000

    def __init__(self, name: str, rules: QueueRules) -> None:
        self.name = name
        self.rules = rules
        self._waiting: OrderedDict[int, Waiter] = OrderedDict()
        self._members: dict[Agent, _Member] = {}
        self._last_served: Agent | None = None
        self._taken_by: OrderedDict[int, Agent] = OrderedDict()
        self._due: list[tuple[float, int]] = []  # (when, interaction): offer deadlines and refusal ends

    # --- reading -----------------------------------------------------------------------------
    @property
    def waiting_ids(self) -> list[int]:
        return list(self._waiting)

    @property
    def waiting_count(self) -> int:
        return len(self._waiting)

    @property
    def oldest_since(self) -> float | None:
        """When the interaction waiting longest joined the queue."""
        first = next(iter(self._waiting.values()), None)
        return first.since if first is not None else None

    def waiting_since(self) -> dict[int, float]:
        """Each waiting interaction, in line order, with when it joined the queue."""
        return {i: w.since for i, w in self._waiting.items()}

    def waiter(self, interaction_id: int) -> Waiter | None:
        return self._waiting.get(interaction_id)

    def offers_to(self, agent: Agent) -> list[int]:
        return [w.interaction_id for w in self._waiting.values() if agent in w.offered]

    def offers_in_flight(self) -> int:
        return sum(len(w.offered) for w in self._waiting.values())

    @property
    def members(self) -> list[Agent]:
        return list(self._members)

    def availability_of(self, agent: Agent) -> Availability | None:
        member = self._members.get(agent)
        return member.availability if member else None

    def next_deadline(self) -> float | None:
        """When `tick` next may have something to do: an offer expiring or a refusal lapsing."""
        while self._due and not self._still_due(*self._due[0]):
            heapq.heappop(self._due)  # taken, left, accepted or rejected since: nothing to time
        return self._due[0][0] if self._due else None

    def _still_due(self, when: float, interaction_id: int) -> bool:
        waiter = self._waiting.get(interaction_id)
        return waiter is not None and (when in waiter.offered.values() or when in waiter.refused.values())

    # --- configuration -----------------------------------------------------------------------
    def set_rules(self, rules: QueueRules, now: float) -> list[Effect]:
        self.rules = rules
        return self._dispatch(now)

    def add_member(self, agent: Agent, availability: Availability, now: float) -> list[Effect]:
        self._members[agent] = _Member(availability)
        return self._dispatch(now, only_agents=[agent])

    def remove_member(self, agent: Agent, now: float) -> list[Effect]:
        self._members.pop(agent, None)
        effects: list[Effect] = []
        for waiter in self._waiting.values():
            if waiter.offered.pop(agent, None) is not None:
                effects.append(Withdraw(agent, waiter.interaction_id, "closed"))
            waiter.refused.pop(agent, None)
        return effects + self._dispatch(now)

    # --- commands ----------------------------------------------------------------------------
    def enqueue(self, interaction_id: int, now: float, *, record: bool = True,
                since: float | None = None, returned: bool = False) -> list[Effect]:
        """A new interaction waits at the end of the line (restarts re-enqueue in stored order, `since` their
        arrival); so does one `returned` by an owner who can no longer serve it."""
        if interaction_id in self._waiting:
            return []
        self._waiting[interaction_id] = Waiter(interaction_id, since=now if since is None else since,
                                               returned=returned)
        effects: list[Effect] = [Record(interaction_id, "queued")] if record else []
        return effects + self._dispatch(now, only_interaction=interaction_id)

    def update_member(self, agent: Agent, availability: Availability, now: float) -> list[Effect]:
        """The agent's session reported a change; offers it no longer can take were dropped by its desk."""
        member = self._members.get(agent)
        if member is None:
            return []
        unseen = member.wins - availability.won
        if unseen > 0:  # the report left before the desk learnt of races won since: count them in
            availability = replace(availability, budget=max(0, availability.budget - unseen),
                                   open_count=availability.open_count + unseen)
        came_online = availability.available and not member.availability.available
        member.availability = availability
        if not availability.available and not availability.paused:  # offline: its offers go to others
            for waiter in self._waiting.values():
                waiter.offered.pop(agent, None)
            member.own_offers = 0
            return self._dispatch(now)
        if self.rules.strategy is Strategy.RING_ALL and not (came_online or member.starved):
            return []  # it already holds every waiter it could take
        return self._dispatch(now, only_agents=[agent])

    def reject(self, agent: Agent, interaction_id: int, now: float) -> list[Effect]:
        waiter = self._waiting.get(interaction_id)
        if waiter is None or agent not in waiter.offered:
            raise Conflict("This offer is no longer open.", code="offer_gone")
        del waiter.offered[agent]
        self._refuse(waiter, agent, now)
        self._give_back_slot(agent)
        return [Record(interaction_id, "rejected", (agent,))] + self._refill([agent], now)

    def decline(self, agent: Agent, interaction_id: int, now: float) -> list[Effect]:
        """The agent's desk could not hold the offer (full from other queues): no penalty."""
        waiter = self._waiting.get(interaction_id)
        if waiter is None or waiter.offered.pop(agent, None) is None:
            return []
        self._give_back_slot(agent)
        member = self._members.get(agent)
        if member is not None:  # no more offers until the desk reports room again
            member.availability = replace(member.availability, budget=member.own_offers)
            member.starved = True
        return self._refill([], now)

    def tick(self, now: float) -> list[Effect]:
        """Expire offers past their deadline (a timeout counts as a reject) and lapse old refusals."""
        effects: list[Effect] = []
        due: set[int] = set()
        while self._due and self._due[0][0] <= now:
            due.add(heapq.heappop(self._due)[1])
        for waiter in [w for i, w in self._waiting.items() if i in due]:
            expired = [a for a, deadline in waiter.offered.items() if deadline <= now]
            for agent in expired:
                del waiter.offered[agent]
                self._refuse(waiter, agent, now)
                self._give_back_slot(agent)
                effects.append(Withdraw(agent, waiter.interaction_id, "timeout"))
            if expired:
                effects.append(Record(waiter.interaction_id, "timed_out", tuple(expired)))
            for agent in [a for a, until in waiter.refused.items() if until <= now]:
                del waiter.refused[agent]
            self._schedule(waiter)
        return effects + self._dispatch(now)

    def accept(self, agent: Agent, interaction_id: int, now: float) -> list[Effect]:
        """The first agent to accept owns the interaction; everyone else who had it is told who took it."""
        waiter = self._still_waiting(interaction_id)
        if agent not in waiter.offered:
            raise Conflict("This offer is no longer open for you.", code="offer_gone")
        return self._won(agent, waiter, now)

    def take(self, agent: Agent, interaction_id: int, now: float) -> list[Effect]:
        """A member takes a waiting interaction from the waiting list, offered to them or not (a rejection or a
        timeout does not bar it: the re-offer delay is for automatic offers). Same race as `accept`."""
        waiter = self._still_waiting(interaction_id)
        if agent not in self._members:
            raise Conflict(f"You are not an agent of the queue {self.name}.", code="not_member")
        return self._won(agent, waiter, now)

    def _still_waiting(self, interaction_id: int) -> Waiter:
        """The interaction's place in line, or who was first to take it."""
        waiter = self._waiting.get(interaction_id)
        if waiter is not None:
            return waiter
        winner = self._taken_by.get(interaction_id)
        if winner:
            raise Taken(winner)
        raise Conflict("This interaction is no longer waiting.", code="taken")

    def _won(self, agent: Agent, waiter: Waiter, now: float) -> list[Effect]:
        interaction_id = waiter.interaction_id
        del self._waiting[interaction_id]
        self._remember_taken(interaction_id, agent)
        self._last_served = agent
        member = self._members.get(agent)
        if member is not None:  # the slot an offer held (if any) becomes an open interaction
            if agent in waiter.offered:
                member.own_offers -= 1
            member.wins += 1
            av = member.availability
            member.availability = replace(av, budget=av.budget - 1, open_count=av.open_count + 1, idle_since=now)
        effects: list[Effect] = [Record(interaction_id, "accepted", (agent,))]
        for other in waiter.offered:
            if other != agent:
                effects.append(Withdraw(other, interaction_id, "taken", by=agent))
        return effects + self._refill([], now)  # nothing freed: the offer's slot became the interaction

    def accept_failed(self, agent: Agent, interaction_id: int, losers: list[Agent], now: float,
                      waiter: Waiter) -> list[Effect]:
        """The won race could not be stored: undo it, and the interaction (`waiter` as it was) waits in its
        old place again."""
        member = self._members.get(agent)
        if member is not None:
            av = member.availability
            member.availability = replace(av, budget=av.budget + 1, open_count=max(0, av.open_count - 1))
            member.wins -= 1
        for other in losers:
            self._give_back_slot(other)
        self._taken_by.pop(interaction_id, None)
        self._waiting[interaction_id] = Waiter(interaction_id, since=waiter.since, returned=waiter.returned)
        self._waiting = OrderedDict(sorted(self._waiting.items(), key=lambda item: (item[1].since, item[0])))
        return self._dispatch(now)

    def losers_told(self, losers: list[Agent], now: float) -> list[Effect]:
        """The other agents of a won race are being told: their slots are free again from now on.

        Until then the slots stay counted, exactly as the agents' desks still hold the offer; a queue
        that freed them earlier would offer into slots the desks see as full.
        """
        for agent in losers:
            self._give_back_slot(agent)
        return self._refill(losers, now)

    def cancel(self, interaction_id: int, now: float) -> list[Effect]:
        """The interaction left the queue without an owner (closed while waiting)."""
        waiter = self._waiting.pop(interaction_id, None)
        if waiter is None:
            return []
        effects: list[Effect] = []
        for agent in waiter.offered:
            self._give_back_slot(agent)
            effects.append(Withdraw(agent, interaction_id, "closed"))
        return effects + self._refill(list(waiter.offered), now)

    # --- internals ---------------------------------------------------------------------------
    def _remember_taken(self, interaction_id: int, agent: Agent) -> None:
        self._taken_by[interaction_id] = agent
        while len(self._taken_by) > self._TAKEN_MEMORY:
            self._taken_by.popitem(last=False)

    def _refuse(self, waiter: Waiter, agent: Agent, now: float) -> None:
        """The agent rejected or let the offer time out: not offered this one again before the delay."""
        waiter.refused[agent] = until = now + self.rules.reoffer_delay
        heapq.heappush(self._due, (until, waiter.interaction_id))

    def _schedule(self, waiter: Waiter) -> None:
        """Make sure the waiter's earliest remaining deadline is timed (after a tick took its entries)."""
        times = [*waiter.offered.values(), *waiter.refused.values()]
        if times:
            heapq.heappush(self._due, (min(times), waiter.interaction_id))

    def _give_back_slot(self, agent: Agent) -> None:
        member = self._members.get(agent)
        if member is not None and member.own_offers > 0:
            member.own_offers -= 1

    def _has_room(self, member: _Member) -> bool:
        av = member.availability
        return av.available and member.free > 0 and (
            av.own_capacity or av.open_count + member.own_offers < self.rules.capacity)

    def _eligible(self, agent: Agent, member: _Member, waiter: Waiter) -> bool:
        return self._has_room(member) and agent not in waiter.offered and agent not in waiter.refused

    def _refill(self, agents: list[Agent], now: float) -> list[Effect]:
        """Slots came free for `agents`. Ring-all offers each what it was passed over for (nothing, when it
        never ran out of room); one-at-a-time strategies look again for an agent for every waiter."""
        if self.rules.strategy is not Strategy.RING_ALL:
            return self._dispatch(now)
        starved = [a for a in agents if a in self._members and self._members[a].starved]
        return self._dispatch(now, only_agents=starved) if starved else []

    def _dispatch(self, now: float, *, only_agents: list[Agent] | None = None,
                  only_interaction: int | None = None) -> list[Effect]:
        """Offer waiters, oldest first, to eligible agents by the queue's strategy."""
        if not self._waiting or not self._members:
            return []
        candidates = (self._members if only_agents is None
                      else {a: self._members[a] for a in only_agents if a in self._members})
        with_room = {}
        for agent, member in candidates.items():
            if self._has_room(member):
                with_room[agent] = member
            elif member.availability.available:
                member.starved = True
        if not with_room:
            return []
        full_scan = only_interaction is None
        if only_interaction is not None and self.rules.strategy is Strategy.RING_ALL:
            waiters = [self._waiting[only_interaction]]
        else:
            waiters = list(self._waiting.values())
        effects: list[Effect] = []
        deadline = now + self.rules.offer_timeout
        for waiter in waiters:
            if self.rules.strategy is Strategy.RING_ALL:
                chosen = [a for a, m in with_room.items() if self._eligible(a, m, waiter)]
            elif waiter.offered:
                continue  # one agent at a time
            else:
                pick = self._pick_one(waiter)
                chosen = [pick] if pick is not None else []
            for agent in chosen:
                waiter.offered[agent] = deadline
                member = self._members[agent]
                member.own_offers += 1
                if not self._has_room(member):
                    with_room.pop(agent, None)
                    member.starved = True
                effects.append(Offer(agent, waiter.interaction_id, deadline))
            if chosen:
                heapq.heappush(self._due, (deadline, waiter.interaction_id))
                effects.append(Record(waiter.interaction_id, "offered", tuple(chosen)))
            if not with_room:
                break
        if full_scan:
            for member in with_room.values():
                member.starved = False  # it has been offered every waiter it may take
        return effects

    def _pick_one(self, waiter: Waiter) -> Agent | None:
        eligible = [a for a, m in self._members.items() if self._eligible(a, m, waiter)]
        if not eligible:
            return None
        strategy = self.rules.strategy
        if strategy is Strategy.LEAST_BUSY:
            return min(eligible, key=lambda a: (self._members[a].availability.open_count, a))
        if strategy is Strategy.LEAST_RECENT:
            return min(eligible, key=lambda a: (self._members[a].availability.idle_since, a))
        order = list(self._members)  # round-robin with memory: continue after the last one served
        start = order.index(self._last_served) + 1 if self._last_served in order else 0
        rotated = order[start:] + order[:start]
        return next(a for a in rotated if a in eligible)
