"""Presence (SPEC P1): an agent who signs out goes offline at once; one whose last desk page is closed, lost or
stops answering goes offline once the workspace's grace (`presence.grace_seconds`) has passed without a desk
page connecting again. Either way it is the same change as the agent's own pick of Offline (through their desk
actor): their offers go to others, their conversations stay theirs, the board shows it. Coming back does not
set them online: they pick it, as after any offline.

Only an agent who had a desk page connected is watched (`PresenceBook`): one working through the REST API alone
never goes offline for having no page. Pages report their socket's connects and disconnects (a browser that
stops answering NiceGUI's pings ends in a disconnect too). One book per process; in a cluster every node's
pages would report to the routing leader's book instead.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from server.domain.presence import PresenceBook
from server.errors import ProductError, Unauthorized
from server.services.agents import AgentService
from server.services.auth import AuthService, Principal
from server.services.settings import SettingsService

log = logging.getLogger(__name__)


class Cancellable(Protocol):
    def cancel(self) -> None: ...


Later = Callable[[float, Callable[[], None]], Cancellable]  # run a callback after so many seconds


def _call_later(delay: float, callback: Callable[[], None]) -> Cancellable:
    return asyncio.get_running_loop().call_later(delay, callback)


class PresenceService:
    """Called on the event loop only (page lifecycle handlers, request handlers)."""

    def __init__(self, auth: AuthService, agents: AgentService, settings: SettingsService,
                 clock: Callable[[], float] = time.monotonic, later: Later = _call_later) -> None:
        self._auth = auth
        self._agents = agents
        self._settings = settings
        self._clock = clock
        self._later = later
        self._book = PresenceBook()
        self._principals: dict[str, Principal] = {}  # agent -> who their desk pages were built for
        self._timer: Cancellable | None = None
        self._work: set[asyncio.Task[Any]] = set()

    def desk_connected(self, principal: Principal, connection: str) -> None:
        """A desk page's socket connected (or reconnected)."""
        self._principals[principal.username] = principal
        self._book.connected(principal.username, connection)

    def desk_disconnected(self, principal: Principal, connection: str) -> None:
        """A desk page's socket went (closed, reloaded, or its browser stopped answering)."""
        if self._book.disconnected(principal.username, connection, self._clock()):
            self._schedule()

    async def sign_out(self, token: str) -> None:
        """End this session; its agent goes offline at once (whatever the session's state, it ends)."""
        try:
            principal: Principal | None = await self._auth.authenticate(token, touch=False)
        except Unauthorized:
            principal = None
        await self._auth.logout(token)
        if principal is not None:  # their other sessions' desk pages, if any, stay watched
            await self._go_offline(principal, "signed out")

    @property
    def grace(self) -> float:
        return float(self._settings.get("presence")["grace_seconds"])

    def _schedule(self) -> None:
        """One timer, for the earliest loss under way."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        due = self._book.next_expiry(self.grace)
        if due is not None:
            self._timer = self._later(max(0.0, due - self._clock()), self.expire)

    def expire(self) -> None:
        """Agents out of grace go offline (the timer's callback)."""
        self._timer = None
        for agent in self._book.expired(self._clock(), self.grace):
            principal = self._principals.pop(agent, None)
            if principal is not None:
                task = asyncio.get_running_loop().create_task(
                    self._go_offline(principal, f"no desk page for {self.grace:g} s", unless_back=True))
                self._work.add(task)
                task.add_done_callback(self._work.discard)
        self._schedule()

    async def _go_offline(self, principal: Principal, why: str, *, unless_back: bool = False) -> None:
        """Offline through the desk, as the agent's own pick; `unless_back`: not if a desk page connected
        again meanwhile (a reload that came just after the grace)."""
        try:
            view = await self._agents.desk_view(principal)
            if view is None or view.state == "offline" or (unless_back and self._book.has_page(principal.username)):
                return
            await self._agents.set_state(principal, "offline", None)
        except ProductError as error:
            log.warning("could not set %s offline: %s", principal.username, error.message)
            return
        except Exception:
            log.exception("could not set %s offline", principal.username)
            return
        log.info("%s is offline: %s", principal.username, why)
