"""The mail actors exchange: one dataclass per message, never changed once sent. `reply` fields take a bridge Reply.

Frozen, except the messages built once per agent for every offer and message (slotted instead: building a
frozen dataclass costs about four times as much, scripts/bench.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.domain.desk import HeldOffer
from server.domain.routing import Availability, QueueRules

# --- to a queue ------------------------------------------------------------------------------


@dataclass(slots=True)
class Enqueue:
    interaction_id: int
    returned: bool = False  # back from an owner who can no longer serve it: answered once already


@dataclass(slots=True)
class MemberReport:
    agent: str
    availability: Availability


@dataclass(frozen=True)
class AcceptOffer:
    agent: str
    interaction_id: int
    reply: Any


@dataclass(frozen=True)
class TakeWaiting:
    """A member takes a waiting interaction from the queue's waiting list (the same race as AcceptOffer)."""

    agent: str
    interaction_id: int
    reply: Any


@dataclass(frozen=True)
class RejectOffer:
    agent: str
    interaction_id: int
    reply: Any


@dataclass(slots=True)
class DeclineOffer:
    agent: str
    interaction_id: int


@dataclass(frozen=True)
class QueueTick:
    generation: int


@dataclass(frozen=True)
class OwnerStored:
    agent: str
    interaction_id: int
    losers: tuple[str, ...]
    reply: Any
    error: BaseException | None


@dataclass(frozen=True)
class AvailableMembers:
    reply: Any


@dataclass(frozen=True)
class SetRules:
    """An admin changed the queue's rules (stored): they apply from the next offer on."""

    rules: QueueRules


@dataclass(frozen=True)
class AddMember:
    """From the agent's desk, once it joined the queue: what it can take now."""

    agent: str
    availability: Availability


@dataclass(frozen=True)
class RemoveMember:
    """The agent left the queue (stored): its offers of the queue are withdrawn."""

    agent: str


# --- to an agent session ---------------------------------------------------------------------


@dataclass(slots=True)
class Gone:
    interaction_id: int
    reason: str
    by: str | None = None


@dataclass(slots=True)
class Opened:
    interaction_id: int
    won_in: str | None = None  # the queue whose race the agent won; None for an accepted transfer


@dataclass(slots=True)
class DeskMail:
    """Everything a queue or an interaction has for one desk, gathered per slice."""

    offers: tuple[HeldOffer, ...] = ()
    gone: tuple[Gone, ...] = ()
    opened: tuple[Opened, ...] = ()


@dataclass(frozen=True)
class QueueMembership:
    """An admin's stored change: the agent is in `queue` with this weight (None: no longer in it), and the
    desk's capacity is now `capacity` (None: unchanged). The desk tells the queue (AddMember/RemoveMember)."""

    queue: str
    weight: int | None
    capacity: int | None = None


@dataclass(frozen=True)
class SetCapacity:
    """An admin's stored change of the agent's own capacity (as it applies now: theirs, else their queues')."""

    capacity: int
    own: bool  # the agent's own setting: it replaces the queues' per-agent capacity


@dataclass(frozen=True)
class AcceptEnded:
    """An accept the desk forwarded was refused: the offer is no longer guarded against a reject."""

    interaction_id: int


@dataclass(frozen=True)
class SetState:
    state: str
    reason: str | None
    reply: Any


@dataclass(frozen=True)
class StateStored:
    state: str
    reason: str | None
    reply: Any
    error: BaseException | None


@dataclass(frozen=True)
class Accept:
    interaction_id: int
    reply: Any
    most_open: int | None = None  # the admin's tab limit, checked by the desk as it accepts


@dataclass(frozen=True)
class Take:
    """The agent takes a conversation waiting in `queue`, from the waiting list."""

    interaction_id: int
    queue: str
    reply: Any
    most_open: int | None = None  # the admin's tab limit, as for Accept


@dataclass(frozen=True)
class Reject:
    interaction_id: int
    reply: Any


@dataclass(frozen=True)
class Released:
    interaction_id: int
    reason: str


@dataclass(frozen=True)
class UnreadNotice:
    interaction_id: int
    unread: int


# --- to an interaction ------------------------------------------------------------------------


@dataclass(slots=True)
class Inbound:
    message_id: int


@dataclass(frozen=True)
class SupervisorNote:
    """Store a supervisor's note for `recipient` (`op`), then count it unread for them if they own the
    interaction; answers the note's message id. Stored through the interaction, so that a read of the
    conversation is ordered with it: a read stored after the note covers it, one before does not."""

    op: Any  # the StoreAgentMessage write
    recipient: str
    reply: Any


@dataclass(frozen=True)
class Assigned:
    owner: str


@dataclass(frozen=True)
class MarkRead:
    by: str
    reply: Any


@dataclass(frozen=True)
class StartTransfer:
    by: str
    targets: frozenset[str]
    timeout: float
    reply: Any
    to_agent: str | None = None
    to_queue: str | None = None
    to_queue_id: int | None = None
    note: str | None = None  # the sender's reason, stored with the transfer


@dataclass(frozen=True)
class AcceptTransfer:
    agent: str
    reply: Any


@dataclass(frozen=True)
class DeclineTransfer:
    agent: str
    reply: Any


@dataclass(frozen=True)
class TransferTimeout:
    generation: int


@dataclass(frozen=True)
class Close:
    by: str
    reply: Any
    disposition_id: int | None = None
    disposition: str | None = None


@dataclass(frozen=True)
class ReturnToQueue:
    """To an interaction owned by `owner`: wait in the queue again (if still theirs). `by`: the supervisor
    who asked (audited); None when the owner was disabled."""

    owner: str
    reason: str
    by: str | None = None
    reply: Any = None


@dataclass(frozen=True)
class Stored:
    """A write an interaction asked for was committed (or failed); `then` finishes the step."""

    then: Any
    error: BaseException | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --- to anyone -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    reply: Any
