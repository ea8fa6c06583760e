"""One interaction's life (SPEC R7-R10): owner, unread count, a pending transfer, close.

A transfer keeps the owner until a target accepts in time; when nobody does (or nobody could be
offered it), the interaction stays with its owner and comes back unread.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from server.errors import Conflict, Forbidden, Invalid, Taken


class Status(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass
class PendingTransfer:
    generation: int
    from_agent: str
    targets: set[str]
    deadline: float
    to_agent: str | None = None
    to_queue: str | None = None

    @property
    def target_label(self) -> str:
        return f"queue {self.to_queue}" if self.to_queue else f"agent {self.to_agent}"


@dataclass
class TransferAccepted:
    previous_owner: str
    new_owner: str
    others: list[str] = field(default_factory=list)


@dataclass
class ReturnedToQueue:
    previous_owner: str
    transfer_generation: int | None  # a pending transfer that ended with it
    transfer_targets: list[str] = field(default_factory=list)


class InteractionLife:
    def __init__(self, interaction_id: int, queue: str, *, owner: str | None = None,
                 status: Status = Status.OPEN, unread_count: int = 0, returned_unread: bool = False,
                 transfer: PendingTransfer | None = None, unread_notes: list[str] | None = None) -> None:
        self.id = interaction_id
        self.queue = queue
        self.owner = owner
        self.status = status
        self.unread_count = unread_count  # inbound messages since the owner last read
        self.returned_unread = returned_unread  # a transfer timed out: flagged until read
        # recipients of supervisors' notes since the owner last read: each counts for its recipient only
        self.unread_notes: list[str] = list(unread_notes or [])
        self.transfer = transfer
        self._generation = transfer.generation if transfer else 0
        self._transferred_to: str | None = None  # winner of the last transfer, to answer late accepts

    @property
    def unread(self) -> int:
        notes = sum(1 for recipient in self.unread_notes if recipient == self.owner)
        return max(self.unread_count + notes, 1 if self.returned_unread else 0)

    def inbound(self) -> int:
        self._require_open()
        self.unread_count += 1
        return self.unread

    def note_for(self, recipient: str) -> bool:
        """A supervisor wrote a note for `recipient` (SPEC S2): unread for them while they own it, as a
        customer's message is. Returns whether the owner's unread count changed."""
        self._require_open()
        self.unread_notes.append(recipient)
        return recipient == self.owner

    def read(self, by: str) -> bool:
        """Only the owner's reading clears the count (a supervisor watching changes nothing)."""
        if by != self.owner or self.unread == 0:
            return False
        self.unread_count = 0
        self.unread_notes.clear()
        self.returned_unread = False
        return True

    def assign(self, owner: str) -> None:
        self._require_open()
        if self.owner is not None:
            raise Conflict(f"Already owned by {self.owner}.", code="taken")
        self.owner = owner

    def start_transfer(self, by: str, targets: set[str], deadline: float, *,
                       to_agent: str | None = None, to_queue: str | None = None) -> PendingTransfer:
        self._require_open()
        if by != self.owner:
            raise Forbidden("Only the owner can transfer this interaction.")
        if (to_agent is None) == (to_queue is None):
            raise Invalid("Transfer to exactly one agent or one queue.")
        if to_agent == by:
            raise Invalid("You already own this interaction.")
        if self.transfer is not None:
            raise Conflict(f"A transfer to {self.transfer.target_label} is already pending.",
                           code="transfer_pending")
        self._generation += 1
        self.transfer = PendingTransfer(self._generation, by, set(targets) - {by}, deadline, to_agent, to_queue)
        return self.transfer

    def accept_transfer(self, agent: str) -> TransferAccepted:
        """First target to accept becomes the owner; the other targets lose the offer."""
        self._require_open()
        pending = self.transfer
        if pending is None:
            if self._transferred_to not in (None, agent):
                raise Taken(self._transferred_to)
            raise Conflict("This transfer is no longer pending.", code="offer_gone")
        if agent not in pending.targets:
            raise Conflict("This transfer was not offered to you.", code="offer_gone")
        previous = self.owner or pending.from_agent
        self.owner = agent
        self._transferred_to = agent
        self.transfer = None
        self.returned_unread = False
        return TransferAccepted(previous, agent, sorted(pending.targets - {agent}))

    def decline_transfer(self, agent: str) -> bool:
        """A target rejected; when nobody is left the transfer fails. Returns True when it failed."""
        if self.transfer is None or agent not in self.transfer.targets:
            raise Conflict("This transfer was not offered to you.", code="offer_gone")
        self.transfer.targets.discard(agent)
        if self.transfer.targets:
            return False
        self._return_to_owner()
        return True

    def expire_transfer(self, generation: int) -> list[str] | None:
        """The transfer's time ran out. Returns the targets to withdraw, or None for a stale timer."""
        if self.transfer is None or self.transfer.generation != generation:
            return None
        targets = sorted(self.transfer.targets)
        self._return_to_owner()
        return targets

    def close(self, by: str) -> list[str]:
        """Close; returns the targets of a pending transfer, whose offers must be withdrawn."""
        self._require_open()
        if by != self.owner:
            raise Forbidden("Only the owner can close this interaction.")
        targets = sorted(self.transfer.targets) if self.transfer else []
        self.transfer = None
        self.status = Status.CLOSED
        return targets

    def return_to_queue(self) -> ReturnedToQueue:
        """The owner can no longer serve it (an admin disabled them): nobody owns it, it waits in its queue
        again, and a pending transfer ends."""
        self._require_open()
        if self.owner is None:
            raise Conflict("Nobody owns this interaction.", code="not_owned")
        pending = self.transfer
        returned = ReturnedToQueue(self.owner, pending.generation if pending else None,
                                   sorted(pending.targets) if pending else [])
        self.owner = None
        self.transfer = None
        self._transferred_to = None
        self.returned_unread = True  # whoever takes it next sees it as unread
        return returned

    def _return_to_owner(self) -> None:
        self._transferred_to = None
        self.transfer = None
        self.returned_unread = True

    def _require_open(self) -> None:
        if self.status is not Status.OPEN:
            raise Conflict("This interaction is closed.", code="closed")
