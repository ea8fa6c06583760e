"""QueueActor: owns one queue's routing state (domain.routing.QueueRouting) and carries out its effects.

Offers and withdrawals for one desk are gathered while a slice of mail is handled and sent as one
`DeskMail` at the end of the slice, so a burst of arrivals costs one message per agent, not one per
agent per interaction. A won race is stored before anyone is told (OwnerStored).
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from server.actors import mail
from server.actors.runtime import ActorPool, PooledActor
from server.domain.desk import HeldOffer
from server.domain.events import QueueAnswered, QueueChanged, QueueRemoved
from server.domain.routing import Availability, Effect, Offer, QueueRouting, Record, Waiter, Withdraw
from server.errors import Conflict, Taken, Unavailable
from server.persistence.writes import RecordHistory, StoreOwner, utc

if TYPE_CHECKING:
    from server.actors.system import ActorSystem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueView:
    name: str
    waiting: list[int]
    offers_in_flight: int
    members: dict[str, Availability]
    waiting_since: dict[int, float] = field(default_factory=dict)  # interaction -> when it joined the queue


@dataclass
class _DeskOutbox:
    """What one desk gets at the end of the slice."""

    offers: list[HeldOffer] = field(default_factory=list)
    gone: list[mail.Gone] = field(default_factory=list)


class QueueActor(PooledActor):
    def __init__(self, pool: ActorPool, system: ActorSystem, routing: QueueRouting,
                 members: dict[str, Availability], waiting: list[int],
                 waiting_since: dict[int, float] | None = None, returned: set[int] | None = None) -> None:
        super().__init__(pool)
        self.system = system
        self.routing = routing
        self._initial_members = members
        self._initial_waiting = waiting
        self._initial_since = waiting_since or {}
        self._initial_returned = returned or set()
        self._desk_mail: dict[str, _DeskOutbox] = defaultdict(_DeskOutbox)
        self._history: list[RecordHistory] = []
        self._storing: dict[int, list[Any]] = {}  # won races being stored -> replies of later accepts
        self._won: dict[int, tuple[Waiter, float]] = {}  # won races being stored -> waiter, seconds waited
        self._timer_generation = 0
        self._timer_due: float | None = None
        self._published: tuple[Any, ...] | None = None

    @property
    def name(self) -> str:
        return self.routing.name

    def on_start(self) -> None:
        now = self.system.now()
        for agent, availability in self._initial_members.items():
            self._carry_out(self.routing.add_member(agent, availability, now))
        for interaction_id in self._initial_waiting:
            self._carry_out(self.routing.enqueue(interaction_id, now, record=False,
                                                 since=self._initial_since.get(interaction_id),
                                                 returned=interaction_id in self._initial_returned))
        self.on_slice_end()

    def on_stop(self) -> None:
        """Deleted (or the server stops): whoever shows the queue forgets it."""
        self.system.hub.publish(QueueRemoved(self.name))

    def on_receive(self, message: Any) -> Any:
        now = self.system.now()
        match message:
            case mail.Enqueue(interaction_id, returned):
                self._carry_out(self.routing.enqueue(interaction_id, now, returned=returned))
            case mail.MemberReport(agent, availability):
                self._carry_out(self.routing.update_member(agent, availability, now))
            case mail.AcceptOffer(agent, interaction_id, reply):
                self._accept(agent, interaction_id, reply, now)
            case mail.TakeWaiting(agent, interaction_id, reply):
                self._accept(agent, interaction_id, reply, now, take=True)
            case mail.OwnerStored():
                self._announce_owner(message, now)
            case mail.RejectOffer(agent, interaction_id, reply):
                try:
                    self._carry_out(self.routing.reject(agent, interaction_id, now))
                    reply.ok({"interaction_id": interaction_id, "rejected": True})
                except Conflict as error:
                    reply.fail(error)
            case mail.DeclineOffer(agent, interaction_id):
                self._carry_out(self.routing.decline(agent, interaction_id, now))
            case mail.QueueTick(generation):
                if generation == self._timer_generation:
                    self._timer_due = None
                    self._carry_out(self.routing.tick(now))
            case mail.SetRules(rules):
                self._carry_out(self.routing.set_rules(rules, now))
            case mail.AddMember(agent, availability):
                if agent in self.routing.members:  # already in: a fresh report, its offers kept
                    self._carry_out(self.routing.update_member(agent, availability, now))
                else:
                    self._carry_out(self.routing.add_member(agent, availability, now))
            case mail.RemoveMember(agent):
                self._carry_out(self.routing.remove_member(agent, now))
            case mail.AvailableMembers(reply):
                reply.ok(sorted(a for a in self.routing.members
                                if (av := self.routing.availability_of(a)) is not None and av.available))
            case mail.Snapshot(reply):
                reply.ok(QueueView(self.name, self.routing.waiting_ids, self.routing.offers_in_flight(),
                                   {a: av for a in self.routing.members
                                    if (av := self.routing.availability_of(a)) is not None},  # every member has one
                                   self.routing.waiting_since()))
            case _:
                log.warning("%s got unexpected %r", self, message)

    # --- the acceptance race -------------------------------------------------------------------
    def _accept(self, agent: str, interaction_id: int, reply: Any, now: float, *, take: bool = False) -> None:
        """The race is decided here, for an offer accepted or a waiting interaction taken from the list;
        nobody hears the verdict before the new owner is stored."""
        if interaction_id in self._storing:
            self._storing[interaction_id].append(reply)
            return
        waiter = self.routing.waiter(interaction_id)
        try:
            effects = (self.routing.take if take else self.routing.accept)(agent, interaction_id, now)
        except Conflict as error:
            reply.fail(error)
            return
        if waiter is not None:
            self._won[interaction_id] = (waiter, max(0.0, now - waiter.since))
        losers = tuple(e.agent for e in effects if isinstance(e, Withdraw) and e.reason == "taken")
        self._carry_out([e for e in effects if not (isinstance(e, Withdraw) and e.reason == "taken")
                         and not (isinstance(e, Record) and e.kind == "accepted")])  # stored with the owner
        self._storing[interaction_id] = []

        def stored(_: Any, error: BaseException | None) -> None:
            self.actor_ref.tell(mail.OwnerStored(agent, interaction_id, losers, reply, error))

        self.system.writer.submit_threadsafe(StoreOwner(interaction_id, agent, utc(now)), stored)

    def _announce_owner(self, stored: mail.OwnerStored, now: float) -> None:
        late = self._storing.pop(stored.interaction_id, [])
        won = self._won.pop(stored.interaction_id, None)
        if stored.error is not None:
            log.error("could not store the owner of interaction %s: %s", stored.interaction_id, stored.error)
            for agent in (stored.agent, *stored.losers):
                self._desk(agent).gone.append(mail.Gone(stored.interaction_id, "closed"))
            assert won is not None  # an accept that got this far had a waiter
            self._carry_out(self.routing.accept_failed(stored.agent, stored.interaction_id, list(stored.losers), now,
                                                       won[0]))
            stored.reply.fail(Unavailable("Could not save the acceptance; try again."))
            for reply in late:
                reply.fail(Conflict("The offer changed while you accepted; look at your offers again.",
                                    code="offer_gone"))
            return
        desk = self.system.desk(stored.agent)
        if desk is not None:  # before the interaction hears of its owner, whose unread count follows
            desk.tell(mail.DeskMail(opened=(mail.Opened(stored.interaction_id, self.name),)))
        interaction = self.system.interaction(stored.interaction_id)
        if interaction is not None:
            interaction.tell(mail.Assigned(stored.agent))
        taken = mail.Gone(stored.interaction_id, "taken", stored.agent)
        for loser in stored.losers:
            self._desk(loser).gone.append(taken)
        self._carry_out(self.routing.losers_told(list(stored.losers), now))
        stored.reply.ok({"interaction_id": stored.interaction_id, "owner": stored.agent})
        if won is not None and not won[0].returned:  # answered once, however often it comes back
            self.system.hub.publish(QueueAnswered(self.name, stored.interaction_id, stored.agent, won[1]))
        for reply in late:
            reply.fail(Taken(stored.agent))

    # --- effects ---------------------------------------------------------------------------------
    def _desk(self, agent: str) -> _DeskOutbox:
        return self._desk_mail[agent]

    def _carry_out(self, effects: list[Effect]) -> None:
        """One offer object per interaction and one notice per withdrawal, shared by every desk concerned."""
        offers: dict[tuple[int, float], HeldOffer] = {}
        notices: dict[tuple[int, str, str | None], mail.Gone] = {}
        for effect in effects:
            if type(effect) is Offer:
                same_offer = (effect.interaction_id, effect.deadline)
                offer = offers.get(same_offer)
                if offer is None:
                    offer = offers[same_offer] = HeldOffer(effect.interaction_id, self.name, "new", effect.deadline,
                                                    self.routing.rules.weight, effect.interaction_id)
                self._desk_mail[effect.agent].offers.append(offer)
            elif type(effect) is Withdraw:
                same_notice = (effect.interaction_id, effect.reason, effect.by)
                notice = notices.get(same_notice)
                if notice is None:
                    notice = notices[same_notice] = mail.Gone(effect.interaction_id, effect.reason, effect.by)
                self._desk_mail[effect.agent].gone.append(notice)
            elif type(effect) is Record:
                self._history.append(RecordHistory(effect.interaction_id, effect.kind, effect.agents,
                                                   at=utc(self.system.now())))

    def on_slice_end(self) -> None:
        for agent, outbox in self._desk_mail.items():
            desk = self.system.desk(agent)
            if desk is not None:
                desk.tell(mail.DeskMail(tuple(outbox.offers), tuple(outbox.gone)))
        self._desk_mail.clear()
        if self._history:
            self.system.writer.submit_many_threadsafe(list(self._history))
            self._history.clear()
        self._schedule_tick()
        figures = (self.routing.waiting_count, self.routing.offers_in_flight(), self.routing.oldest_since,
                   self.routing.rules.target_seconds)
        if self._published != figures:
            self._published = figures
            self.system.hub.publish(QueueChanged(self.name, *figures))

    def _schedule_tick(self) -> None:
        due = self.routing.next_deadline()
        if due is None or due == self._timer_due:
            return
        self._timer_due = due
        self._timer_generation += 1
        self.system.timers.after(due - self.system.now() + 0.001, self.actor_ref,
                                 mail.QueueTick(self._timer_generation))
