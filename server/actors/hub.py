"""The event hub: events published from any thread (actors, the writer, services) reach their subscribers
on the event loop, by topic (see server/domain/events.py).

`publish` batches events into the loop with a single `call_soon_threadsafe` per burst.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from itertools import chain
from typing import Any

from server.domain.events import Event

log = logging.getLogger(__name__)


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
            topical = [tuple(found) for topic in event.topics() if (found := subscribers.get(topic))]
            for subscriber in chain(everyone, *topical):
                try:
                    subscriber(event)
                except Exception:
                    log.exception("event subscriber failed on %s", type(event).__name__)
