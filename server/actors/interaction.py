"""InteractionActor: owns one open interaction (domain.interaction.InteractionLife).

It counts unread messages for the owner, runs transfers (offers to the targets' desks, the first to
accept wins, the timeout returns it unread) and closes. Each change is stored, then announced.
"""
from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from server.actors import mail
from server.actors.bridge import NoReply
from server.actors.runtime import ActorPool, PooledActor
from server.domain.desk import HeldOffer
from server.domain.events import InteractionPlaced, MessageAdded, TransferFailed
from server.domain.interaction import InteractionLife, Status
from server.errors import Conflict, ProductError, Unavailable
from server.persistence.writer import WriteOp
from server.persistence.writes import (DISABLED_OWNER, StoreClose, StoreRead, StoreReturnedToQueue,
                                       StoreTransferDeclined, StoreTransferResolved, StoreTransferStarted, utc)

if TYPE_CHECKING:
    from server.actors.system import ActorSystem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InteractionView:
    id: int
    queue: str
    owner: str | None
    unread: int
    status: str
    transfer_to: str | None
    transfer_targets: list[str]
    transfer_deadline: float | None


class InteractionActor(PooledActor):
    def __init__(self, pool: ActorPool, system: ActorSystem, life: InteractionLife, last_inbound_id: int = 0) -> None:
        super().__init__(pool)
        self.system = system
        self.life = life
        self._last_inbound_id = last_inbound_id  # the customer's latest message this actor has seen

    def on_mail_after_stop(self, message: Any) -> None:
        """The interaction closed: finish a step whose write was under way, refuse anything new."""
        if isinstance(message, mail.Stored):
            message.then(message.error, **message.extra)
        elif getattr(message, "reply", None) is not None:
            message.reply.fail(Conflict("This interaction is closed.", code="closed"))

    def on_start(self) -> None:
        self.system.hub.publish(InteractionPlaced(self.life.id, self.life.queue, True))
        pending = self.life.transfer
        if pending is not None:  # rebuilt after a restart: offer it again for what is left of its time
            self._offer_transfer(pending.targets, pending.deadline)
            self._arm_timer(pending.generation, pending.deadline)

    def on_receive(self, message: Any) -> Any:
        match message:
            case mail.Inbound(message_id):
                if self.life.status is not Status.OPEN:
                    return None  # arrived while closing: the close moves it to a new interaction
                self._last_inbound_id = max(self._last_inbound_id, message_id)
                self.life.inbound()
                self._notify_owner()
                self.system.hub.publish(MessageAdded(self.life.id, message_id, "in"))
            case mail.SupervisorNote(op, recipient, reply):
                self._store_note(op, recipient, reply)
            case mail.Assigned(owner):
                self.life.assign(owner)
                self._notify_owner()
                self._return_if_owner_disabled()
            case mail.MarkRead(by, reply):
                self._mark_read(by, reply)
            case mail.StartTransfer():
                self._start_transfer(message)
            case mail.AcceptTransfer(agent, reply):
                self._accept_transfer(agent, reply)
            case mail.DeclineTransfer(agent, reply):
                self._decline_transfer(agent, reply)
            case mail.TransferTimeout(generation):
                self._expire_transfer(generation)
            case mail.Close():
                self._close(message)
            case mail.ReturnToQueue(owner, reason, by, reply):
                self._return_to_queue(owner, reason, by, reply or NoReply())
            case mail.Stored(then, error, extra):
                then(error, **extra)
            case mail.Snapshot(reply):
                reply.ok(self.view())
            case _:
                log.warning("%s got unexpected %r", self, message)

    def view(self) -> InteractionView:
        pending = self.life.transfer
        return InteractionView(self.life.id, self.life.queue, self.life.owner, self.life.unread,
                               self.life.status.value, pending.target_label if pending else None,
                               sorted(pending.targets) if pending else [], pending.deadline if pending else None)

    # --- helpers ---------------------------------------------------------------------------------
    def _store(self, op: WriteOp, then: Callable[..., None], **extra: Any) -> None:
        """Store, then continue in this actor with `then(error, **extra)`."""
        def done(_: Any, error: BaseException | None) -> None:
            self.actor_ref.tell(mail.Stored(then, error, extra))

        self.system.writer.submit_threadsafe(op, done)

    def _tell_desk(self, agent: str | None, message: Any) -> None:
        ref = self.system.desk(agent) if agent else None
        if ref is not None:
            ref.tell(message)

    def _notify_owner(self) -> None:
        self._tell_desk(self.life.owner, mail.UnreadNotice(self.life.id, self.life.unread))

    @staticmethod
    def _failed(reply: Any, error: BaseException | None, what: str) -> bool:
        if error is None:
            return False
        log.error("could not store %s: %s", what, error)
        reply.fail(Unavailable(f"Could not save the {what}; try again."))
        return True

    # --- notes -----------------------------------------------------------------------------------
    def _store_note(self, op: WriteOp, recipient: str, reply: Any) -> None:
        """The writer stores in order, and its answers come back here in order: a read submitted after the
        note clears it, one submitted before leaves it unread."""
        if self.life.status is not Status.OPEN:
            reply.fail(Conflict("This interaction is closed.", code="closed"))
            return

        def stored(message_id: Any, error: BaseException | None) -> None:
            self.actor_ref.tell(mail.Stored(then, error, {"message_id": message_id}))

        def then(error: BaseException | None, message_id: Any = None) -> None:
            if self._failed(reply, error, "note"):
                return
            if self.life.status is Status.OPEN and self.life.note_for(recipient):
                self._notify_owner()
            reply.ok(message_id)

        self.system.writer.submit_threadsafe(op, stored)

    # --- read ------------------------------------------------------------------------------------
    def _mark_read(self, by: str, reply: Any) -> None:
        if self.life.status is not Status.OPEN:
            reply.ok({"unread": 0})
            return
        if by != self.life.owner or self.life.unread == 0:
            reply.ok({"unread": self.life.unread if by == self.life.owner else None})
            return

        def then(error: BaseException | None) -> None:
            if not self._failed(reply, error, "read state"):
                self.life.read(by)
                self._notify_owner()
                reply.ok({"unread": 0})

        self._store(StoreRead(self.life.id), then)

    # --- transfer --------------------------------------------------------------------------------
    def _start_transfer(self, request: mail.StartTransfer) -> None:
        deadline = self.system.now() + request.timeout
        try:
            pending = self.life.start_transfer(request.by, set(request.targets), deadline,
                                               to_agent=request.to_agent, to_queue=request.to_queue)
        except ProductError as error:
            request.reply.fail(error)
            return
        targets = sorted(pending.targets)
        store = StoreTransferStarted(self.life.id, pending.generation, request.by, targets, utc(deadline),
                                     request.to_agent, request.to_queue_id, pending.target_label, request.note)

        def then(error: BaseException | None) -> None:
            if self._failed(request.reply, error, "transfer"):
                self.life.transfer = None
                return
            if not targets:  # nobody to offer it to: it stays, unread, with its owner
                self.life.expire_transfer(pending.generation)
                self._resolve_unaccepted(pending.generation, "failed", "nobody online to take it", answer=lambda: (
                    request.reply.ok({"status": "failed", "reason": "Nobody online could take the transfer."})))
                return
            self._offer_transfer(set(targets), deadline)
            self._arm_timer(pending.generation, deadline)
            request.reply.ok({"status": "pending", "to": pending.target_label, "targets": targets,
                              "expires_in": round(request.timeout)})

        self._store(store, then)

    def _offer_transfer(self, targets: set[str], deadline: float) -> None:
        offer = HeldOffer(self.life.id, self.life.queue, "transfer", deadline)
        for agent in sorted(targets):
            self._tell_desk(agent, mail.DeskMail(offers=(offer,)))

    def _arm_timer(self, generation: int, deadline: float) -> None:
        self.system.timers.after(deadline - self.system.now(), self.actor_ref, mail.TransferTimeout(generation))

    def _accept_transfer(self, agent: str, reply: Any) -> None:
        pending, before = self.life.transfer, copy.deepcopy(self.life)
        try:
            outcome = self.life.accept_transfer(agent)
        except ProductError as error:
            reply.fail(error)
            return
        assert pending is not None

        def then(error: BaseException | None) -> None:
            if self._failed(reply, error, "transfer"):
                self.life = before  # not stored: as if it had not happened
                self._return_if_owner_disabled()
                return
            self._tell_desk(outcome.previous_owner, mail.Released(self.life.id, "transferred"))
            self._tell_desk(agent, mail.DeskMail(opened=(mail.Opened(self.life.id),)))
            for other in outcome.others:
                self._tell_desk(other, mail.DeskMail(gone=(mail.Gone(self.life.id, "taken", agent),)))
            self._notify_owner()
            reply.ok({"interaction_id": self.life.id, "owner": agent})
            self._return_if_owner_disabled()

        self._store(StoreTransferResolved(self.life.id, pending.generation, "accepted", agent,
                                          pending.target_label), then)

    def _decline_transfer(self, agent: str, reply: Any) -> None:
        pending = self.life.transfer
        try:
            failed = self.life.decline_transfer(agent)
        except ProductError as error:
            reply.fail(error)
            return
        assert pending is not None
        self.system.writer.submit_threadsafe(StoreTransferDeclined(
            self.life.id, pending.generation, agent, sorted(pending.targets)))
        answer = lambda: reply.ok({"interaction_id": self.life.id, "rejected": True})  # noqa: E731
        if failed:
            self._resolve_unaccepted(pending.generation, "failed", f"rejected by {agent}", declined_by=agent,
                                     answer=answer)
        else:
            answer()

    def _expire_transfer(self, generation: int) -> None:
        targets = self.life.expire_transfer(generation)
        if targets is None:
            return  # a stale timer: that transfer already ended
        for agent in targets:
            self._tell_desk(agent, mail.DeskMail(gone=(mail.Gone(self.life.id, "timeout"),)))
        self._resolve_unaccepted(generation, "timed_out", "nobody accepted in time")

    def _resolve_unaccepted(self, generation: int, status: str, detail: str, declined_by: str | None = None,
                            answer: Callable[[], None] | None = None) -> None:
        """The transfer ended without a taker: the owner has it back, unread (stored, then announced; then
        `answer` tells whoever's request ended it)."""
        owner = self.life.owner

        def then(error: BaseException | None) -> None:
            if error is not None:
                log.error("could not store the end of a transfer of %s: %s", self.life.id, error)
            self._notify_owner()
            if owner:
                self.system.hub.publish(TransferFailed(owner, self.life.id, detail))
            if answer is not None:
                answer()

        self._store(StoreTransferResolved(self.life.id, generation, status, None, detail, declined_by), then)

    # --- back to the queue ----------------------------------------------------------------------
    def _return_if_owner_disabled(self) -> None:
        """An owner disabled while their accept was on its way cannot serve it either."""
        if self.life.owner is not None and self.system.is_disabled(self.life.owner):
            self._return_to_queue(self.life.owner, DISABLED_OWNER, None, NoReply())

    def _return_to_queue(self, owner: str, reason: str, by: str | None, reply: Any) -> None:
        if self.life.status is not Status.OPEN:
            reply.fail(Conflict("This interaction is closed.", code="closed"))
            return
        if self.life.owner != owner:  # someone else's by now
            reply.fail(Conflict(f"{owner} no longer owns this interaction.", code="owner_changed"))
            return
        before = copy.deepcopy(self.life)
        returned = self.life.return_to_queue()

        def then(error: BaseException | None) -> None:
            if self._failed(reply, error, "return to the queue"):
                self.life = before
                return
            for agent in returned.transfer_targets:
                self._tell_desk(agent, mail.DeskMail(gone=(mail.Gone(self.life.id, "cancelled"),)))
            self._tell_desk(returned.previous_owner, mail.Released(self.life.id, "returned"))
            self.system.requeue(self.life.id, self.life.queue)
            reply.ok({"interaction_id": self.life.id, "queue": self.life.queue, "owner": None,
                      "returned_from": returned.previous_owner})

        self._store(StoreReturnedToQueue(self.life.id, returned.previous_owner, reason,
                                         returned.transfer_generation, by), then)

    # --- close -----------------------------------------------------------------------------------
    def _close(self, request: mail.Close) -> None:
        owner, before = self.life.owner, copy.deepcopy(self.life)
        try:
            targets = self.life.close(request.by)
        except ProductError as error:
            request.reply.fail(error)
            return

        def then(error: BaseException | None) -> None:
            if self._failed(request.reply, error, "close"):
                self.life = before  # not stored: still open, still the owner's
                return
            for agent in targets:
                self._tell_desk(agent, mail.DeskMail(gone=(mail.Gone(self.life.id, "closed"),)))
            self._tell_desk(owner, mail.Released(self.life.id, "closed"))
            request.reply.ok({"interaction_id": self.life.id, "status": "closed"})
            self.system.hub.publish(InteractionPlaced(self.life.id, self.life.queue, False))
            self.system.interaction_closed(self.life.id)

        self._store(StoreClose(self.life.id, request.by, self._last_inbound_id, request.disposition_id,
                               request.disposition or "", on_reopened=self.system.deliver_inbound), then)
