"""Events that actors publish for the UI and other watchers: one closed, typed set, never changed once
published (those published per agent for every offer are slotted, not frozen: cheaper to build).

`EventHub.publish` may be called from any thread. Events are batched into the loop with a single
`call_soon_threadsafe` per burst and delivered there to subscribers, by topic:
`agent:<username>`, `queue:<name>`, `interaction:<id>`, `campaign:<id>`, `board` (what only the supervisor
board needs), `user:<id>` (an admin changed the user's account), or `*` for everything.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from typing import Any

log = logging.getLogger(__name__)


@dataclass(slots=True)
class OfferShown:
    agent: str
    interaction_id: int
    queue: str
    kind: str  # "new" | "transfer"
    deadline: float


@dataclass(slots=True)
class OfferGone:
    agent: str
    interaction_id: int
    reason: str  # taken | timeout | rejected | closed | declined | offline | cancelled
    by: str | None = None


@dataclass(slots=True)
class InteractionOwned:
    agent: str
    interaction_id: int
    previous_owner: str | None = None


@dataclass(slots=True)
class InteractionReleased:
    agent: str
    interaction_id: int
    reason: str  # closed | transferred


@dataclass(slots=True)
class UnreadChanged:
    agent: str
    interaction_id: int
    unread: int
    total: int


@dataclass(slots=True)
class MessageAdded:
    interaction_id: int
    message_id: int
    direction: str


@dataclass(frozen=True)
class MessageStatusChanged:
    """An outbound message moved: sent, delivered, read, or failed (with the provider's reason)."""

    interaction_id: int
    message_id: int
    status: str


@dataclass(frozen=True)
class MessageChanged:
    """The customer edited or deleted a message of theirs, or reacted to a message."""

    interaction_id: int
    message_id: int
    change: str  # edit | revoke | reaction


@dataclass(frozen=True)
class AttachmentChanged:
    """A media message's file was fetched from the provider (stored) or could not be (failed)."""

    interaction_id: int
    message_id: int
    state: str


@dataclass(frozen=True)
class AgentStateChanged:
    agent: str
    state: str
    reason: str | None


@dataclass(slots=True)
class QueueChanged:
    queue: str
    waiting: int
    offers_in_flight: int
    oldest_since: float | None = None  # when the longest-waiting interaction joined the queue
    target_seconds: float = 60.0  # the queue's answered-within target


@dataclass(frozen=True)
class QueueRemoved:
    """The queue was deleted: its actor's last event."""

    queue: str


@dataclass(slots=True)
class QueueAnswered:
    """An agent won an interaction offered by the queue, `waited` seconds after it joined the queue."""

    queue: str
    interaction_id: int
    agent: str
    waited: float


@dataclass(frozen=True)
class DeskStarted:
    """An agent's desk came up (at start-up, or when the agent joined a first queue), or its queues changed."""

    agent: str
    state: str
    reason: str | None
    capacity: int
    queues: tuple[str, ...]
    open_ids: tuple[int, ...]


@dataclass(slots=True)
class InteractionPlaced:
    """An interaction of `queue` opened (or was rebuilt at start-up), or ended (`open` false)."""

    interaction_id: int
    queue: str
    open: bool


@dataclass(frozen=True)
class TransferFailed:
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


@dataclass(frozen=True)
class AccountChanged:
    """An administrator changed what a user may do: `signed_out` when every session of theirs ended (disabled,
    demoted, a new password), else their role grew and open pages are rebuilt for it."""

    user_id: int
    signed_out: bool


Event = (OfferShown | OfferGone | InteractionOwned | InteractionReleased | UnreadChanged | MessageAdded
         | MessageStatusChanged | MessageChanged | AttachmentChanged | AgentStateChanged | QueueChanged | TransferFailed
         | CampaignProgress | QueueAnswered | QueueRemoved | DeskStarted
         | InteractionPlaced | AccountChanged)


def _of_agent(event: Any) -> tuple[str, ...]:
    return (f"agent:{event.agent}", f"interaction:{event.interaction_id}")


def _of_interaction(event: Any) -> tuple[str, ...]:
    return (f"interaction:{event.interaction_id}",)


def _of_board(event: Any) -> tuple[str, ...]:
    return ("board",)


_TOPICS: dict[type, Callable[[Any], tuple[str, ...]]] = {
    OfferShown: _of_agent, OfferGone: _of_agent, InteractionOwned: _of_agent, InteractionReleased: _of_agent,
    UnreadChanged: _of_agent, TransferFailed: _of_agent,
    AgentStateChanged: lambda e: (f"agent:{e.agent}",),
    MessageAdded: _of_interaction, MessageStatusChanged: _of_interaction, MessageChanged: _of_interaction,
    AttachmentChanged: _of_interaction,
    QueueChanged: lambda e: (f"queue:{e.queue}",),
    QueueAnswered: _of_board, QueueRemoved: _of_board, DeskStarted: _of_board, InteractionPlaced: _of_board,
    CampaignProgress: lambda e: (f"campaign:{e.campaign_id}",),
    AccountChanged: lambda e: (f"user:{e.user_id}",),
}


def topics_of(event: Event) -> tuple[str, ...]:
    return _TOPICS[type(event)](event)


Subscriber = Callable[[Event], Any]


class EventHub:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._pending: list[Event] = []
        self._lock = threading.Lock()
        self._flush_scheduled = False
        self._subscribers: dict[str, list[Subscriber]] = defaultdict(list)

    def publish(self, event: Event) -> None:
        with self._lock:
            self._pending.append(event)
            if self._flush_scheduled:
                return
            self._flush_scheduled = True
        try:
            self._loop.call_soon_threadsafe(self._flush)
        except RuntimeError:  # the loop is closed: shutting down
            pass

    def subscribe(self, topic: str, subscriber: Subscriber) -> Callable[[], None]:
        """Register on the loop's thread; returns the function that unsubscribes."""
        self._subscribers[topic].append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers.get(topic, []):
                self._subscribers[topic].remove(subscriber)

        return unsubscribe

    def _flush(self) -> None:
        with self._lock:
            events, self._pending = self._pending, []
            self._flush_scheduled = False
        subscribers = self._subscribers
        everyone = tuple(subscribers.get("*", ()))
        for event in events:  # a few hundred per new conversation of a ring-all queue: no call more than needed
            topical = [tuple(found) for topic in _TOPICS[type(event)](event) if (found := subscribers.get(topic))]
            for subscriber in chain(everyone, *topical):
                try:
                    subscriber(event)
                except Exception:
                    log.exception("event subscriber failed on %s", type(event).__name__)
