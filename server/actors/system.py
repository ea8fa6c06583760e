"""The actor system: starts the actors (rebuilt from the database), finds them, stops them.

Lookups may happen on any thread; the maps change on the event loop's thread only.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import pykka

from server.actors import mail
from server.actors.agent import AgentSessionActor
from server.actors.bridge import NoReply
from server.actors.hub import EventHub
from server.actors.interaction import InteractionActor
from server.actors.queue import QueueActor
from server.actors.runtime import ActorPool
from server.actors.timers import Timers
from server.domain.desk import AgentDesk
from server.domain.interaction import InteractionLife
from server.domain.routing import QueueRouting, QueueRules
from server.persistence.routing_state import AgentStateRow, RoutingState
from server.persistence.writer import Writer
from server.persistence.writes import DISABLED_OWNER, InboundResult

log = logging.getLogger(__name__)


class ActorSystem:
    def __init__(self, loop: asyncio.AbstractEventLoop, writer: Writer, hub: EventHub, *, threads: int = 4,
                 clock: Callable[[], float] = time.time) -> None:
        self.loop = loop
        self.writer = writer
        self.hub = hub
        self.now = clock
        self.pool = ActorPool(threads)
        self.timers = Timers()
        self._queues: dict[str, pykka.ActorRef[Any]] = {}
        self._queue_names: dict[int, str] = {}
        self._desks: dict[str, pykka.ActorRef[Any]] = {}
        self._disabled: set[str] = set()  # disabled while running: whatever they win goes back to the queue
        self._interactions: dict[int, pykka.ActorRef[Any]] = {}

    # --- lookup ----------------------------------------------------------------------------------
    def queue(self, name: str) -> pykka.ActorRef[Any] | None:
        return self._queues.get(name)

    def queue_name(self, queue_id: int) -> str | None:
        return self._queue_names.get(queue_id)

    def queue_names(self) -> list[str]:
        return sorted(self._queues)

    def desk(self, username: str) -> pykka.ActorRef[Any] | None:
        return self._desks.get(username)

    def interaction(self, interaction_id: int) -> pykka.ActorRef[Any] | None:
        return self._interactions.get(interaction_id)

    @property
    def counts(self) -> dict[str, int]:
        return {"queues": len(self._queues), "agents": len(self._desks), "interactions": len(self._interactions),
                "threads": self.pool.thread_count}

    # --- life ------------------------------------------------------------------------------------
    def start(self, state: RoutingState) -> None:
        """Rebuild every actor from the stored state: desks, then interactions, then queues."""
        now = self.now()
        owned: dict[str, list[int]] = {}
        unread: dict[str, dict[int, int]] = {}
        lives = {row.id: InteractionLife(row.id, row.queue, owner=row.owner, unread_count=row.unread_count,
                                         returned_unread=row.returned_unread, transfer=row.transfer,
                                         unread_notes=row.unread_notes) for row in state.interactions}
        for row in state.interactions:
            if row.owner:
                owned.setdefault(row.owner, []).append(row.id)
                unread.setdefault(row.owner, {})[row.id] = lives[row.id].unread
        desks = {agent.username: AgentDesk(agent.username, agent.capacity, state=agent.state, reason=agent.reason,
                                           open_ids=tuple(owned.get(agent.username, ())), now=now,
                                           weights=agent.queues, own_capacity=agent.own_capacity)
                 for agent in state.agents}
        # What each queue may count on, read before any actor runs and starts changing the desks.
        members = {queue.name: {a: desks[a].availability_for(queue.name) for a in queue.members if a in desks}
                   for queue in state.queues}
        for agent in state.agents:
            self._desks[agent.username] = AgentSessionActor.start(
                self.pool, self, desks[agent.username], list(agent.queues), unread.get(agent.username))
        for row in state.interactions:
            self._interactions[row.id] = InteractionActor.start(self.pool, self, lives[row.id],
                                                                row.last_inbound_id)
        for queue in state.queues:
            self._queue_names[queue.id] = queue.name
            self._queues[queue.name] = QueueActor.start(self.pool, self, QueueRouting(queue.name, queue.rules),
                                                        members[queue.name], queue.waiting, queue.waiting_since,
                                                        queue.returned)

    def deliver_inbound(self, result: InboundResult) -> None:
        """After the commit that stored an inbound message: a new interaction, or news for an open one."""
        assert result.interaction_id is not None and result.message_id is not None
        if result.created_interaction:
            queue = self.queue_name(result.queue_id)
            if queue is None:
                log.error("inbound for unknown queue id %s", result.queue_id)
                return
            life = InteractionLife(result.interaction_id, queue, unread_count=0)
            self._interactions[result.interaction_id] = InteractionActor.start(self.pool, self, life)
            self._queues[queue].tell(mail.Enqueue(result.interaction_id))
        ref = self._interactions.get(result.interaction_id)
        if ref is not None:
            ref.tell(mail.Inbound(result.message_id))

    def outbound_opened(self, interaction_id: int, queue_id: int, owner: str) -> None:
        """After the commit that opened a conversation an agent started (SPEC T4): owned, offered to nobody."""
        queue = self.queue_name(queue_id)
        if queue is None:
            log.error("outbound for unknown queue id %s", queue_id)
            return
        life = InteractionLife(interaction_id, queue, owner=owner, unread_count=0)
        self._interactions[interaction_id] = InteractionActor.start(self.pool, self, life)
        desk = self._desks.get(owner)
        if desk is not None:
            desk.tell(mail.DeskMail(opened=(mail.Opened(interaction_id),)))

    def interaction_closed(self, interaction_id: int) -> None:
        """From the interaction's own thread once its close is stored: forget it and stop it."""
        def forget() -> None:
            ref = self._interactions.pop(interaction_id, None)
            if ref is not None:
                ref.stop(block=False)

        self.loop.call_soon_threadsafe(forget)

    # --- an admin's changes, told after their commit (services/queue_admin.py) ------------------------
    def queue_created(self, queue_id: int, name: str, rules: QueueRules) -> None:
        """A new queue: its actor starts empty; members join through their desks (membership_changed)."""
        self._queue_names[queue_id] = name
        self._queues[name] = QueueActor.start(self.pool, self, QueueRouting(name, rules), {}, [])

    def queue_rules_changed(self, name: str, rules: QueueRules) -> None:
        ref = self._queues.get(name)
        if ref is not None:
            ref.tell(mail.SetRules(rules))

    def membership_changed(self, queue: str, agents: list[AgentStateRow], left: list[str],
                           open_ids: dict[str, list[int]] | None = None) -> None:
        """Tell each agent's desk its stored membership of `queue` (`agents`: their rows as stored now, with
        their queues, weights and capacity). A first queue starts the agent's desk (owning `open_ids`);
        `left`: usernames no longer in the queue, told to the queue directly when they have no desk."""
        rows = {row.username: row for row in agents}
        for row in agents:
            weight = row.queues.get(queue)
            ref = self._desks.get(row.username)
            if ref is None and weight is not None:
                desk = AgentDesk(row.username, row.capacity, state=row.state, reason=row.reason,
                                 open_ids=tuple((open_ids or {}).get(row.username, ())), now=self.now(),
                                 own_capacity=row.own_capacity)
                ref = self._desks[row.username] = AgentSessionActor.start(self.pool, self, desk, [], None)
            if ref is not None:
                ref.tell(mail.QueueMembership(queue, weight, row.capacity))
        queue_ref = self._queues.get(queue)
        for username in left:
            if username not in rows or username not in self._desks:
                if queue_ref is not None:  # a disabled user: no desk to go through
                    queue_ref.tell(mail.RemoveMember(username))

    def capacity_changed(self, row: AgentStateRow) -> None:
        """An admin changed the agent's own capacity (`row`: as stored now, with the capacity that applies)."""
        ref = self._desks.get(row.username)
        if ref is not None:
            ref.tell(mail.SetCapacity(row.capacity, row.own_capacity))

    def user_disabled(self, username: str, owned: list[int]) -> None:
        """A disabled user's desk goes offline, so their offers go to others, and the interactions they own
        (`owned`, as stored) wait in their queues again; so does any they win from now on (an accept that
        was on its way)."""
        self._disabled.add(username)
        ref = self._desks.get(username)
        if ref is not None:
            ref.tell(mail.SetState("offline", None, NoReply()))
        for interaction_id in owned:
            interaction = self._interactions.get(interaction_id)
            if interaction is not None:
                interaction.tell(mail.ReturnToQueue(username, DISABLED_OWNER))

    def user_enabled(self, username: str) -> None:
        self._disabled.discard(username)

    def is_disabled(self, username: str) -> bool:
        return username in self._disabled

    def requeue(self, interaction_id: int, queue: str) -> None:
        """An interaction whose owner can no longer serve it waits in its queue again."""
        ref = self._queues.get(queue)
        if ref is not None:
            ref.tell(mail.Enqueue(interaction_id, returned=True))

    def queue_deleted(self, queue_id: int, name: str, members: list[AgentStateRow]) -> None:
        """A deleted queue (it had no accounts and no interactions): its members' desks leave it, its actor
        stops."""
        self._queue_names.pop(queue_id, None)
        ref = self._queues.pop(name, None)
        for row in members:
            desk = self._desks.get(row.username)
            if desk is not None:
                desk.tell(mail.QueueMembership(name, None, row.capacity))
        if ref is not None:
            ref.stop(block=False)

    def stop(self) -> None:
        """Stop every actor without waiting on each in turn, then the threads."""
        for ref in [*self._interactions.values(), *self._queues.values(), *self._desks.values()]:
            try:
                ref.stop(block=False)
            except pykka.ActorDeadError:
                pass
        self.timers.stop()
        self.pool.shutdown()
        self._interactions.clear()
        self._queues.clear()
        self._desks.clear()
