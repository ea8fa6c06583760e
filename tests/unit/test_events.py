"""Every event names its topics itself (server/domain/events.py), and the hub delivers by them."""
from __future__ import annotations

import asyncio
import dataclasses
import inspect
import typing

from server.actors.hub import EventHub
from server.domain import events
from server.domain.events import Event, MessageAdded, OfferShown, QueueChanged

TOPIC_KINDS = ("agent:", "interaction:", "queue:", "campaign:", "user:", "board")


def sample(kind: type) -> Event:
    """An instance of `kind` with a plausible value in each field."""
    values = {"agent": "agent1", "queue": "Q1", "interaction_id": 7, "message_id": 9, "campaign_id": 3,
              "user_id": 5}
    fields = {f.name: values.get(f.name, 1) for f in dataclasses.fields(kind)}
    return kind(**fields)


def test_the_event_set_is_closed_and_each_event_names_its_topics() -> None:
    declared = {cls for name, cls in inspect.getmembers(events, inspect.isclass)
                if cls.__module__ == events.__name__ and not name.startswith("_")}
    assert declared == set(typing.get_args(Event))
    for kind in declared:
        topics = sample(kind).topics()
        assert topics and all(topic.startswith(TOPIC_KINDS) for topic in topics), (kind, topics)


def test_the_hub_delivers_an_event_to_its_topics_and_to_everything() -> None:
    async def scenario() -> None:
        hub = EventHub(asyncio.get_running_loop())
        seen: dict[str, list[Event]] = {}
        for topic in ("agent:agent1", "interaction:7", "queue:Q1", "agent:agent2", "*"):
            hub.subscribe(topic, lambda event, t=topic: seen.setdefault(t, []).append(event))
        shown, added, changed = (OfferShown("agent1", 7, "Q1", "new", 0.0), MessageAdded(7, 9, "in"),
                                 QueueChanged("Q1", 1, 0))
        for event in (shown, added, changed):
            hub.publish(event)
        await asyncio.sleep(0.05)
        assert seen == {"agent:agent1": [shown], "interaction:7": [shown, added], "queue:Q1": [changed],
                        "*": [shown, added, changed]}

    asyncio.run(scenario())
