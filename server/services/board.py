"""The supervisor board (SPEC S1): the domain's Board kept current from the actors' events, and who may see
which part of it. Nothing here polls the database: today's earlier answers are counted once at start-up,
then every figure moves with an event. Pages watch `version` to redraw in batches."""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, cast

from server.actors.hub import EventHub
from server.domain.board import Board
from server.domain.events import Event
from server.errors import Forbidden
from server.persistence.models import Interaction, QueueSupervisor, RoutingEvent, User
from server.services.auth import Principal

CHUNK = 500  # ids per query when today's answers are counted


class BoardService:
    def __init__(self, hub: EventHub, clock: Callable[[], float] = time.time) -> None:
        self.now = clock
        self.board = Board(clock())
        self.version = 0  # moves with every change shown
        self._names: dict[str, str] = {}
        hub.subscribe("*", self._on_event)

    def _on_event(self, event: Event) -> None:
        if self.board.apply(event, self.now()):
            self.version += 1

    async def count_today(self) -> None:
        """Interactions answered from a queue since local midnight, before this process started: each once,
        at its first acceptance (one that went back to its queue and was taken again is not counted again)."""
        midnight = datetime.fromtimestamp(self.now()).replace(hour=0, minute=0, second=0, microsecond=0)
        since = midnight.astimezone(timezone.utc)
        ids = sorted(set(await RoutingEvent.filter(kind="accepted", created_at__gte=since).values_list(
            "interaction_id", flat=True)))
        totals: dict[str, list[int]] = {}
        for start in range(0, len(ids), CHUNK):
            rows = await Interaction.filter(id__in=ids[start:start + CHUNK], accepted_at__gte=since).values(
                "created_at", "accepted_at", "queue__name", "queue__target_seconds")
            for row in rows:
                waited: timedelta = row["accepted_at"] - row["created_at"]
                figures = totals.setdefault(row["queue__name"], [0, 0])
                figures[0] += 1
                figures[1] += waited.total_seconds() <= row["queue__target_seconds"]
        for queue, (answered, within) in totals.items():
            self.board.count_answered(queue, answered, within)
        self.version += 1

    async def visible_queues(self, principal: Principal) -> set[str] | None:
        """None for admins (every queue); a supervisor's own queues; agents may not see the board."""
        if principal.role == "admin":
            return None
        if principal.role != "supervisor":
            raise Forbidden("Only supervisors and administrators can see the queue board.")
        return set(cast(list[str], await QueueSupervisor.filter(user_id=principal.id).values_list(
            "queue__name", flat=True)))

    async def snapshot(self, principal: Principal) -> dict[str, Any]:
        """Queues and agents as the principal may see them now."""
        return await self.rows(await self.visible_queues(principal))

    async def rows(self, queues: set[str] | None) -> dict[str, Any]:
        """The figures of `queues` (None: all) and of their agents."""
        now = self.now()
        agents = self.board.agent_rows(now, queues)
        await self._learn_names([cast(str, a["username"]) for a in agents])
        for agent in agents:
            agent["full_name"] = self._names.get(cast(str, agent["username"]), "")
        return {"queues": self.board.queue_rows(now, queues), "agents": agents,
                "at": datetime.fromtimestamp(now, timezone.utc).isoformat()}

    def open_of(self, username: str) -> list[int]:
        """The interactions an agent holds now, as the board knows them."""
        agent = self.board.agents.get(username)
        return sorted(agent.open_ids) if agent else []

    def renamed(self, username: str) -> None:
        """An admin changed the user's full name: read it afresh, and redraw the pages."""
        self._names.pop(username, None)
        self.version += 1

    async def _learn_names(self, usernames: list[str]) -> None:
        unknown = [u for u in usernames if u not in self._names]
        for start in range(0, len(unknown), CHUNK):
            rows = await User.filter(username__in=unknown[start:start + CHUNK]).values_list("username", "full_name")
            self._names.update(dict(rows))
            self._names.update({u: "" for u in unknown[start:start + CHUNK] if u not in self._names})
