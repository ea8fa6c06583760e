"""The supervisor's live board (SPEC S1) as a plain model fed by the actors' events: per queue and per
agent figures, no I/O. Whoever owns it applies events in order and asks for rows when it draws."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from server.domain.events import (AgentStateChanged, DeskStarted, Event, InteractionOwned, InteractionPlaced,
                                  InteractionReleased, OfferGone, OfferShown, QueueAnswered, QueueChanged, QueueRemoved)

STATES = ("online", "paused", "full", "offline")  # an agent's state as the board shows it


@dataclass
class QueueFigures:
    name: str
    waiting: int = 0
    oldest_since: float | None = None
    offers_in_flight: int = 0
    target_seconds: float = 60.0
    open_ids: set[int] = field(default_factory=set)
    answered: int = 0  # today
    within_target: int = 0  # today


@dataclass
class AgentFigures:
    username: str
    state: str = "offline"
    reason: str | None = None
    capacity: int = 0
    queues: tuple[str, ...] = ()
    open_ids: set[int] = field(default_factory=set)
    offers: set[int] = field(default_factory=set)
    since: float = 0.0  # when the state shown began

    @property
    def shown_state(self) -> str:
        if self.state == "online" and self.capacity and len(self.open_ids) >= self.capacity:
            return "full"
        return self.state

    def took(self, interaction_id: int) -> None:
        """The agent owns it now: an offer of it, accepted, is no longer held."""
        self.offers.discard(interaction_id)
        self.open_ids.add(interaction_id)


def local_day(when: float) -> date:
    return datetime.fromtimestamp(when).date()


class Board:
    """Figures of every queue and agent. `apply` answers whether anything shown changed."""

    def __init__(self, now: float, day_of: Callable[[float], date] = local_day) -> None:
        self.queues: dict[str, QueueFigures] = {}
        self.agents: dict[str, AgentFigures] = {}
        self._day_of = day_of
        self._day = day_of(now)

    def queue(self, name: str) -> QueueFigures:
        figures = self.queues.get(name)
        if figures is None:
            figures = self.queues[name] = QueueFigures(name)
        return figures

    def agent(self, username: str, now: float) -> AgentFigures:
        figures = self.agents.get(username)
        if figures is None:
            figures = self.agents[username] = AgentFigures(username, since=now)
        return figures

    def count_answered(self, queue: str, answered: int, within_target: int) -> None:
        """Today's answers stored before the board started listening."""
        figures = self.queue(queue)
        figures.answered += answered
        figures.within_target += within_target

    def apply(self, event: Event, now: float) -> bool:
        match event:  # the most frequent first
            case OfferShown():
                self.agent(event.agent, now).offers.add(event.interaction_id)
            case OfferGone():
                self.agent(event.agent, now).offers.discard(event.interaction_id)
            case QueueChanged():
                figures = self.queue(event.queue)
                figures.waiting, figures.offers_in_flight = event.waiting, event.offers_in_flight
                figures.oldest_since, figures.target_seconds = event.oldest_since, event.target_seconds
            case QueueRemoved():
                self.queues.pop(event.queue, None)
                for agent in self.agents.values():
                    agent.queues = tuple(q for q in agent.queues if q != event.queue)
            case QueueAnswered():
                self._roll_day(now)  # today's counts start again at midnight
                figures = self.queue(event.queue)
                figures.answered += 1
                figures.within_target += event.waited <= figures.target_seconds
            case InteractionPlaced():
                open_ids = self.queue(event.queue).open_ids
                if event.open:
                    open_ids.add(event.interaction_id)
                else:
                    open_ids.discard(event.interaction_id)
            case DeskStarted():
                agent = self.agent(event.agent, now)
                if agent.state != event.state:
                    agent.since = now
                agent.state, agent.reason, agent.capacity = event.state, event.reason, event.capacity
                agent.queues, agent.open_ids = event.queues, set(event.open_ids)
            case AgentStateChanged():
                agent = self.agent(event.agent, now)
                if agent.state != event.state or agent.reason != event.reason:
                    agent.since = now
                agent.state, agent.reason = event.state, event.reason
            case InteractionOwned():
                self._shown_state_kept(event.agent, now, lambda a: a.took(event.interaction_id))
            case InteractionReleased():
                self._shown_state_kept(event.agent, now, lambda a: a.open_ids.discard(event.interaction_id))
            case _:
                return False
        return True

    def _shown_state_kept(self, username: str, now: float, change: Callable[[AgentFigures], None]) -> None:
        """Change an agent's open interactions; becoming full (or no longer full) starts a new state."""
        agent = self.agent(username, now)
        before = agent.shown_state
        change(agent)
        if agent.shown_state != before:
            agent.since = now

    def _roll_day(self, now: float) -> None:
        today = self._day_of(now)
        if today != self._day:
            self._day = today
            for figures in self.queues.values():
                figures.answered = figures.within_target = 0

    # --- rows ------------------------------------------------------------------------------------
    def queue_rows(self, now: float, visible: Iterable[str] | None = None) -> list[dict[str, object]]:
        """Each visible queue's figures; agents are counted in every queue they belong to."""
        self._roll_day(now)
        names = sorted(self.queues if visible is None else set(visible) & set(self.queues))
        counts = {name: dict.fromkeys(STATES, 0) for name in names}
        for agent in self.agents.values():
            for name in agent.queues:
                if name in counts:
                    counts[name][agent.shown_state] += 1
        rows = []
        for name in names:
            q = self.queues[name]
            rows.append({
                "name": name, "waiting": q.waiting,
                "longest_wait": round(now - q.oldest_since, 1) if q.oldest_since is not None else 0,
                "offers_in_flight": q.offers_in_flight, "agents": counts[name], "open": len(q.open_ids),
                "answered_today": q.answered, "within_target_today": q.within_target,
                "within_target_share": round(q.within_target / q.answered, 3) if q.answered else None,
                "target_seconds": q.target_seconds,
            })
        return rows

    def agent_rows(self, now: float, visible: Iterable[str] | None = None) -> list[dict[str, object]]:
        """Agents of the visible queues (all agents when `visible` is None), by username."""
        wanted = None if visible is None else set(visible)
        rows: list[dict[str, object]] = []
        for username in sorted(self.agents):
            agent = self.agents[username]
            if wanted is not None and not wanted & set(agent.queues):
                continue
            rows.append({
                "username": username, "state": agent.shown_state, "reason": agent.reason,
                "open": len(agent.open_ids), "capacity": agent.capacity, "offers": len(agent.offers),
                "in_state_seconds": round(now - agent.since, 1), "queues": list(agent.queues),
            })
        return rows
