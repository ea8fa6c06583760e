"""What happened, told to the pages and other watchers: one closed, typed set of events, never changed once
published (those published per agent for every offer are slotted, not frozen: cheaper to build).

Each event names its topics: `agent:<username>`, `queue:<name>`, `interaction:<id>`, `campaign:<id>`, `board`
(what only the supervisor board needs), `user:<id>` (an admin changed the user's account). The hub
(server/actors/hub.py) delivers them by topic, or to `*` subscribers for everything.
"""
from __future__ import annotations

from dataclasses import dataclass


class _OfAgent:
    """An event of one agent about one interaction: for the agent's desk and the interaction's watchers."""

    __slots__ = ()
    agent: str
    interaction_id: int

    def topics(self) -> tuple[str, ...]:
        return (f"agent:{self.agent}", f"interaction:{self.interaction_id}")


class _OfInteraction:
    """An event of one interaction's messages: for its watchers."""

    __slots__ = ()
    interaction_id: int

    def topics(self) -> tuple[str, ...]:
        return (f"interaction:{self.interaction_id}",)


class _ForTheBoard:
    """What only the supervisor board needs."""

    __slots__ = ()

    def topics(self) -> tuple[str, ...]:
        return ("board",)


@dataclass(slots=True)
class OfferShown(_OfAgent):
    agent: str
    interaction_id: int
    queue: str
    kind: str  # "new" | "transfer"
    deadline: float


@dataclass(slots=True)
class OfferGone(_OfAgent):
    agent: str
    interaction_id: int
    reason: str  # taken | timeout | rejected | closed | declined | offline | cancelled
    by: str | None = None


@dataclass(slots=True)
class InteractionOwned(_OfAgent):
    agent: str
    interaction_id: int
    previous_owner: str | None = None


@dataclass(slots=True)
class InteractionReleased(_OfAgent):
    agent: str
    interaction_id: int
    reason: str  # closed | transferred


@dataclass(slots=True)
class UnreadChanged(_OfAgent):
    agent: str
    interaction_id: int
    unread: int
    total: int


@dataclass(slots=True)
class MessageAdded(_OfInteraction):
    interaction_id: int
    message_id: int
    direction: str


@dataclass(frozen=True)
class MessageStatusChanged(_OfInteraction):
    """An outbound message moved: sent, delivered, read, or failed (with the provider's reason)."""

    interaction_id: int
    message_id: int
    status: str


@dataclass(frozen=True)
class MessageChanged(_OfInteraction):
    """The customer edited or deleted a message of theirs, or reacted to a message."""

    interaction_id: int
    message_id: int
    change: str  # edit | revoke | reaction


@dataclass(frozen=True)
class AttachmentChanged(_OfInteraction):
    """A media message's file was fetched from the provider (stored) or could not be (failed)."""

    interaction_id: int
    message_id: int
    state: str


@dataclass(frozen=True)
class AgentStateChanged:
    agent: str
    state: str
    reason: str | None

    def topics(self) -> tuple[str, ...]:
        return (f"agent:{self.agent}",)


@dataclass(slots=True)
class QueueChanged:
    queue: str
    waiting: int
    offers_in_flight: int
    oldest_since: float | None = None  # when the longest-waiting interaction joined the queue
    target_seconds: float = 60.0  # the queue's answered-within target

    def topics(self) -> tuple[str, ...]:
        return (f"queue:{self.queue}",)


@dataclass(frozen=True)
class QueueRemoved(_ForTheBoard):
    """The queue was deleted: its actor's last event."""

    queue: str


@dataclass(slots=True)
class QueueAnswered(_ForTheBoard):
    """An agent won an interaction offered by the queue, `waited` seconds after it joined the queue."""

    queue: str
    interaction_id: int
    agent: str
    waited: float


@dataclass(frozen=True)
class DeskStarted(_ForTheBoard):
    """An agent's desk came up (at start-up, or when the agent joined a first queue), or its queues changed."""

    agent: str
    state: str
    reason: str | None
    capacity: int
    queues: tuple[str, ...]
    open_ids: tuple[int, ...]


@dataclass(slots=True)
class InteractionPlaced(_ForTheBoard):
    """An interaction of `queue` opened (or was rebuilt at start-up), or ended (`open` false)."""

    interaction_id: int
    queue: str
    open: bool


@dataclass(frozen=True)
class TransferFailed(_OfAgent):
    agent: str
    interaction_id: int
    reason: str


@dataclass(frozen=True)
class CampaignProgress:
    """A campaign's state and totals per recipient state (pending, queued, sent, delivered, read, failed,
    skipped, cancelled), at most every half second while it sends."""

    campaign_id: int
    state: str
    totals: dict[str, int]

    def topics(self) -> tuple[str, ...]:
        return (f"campaign:{self.campaign_id}",)


@dataclass(frozen=True)
class AccountChanged:
    """An administrator changed what a user may do: `signed_out` when every session of theirs ended (disabled,
    demoted, a new password), else their role grew and open pages are rebuilt for it."""

    user_id: int
    signed_out: bool

    def topics(self) -> tuple[str, ...]:
        return (f"user:{self.user_id}",)


Event = (OfferShown | OfferGone | InteractionOwned | InteractionReleased | UnreadChanged | MessageAdded
         | MessageStatusChanged | MessageChanged | AttachmentChanged | AgentStateChanged | QueueChanged | TransferFailed
         | CampaignProgress | QueueAnswered | QueueRemoved | DeskStarted
         | InteractionPlaced | AccountChanged)
