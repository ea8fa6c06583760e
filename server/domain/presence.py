"""Desk presence (SPEC P1): which agents have a desk page connected, and since when the others lost their last
one. Plain and synchronous: the caller says what happened and when; the grace is passed in, so a changed
setting applies to losses already under way.

Only an agent seen with a desk page counts: one who works through the REST API alone has no entry here and is
never taken offline for having no page.
"""
from __future__ import annotations


class PresenceBook:
    def __init__(self) -> None:
        self._connections: dict[str, set[str]] = {}  # agent -> ids of their connected desk pages
        self._lost_at: dict[str, float] = {}  # agent -> when their last desk page went

    def connected(self, agent: str, connection: str) -> None:
        """A desk page of `agent` is connected (again): a loss under way is forgotten."""
        self._connections.setdefault(agent, set()).add(connection)
        self._lost_at.pop(agent, None)

    def disconnected(self, agent: str, connection: str, now: float) -> bool:
        """A desk page went. True when it was the agent's last one: their grace begins at `now`. A connection
        not known (already gone) changes nothing."""
        held = self._connections.get(agent)
        if held is None or connection not in held:
            return False
        held.discard(connection)
        if held:
            return False
        del self._connections[agent]
        self._lost_at[agent] = now
        return True

    def unseen_since(self, agent: str, now: float) -> None:
        """`agent` had a desk page before the server started and none is connected yet: watched as if it went
        at `now` (a page that comes back within the grace changes nothing)."""
        if not self._connections.get(agent):
            self._lost_at.setdefault(agent, now)

    def has_page(self, agent: str) -> bool:
        """Whether a desk page of `agent` is connected now."""
        return bool(self._connections.get(agent))

    def expired(self, now: float, grace: float) -> list[str]:
        """The agents whose last desk page went at least `grace` seconds ago; they are no longer watched."""
        gone = sorted(agent for agent, since in self._lost_at.items() if now - since >= grace)
        for agent in gone:
            del self._lost_at[agent]
        return gone

    def next_expiry(self, grace: float) -> float | None:
        """When the earliest loss under way runs out of grace, or None if there is none."""
        return min(self._lost_at.values()) + grace if self._lost_at else None
