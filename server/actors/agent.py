"""AgentSessionActor: owns one agent's desk (domain.desk.AgentDesk).

It is where an agent's own actions start (state, accept, reject), and the authority on what the agent
can hold: it keeps the offers that fit, declines the rest, and tells its queues what it can take
whenever that changed for reasons they cannot see (state, an interaction closed, another queue's
offers). Unread counts of the agent's interactions arrive here from the interactions.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pykka

from server.actors import mail
from server.actors.bridge import NoReply
from server.actors.runtime import ActorPool, PooledActor
from server.domain.desk import AgentDesk, HeldOffer, parse_state
from server.domain.events import (AgentStateChanged, DeskStarted, InteractionOwned, InteractionReleased, OfferGone,
                                  OfferShown, UnreadChanged)
from server.domain.routing import Availability
from server.errors import Conflict, Forbidden, Invalid, ProductError, Taken, Unavailable
from server.persistence.writes import StoreAgentState

if TYPE_CHECKING:
    from server.actors.system import ActorSystem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeskView:
    username: str
    state: str
    reason: str | None
    capacity: int
    offers: list[HeldOffer]
    open: list[int]
    unread: dict[int, int]
    queues: tuple[str, ...] = ()


class AgentSessionActor(PooledActor):
    def __init__(self, pool: ActorPool, system: ActorSystem, desk: AgentDesk, queues: list[str],
                 unread: dict[int, int] | None = None) -> None:
        super().__init__(pool)
        self.system = system
        self.desk = desk
        self.queues = list(queues)
        self.unread: dict[int, int] = dict(unread or {})
        self._reported: dict[str, Availability] = {q: desk.availability_for(q) for q in queues}
        self._recently_gone: OrderedDict[int, mail.Gone] = OrderedDict()  # to answer a late accept exactly
        self._accepting: set[int] = set()  # accepts on their way: the offer may not be rejected meanwhile

    @property
    def username(self) -> str:
        return self.desk.username

    def on_start(self) -> None:
        self._announce_desk()

    def _announce_desk(self) -> None:
        """What the supervisor board needs to know of this desk besides its events."""
        self.system.hub.publish(DeskStarted(self.username, self.desk.state.value, self.desk.reason,
                                            self.desk.capacity, tuple(self.queues),
                                            tuple(sorted(self.desk.open))))

    def on_receive(self, message: Any) -> Any:
        now = self.system.now()
        match message:
            case mail.DeskMail():
                self._take_mail(message, now)
            case mail.SetState(state, reason, reply):
                self._request_state(state, reason, reply)
            case mail.StateStored():
                self._apply_state(message, now)
            case mail.Accept(interaction_id, reply, most_open):
                self._accept(interaction_id, reply, most_open)
            case mail.Take(interaction_id, queue, reply, most_open):
                self._take(interaction_id, queue, reply, most_open)
            case mail.Reject(interaction_id, reply):
                self._reject(interaction_id, reply)
            case mail.AcceptEnded(interaction_id):
                self._accepting.discard(interaction_id)
            case mail.Released(interaction_id, reason):
                self.desk.released(interaction_id, now)
                self.unread.pop(interaction_id, None)
                self.system.hub.publish(InteractionReleased(self.username, interaction_id, reason))
            case mail.UnreadNotice(interaction_id, unread):
                if interaction_id in self.desk.open:
                    self.unread[interaction_id] = unread
                    self.system.hub.publish(UnreadChanged(self.username, interaction_id, unread,
                                                          sum(self.unread.values())))
            case mail.QueueMembership(queue, weight, capacity):
                self._membership(queue, weight, capacity)
            case mail.SetCapacity(capacity, own):
                self.desk.own_capacity = own
                self._set_capacity(capacity)
                self._announce_desk()
            case mail.Snapshot(reply):
                reply.ok(DeskView(self.username, self.desk.state.value, self.desk.reason, self.desk.capacity,
                                  sorted(self.desk.offers.values(), key=lambda o: o.priority),
                                  sorted(self.desk.open), dict(self.unread), tuple(self.queues)))
            case _:
                log.warning("%s got unexpected %r", self, message)

    def on_slice_end(self) -> None:
        """Tell each queue what the agent can take now, where that changed."""
        for queue in self.queues:
            availability = self.desk.availability_for(queue)
            if self._reported.get(queue) != availability:
                self._reported[queue] = availability
                ref = self.system.queue(queue)
                if ref is not None:
                    ref.tell(mail.MemberReport(self.username, availability))

    # --- membership (an admin's change) ---------------------------------------------------------
    def _membership(self, queue: str, weight: int | None, capacity: int | None) -> None:
        """Join or leave a queue, or take its new weight, and the desk's new capacity. The queue hears it
        from here, after anything this desk told it before: a join never overtakes a leave."""
        ref = self.system.queue(queue)
        joined = False
        if weight is None:
            self.desk.leave_queue(queue)
            if queue in self.queues:
                self.queues.remove(queue)
            self._reported.pop(queue, None)
            self._tell_queue(ref, mail.RemoveMember(self.username))
        else:
            joined = self.desk.join_queue(queue, weight)
            if queue not in self.queues:
                self.queues.append(queue)
        if capacity is not None:
            self._set_capacity(capacity)
        if joined:
            availability = self.desk.availability_for(queue)
            self._reported[queue] = availability
            self._tell_queue(ref, mail.AddMember(self.username, availability))
        self._announce_desk()

    def _set_capacity(self, capacity: int) -> None:
        """Decline the new offers that no longer fit; the queues hear the new room at the slice's end."""
        if capacity != self.desk.capacity:
            for offer in self.desk.set_capacity(capacity):
                self._decline(offer)
                self.system.hub.publish(OfferGone(self.username, offer.interaction_id, "declined"))

    @staticmethod
    def _tell_queue(ref: Any, message: Any) -> None:
        try:
            if ref is not None:
                ref.tell(message)
        except pykka.ActorDeadError:
            pass  # the queue was deleted meanwhile

    # --- offers ----------------------------------------------------------------------------------
    def _take_mail(self, desk_mail: mail.DeskMail, now: float) -> None:
        for gone in desk_mail.gone:
            if self.desk.withdraw(gone.interaction_id) is not None:
                self._remember_gone(gone)
                self.system.hub.publish(OfferGone(self.username, gone.interaction_id, gone.reason, gone.by))
        for opened in desk_mail.opened:
            self._accepting.discard(opened.interaction_id)
            no_room = self.desk.opened(opened.interaction_id, opened.won_in)
            self.system.hub.publish(InteractionOwned(self.username, opened.interaction_id))
            for offer in no_room:
                self._decline(offer)
                self.system.hub.publish(OfferGone(self.username, offer.interaction_id, "declined"))
        if desk_mail.offers:
            intake = self.desk.receive(list(desk_mail.offers))
            for offer in intake.shown:
                self.system.hub.publish(OfferShown(self.username, offer.interaction_id, offer.queue, offer.kind,
                                                   offer.deadline))
            for offer in [*intake.declined, *intake.bumped]:
                self._decline(offer)
            for offer in intake.bumped:
                self.system.hub.publish(OfferGone(self.username, offer.interaction_id, "declined"))

    def _decline(self, offer: HeldOffer) -> None:
        if offer.kind == "transfer":
            ref = self.system.interaction(offer.interaction_id)
            if ref is not None:
                ref.tell(mail.DeclineTransfer(self.username, NoReply()))
            return
        ref = self.system.queue(offer.queue)
        if ref is not None:
            ref.tell(mail.DeclineOffer(self.username, offer.interaction_id))
            self._reported.pop(offer.queue, None)  # the queue now counts no room: report afresh

    def _remember_gone(self, gone: mail.Gone) -> None:
        self._recently_gone[gone.interaction_id] = gone
        while len(self._recently_gone) > 500:
            self._recently_gone.popitem(last=False)

    def _no_offer(self, interaction_id: int) -> ProductError:
        if interaction_id in self.desk.open:
            return Conflict("You already own this interaction.", code="already_owner")
        gone = self._recently_gone.get(interaction_id)
        if gone is None:
            return Forbidden("You have no offer for this interaction.", code="no_offer")
        if gone.reason == "taken":
            return Taken(gone.by)
        return Conflict(f"This offer is no longer open ({gone.reason}).", code="offer_gone")

    def _accept(self, interaction_id: int, reply: Any, most_open: int | None) -> None:
        try:
            self.desk.check_tab_limit(most_open, interaction_id, self._accepting)
        except Conflict as error:
            reply.fail(error)
            return
        if interaction_id not in self.desk.offers:
            reply.fail(self._no_offer(interaction_id))
            return
        try:
            offer = self.desk.offer_for_accept(interaction_id)
        except Conflict as error:
            reply.fail(error)
            return
        watched = _AcceptWatch(reply, self.actor_ref, interaction_id)
        if offer.kind == "transfer":
            target = self.system.interaction(interaction_id)
            message: Any = mail.AcceptTransfer(self.username, watched)
        else:
            target = self.system.queue(offer.queue)
            message = mail.AcceptOffer(self.username, interaction_id, watched)
        if self._forward(target, message):
            self._accepting.add(interaction_id)

    def _take(self, interaction_id: int, queue: str, reply: Any, most_open: int | None) -> None:
        """Take a conversation waiting in `queue`: an offer of it held here is simply accepted."""
        if interaction_id in self.desk.offers:
            self._accept(interaction_id, reply, most_open)
            return
        try:
            self.desk.check_tab_limit(most_open, interaction_id, self._accepting)
            self.desk.check_take(interaction_id, queue)
        except ProductError as error:
            reply.fail(error)
            return
        if self._forward(self.system.queue(queue), mail.TakeWaiting(
                self.username, interaction_id, _AcceptWatch(reply, self.actor_ref, interaction_id))):
            self._accepting.add(interaction_id)

    def _reject(self, interaction_id: int, reply: Any) -> None:
        if interaction_id in self._accepting:
            reply.fail(Conflict("You are accepting this interaction already.", code="accept_pending"))
            return
        offer = self.desk.withdraw(interaction_id)
        if offer is None:
            reply.fail(self._no_offer(interaction_id))
            return
        self._remember_gone(mail.Gone(interaction_id, "rejected"))
        self.system.hub.publish(OfferGone(self.username, interaction_id, "rejected"))
        if offer.kind == "transfer":
            target = self.system.interaction(interaction_id)
            message: Any = mail.DeclineTransfer(self.username, reply)
        else:
            target = self.system.queue(offer.queue)
            message = mail.RejectOffer(self.username, interaction_id, reply)
        self._forward(target, message)

    @staticmethod
    def _forward(target: Any, message: Any) -> bool:
        """Pass a request on to the queue or interaction that decides it; False (and the caller told) when
        that one is gone: an interaction's actor stops once it is closed."""
        try:
            if target is not None:
                target.tell(message)
                return True
        except pykka.ActorDeadError:
            pass
        message.reply.fail(Conflict("This interaction is closed.", code="closed"))
        return False

    # --- state -----------------------------------------------------------------------------------
    def _request_state(self, state: str, reason: str | None, reply: Any) -> None:
        try:
            parsed, reason = parse_state(state, reason)  # checked before anything is stored
        except Invalid as error:
            reply.fail(error)
            return

        def stored(_: Any, error: BaseException | None) -> None:
            self.actor_ref.tell(mail.StateStored(parsed.value, reason, reply, error))

        self.system.writer.submit_threadsafe(StoreAgentState(self.username, parsed.value, reason), stored)

    def _apply_state(self, stored: mail.StateStored, now: float) -> None:
        if stored.error is not None:
            log.error("could not store the state of %s: %s", self.username, stored.error)
            stored.reply.fail(Unavailable("Could not save your state; try again."))
            return
        withdrawn = self.desk.set_state(stored.state, stored.reason, now)
        for offer in withdrawn:
            self._remember_gone(mail.Gone(offer.interaction_id, "offline"))
            self.system.hub.publish(OfferGone(self.username, offer.interaction_id, "offline"))
            if offer.kind == "transfer":
                self._decline(offer)
        self.system.hub.publish(AgentStateChanged(self.username, self.desk.state.value, self.desk.reason))
        stored.reply.ok({"state": self.desk.state.value, "reason": self.desk.reason})


class _AcceptWatch:
    """Passes an accept's answer on; a refusal also tells the desk, which stops guarding the offer."""

    def __init__(self, reply: Any, desk: pykka.ActorRef[Any], interaction_id: int) -> None:
        self.reply, self.desk, self.interaction_id = reply, desk, interaction_id

    def ok(self, value: Any = None) -> None:
        self.reply.ok(value)

    def fail(self, error: BaseException) -> None:
        self.reply.fail(error)
        try:
            self.desk.tell(mail.AcceptEnded(self.interaction_id))
        except pykka.ActorDeadError:
            pass  # shutting down
