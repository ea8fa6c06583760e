"""Presence (SPEC P1): an agent who signs out goes offline at once; one whose last desk page is closed, lost or
stops answering goes offline once the workspace's grace (`presence.grace_seconds`) has passed without a desk
page connecting again. Either way it is the same change as the agent's own pick of Offline (through their desk
actor): their offers go to others, their conversations stay theirs, the board shows it. Coming back does not
set them online: they pick it, as after any offline.

Only an agent who had a desk page connected is watched (`PresenceBook`): one working through the REST API alone
never goes offline for having no page. That an agent had one is stored, so that after a restart those not
offline are watched as if their page went at start-up: a browser that never comes back does not leave them
online. Pages report their socket's connects and disconnects (a browser that
stops answering NiceGUI's pings ends in a disconnect too). One book per process; in a cluster every node's
pages would report to the routing leader's book instead.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import datetime, timezone
from typing import Any, Protocol

from server.domain.presence import PresenceBook
from server.errors import ProductError, Unauthorized
from server.persistence.models import User
from server.services.agents import AgentService
from server.services.auth import AuthService, Principal
from server.services.settings import SettingsService

log = logging.getLogger(__name__)


class Cancellable(Protocol):
    def cancel(self) -> None: ...


Later = Callable[[float, Callable[[], None]], Cancellable]  # run a callback after so many seconds


def _call_later(delay: float, callback: Callable[[], None]) -> Cancellable:
    return asyncio.get_running_loop().call_later(delay, callback)


class DeskUsers(Protocol):
    """Where it is kept which agents have had a desk page."""

    async def watched(self) -> list[tuple[Principal, str]]: ...  # each with their stored state, unless disabled

    async def add(self, principal: Principal) -> None: ...


class StoredDeskUsers:
    """`User.desk_seen_at`: when a desk page of the user's first connected."""

    async def watched(self) -> list[tuple[Principal, str]]:
        rows = await User.filter(desk_seen_at__isnull=False, disabled=False).values(
            "id", "username", "role", "full_name", "state")
        return [(Principal(r["id"], r["username"], r["role"], r["full_name"]), r["state"]) for r in rows]

    async def add(self, principal: Principal) -> None:
        await User.filter(id=principal.id, desk_seen_at__isnull=True).update(desk_seen_at=datetime.now(timezone.utc))


class PresenceService:
    """Called on the event loop only (page lifecycle handlers, request handlers)."""

    def __init__(self, auth: AuthService, agents: AgentService, settings: SettingsService,
                 clock: Callable[[], float] = time.monotonic, later: Later = _call_later,
                 desk_users: DeskUsers | None = None) -> None:
        self._auth = auth
        self._agents = agents
        self._settings = settings
        self._clock = clock
        self._later = later
        self._book = PresenceBook()
        self._principals: dict[str, Principal] = {}  # agent -> who their desk pages were built for
        self._timer: Cancellable | None = None
        self._work: set[asyncio.Task[Any]] = set()
        self._stored_desk_users = desk_users or StoredDeskUsers()
        self._desk_users: set[str] = set()  # agents known to have had a desk page (and stored as such)

    async def resume(self) -> None:
        """At start-up: an agent who had a desk page and is not offline is watched as if their page went now, so
        one whose browser never comes back goes offline after the grace; API-only agents stay exempt."""
        now = self._clock()
        for principal, state in await self._stored_desk_users.watched():
            self._desk_users.add(principal.username)
            if state != "offline":
                self._principals[principal.username] = principal
                self._book.unseen_since(principal.username, now)
        self._schedule()

    def desk_connected(self, principal: Principal, connection: str) -> None:
        """A desk page's socket connected (or reconnected)."""
        self._principals[principal.username] = principal
        self._book.connected(principal.username, connection)
        if principal.username not in self._desk_users:
            self._desk_users.add(principal.username)
            self._spawn(self._remember_desk_user(principal))

    async def _remember_desk_user(self, principal: Principal) -> None:
        try:
            await self._stored_desk_users.add(principal)
        except Exception:  # the next page of theirs tries again
            self._desk_users.discard(principal.username)
            log.exception("could not store that %s has a desk page", principal.username)

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
                self._spawn(self._go_offline(principal, f"no desk page for {self.grace:g} s", unless_back=True))
        self._schedule()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._work.add(task)
        task.add_done_callback(self._work.discard)

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
