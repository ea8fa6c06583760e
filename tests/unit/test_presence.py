"""Presence (SPEC P1) with a fake clock: the rule (PresenceBook) and the service that takes agents offline
after the grace, or at once when they sign out."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from server.domain.presence import PresenceBook
from server.errors import Forbidden, Invalid, Unauthorized
from server.services.auth import Principal
from server.services.presence import PresenceService
from server.services.settings import DEFAULTS, validate_settings

ALICE = Principal(1, "agent1", "agent", "Alice Agent")
BRUNO = Principal(2, "agent2", "agent", "Bruno Agent")


# --- the rule ------------------------------------------------------------------------------------
def test_losing_the_last_page_starts_the_grace() -> None:
    book = PresenceBook()
    book.connected("agent1", "tab-a")
    assert book.disconnected("agent1", "tab-a", now=100.0)
    assert book.next_expiry(grace=30) == 130.0
    assert book.expired(now=129.9, grace=30) == []
    assert book.expired(now=130.0, grace=30) == ["agent1"]
    assert book.next_expiry(grace=30) is None  # taken offline once, not again


def test_an_agent_unseen_since_start_is_watched_until_a_page_connects() -> None:
    book = PresenceBook()
    book.unseen_since("agent1", now=100.0)
    book.unseen_since("agent2", now=100.0)
    book.connected("agent2", "tab")
    assert book.expired(now=130.0, grace=30) == ["agent1"]
    book.connected("agent3", "tab")
    book.unseen_since("agent3", now=100.0)  # a page already there: nothing to watch
    assert book.next_expiry(grace=30) is None


def test_another_open_page_keeps_the_agent_present() -> None:
    book = PresenceBook()
    book.connected("agent1", "tab-a")
    book.connected("agent1", "tab-b")
    assert not book.disconnected("agent1", "tab-a", now=100.0)
    assert book.expired(now=1000.0, grace=30) == []


def test_a_page_connecting_within_the_grace_cancels_it() -> None:
    book = PresenceBook()
    book.connected("agent1", "old")
    book.disconnected("agent1", "old", now=100.0)
    book.connected("agent1", "reloaded")
    assert book.expired(now=1000.0, grace=30) == []


def test_an_agent_never_seen_on_a_desk_page_is_never_expired() -> None:
    book = PresenceBook()
    assert not book.disconnected("api-only", "tab", now=0.0)  # e.g. a page deleted that never connected
    assert book.expired(now=1e9, grace=5) == []


def test_a_second_report_of_the_same_loss_does_not_restart_the_grace() -> None:
    book = PresenceBook()
    book.connected("agent1", "tab-a")
    book.disconnected("agent1", "tab-a", now=100.0)
    assert not book.disconnected("agent1", "tab-a", now=120.0)  # the page deleted after its socket went
    assert book.expired(now=130.0, grace=30) == ["agent1"]


def test_the_book_knows_whether_a_page_is_connected_now() -> None:
    book = PresenceBook()
    assert not book.has_page("agent1")
    book.connected("agent1", "tab-a")
    assert book.has_page("agent1")
    book.disconnected("agent1", "tab-a", now=100.0)
    assert not book.has_page("agent1")


def test_the_grace_applies_as_it_is_when_checked() -> None:
    book = PresenceBook()
    book.connected("agent1", "tab")
    book.disconnected("agent1", "tab", now=100.0)
    assert book.expired(now=110.0, grace=60) == []
    assert book.expired(now=110.0, grace=10) == ["agent1"]


# --- the service -----------------------------------------------------------------------------------
@dataclass
class View:
    state: str


@dataclass
class FakeAgents:
    states: dict[str, str]
    changes: list[tuple[str, str]] = field(default_factory=list)

    async def desk_view(self, principal: Principal) -> View | None:
        state = self.states.get(principal.username)
        return None if state is None else View(state)

    async def set_state(self, principal: Principal, state: str, reason: str | None) -> dict[str, Any]:
        if principal.username not in self.states:
            raise Forbidden("no desk", code="no_desk")
        self.states[principal.username] = state
        self.changes.append((principal.username, state))
        return {"state": state, "reason": reason}


class FakeAuth:
    def __init__(self, sessions: dict[str, Principal]) -> None:
        self.sessions = sessions

    async def authenticate(self, token: str, *, touch: bool = True) -> Principal:
        if token not in self.sessions:
            raise Unauthorized("ended", code="session_ended")
        return self.sessions[token]

    async def logout(self, token: str) -> None:
        self.sessions.pop(token, None)


class FakeSettings:
    def __init__(self, grace: int) -> None:
        self.grace = grace

    def get(self, key: str) -> Any:
        assert key == "presence"
        return {"grace_seconds": self.grace}


class FakeDeskUsers:
    """What the database keeps of who had a desk page: `stored` users with their state."""

    def __init__(self, stored: dict[Principal, str] | None = None) -> None:
        self.stored = dict(stored or {})
        self.adds: list[str] = []

    async def watched(self) -> list[tuple[Principal, str]]:
        return list(self.stored.items())

    async def add(self, principal: Principal) -> None:
        self.adds.append(principal.username)


class Clock:
    """A fake clock with the one timer the service keeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.timers: list[list[Any]] = []  # [due, callback, cancelled]

    def later(self, delay: float, callback: Callable[[], None]) -> Any:
        timer = [self.now + delay, callback, False]
        self.timers.append(timer)

        class Handle:
            def cancel(self) -> None:
                timer[2] = True

        return Handle()

    def pending(self) -> list[float]:
        return [due for due, _, cancelled in self.timers if not cancelled]

    async def advance(self, seconds: float) -> None:
        """Move time on, firing the timers that fall due, and let their work finish."""
        self.now += seconds
        for timer in list(self.timers):
            if not timer[2] and timer[0] <= self.now:
                timer[2] = True
                timer[1]()
        for _ in range(5):
            await asyncio.sleep(0)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def service(clock: Clock, agents: FakeAgents, grace: int = 30, auth: FakeAuth | None = None,
            desk_users: FakeDeskUsers | None = None) -> PresenceService:
    return PresenceService(auth or FakeAuth({}), agents, FakeSettings(grace),  # type: ignore[arg-type]
                           clock=lambda: clock.now, later=clock.later, desk_users=desk_users or FakeDeskUsers())


async def test_a_desk_user_is_stored_once_and_watched_after_a_restart(clock: Clock) -> None:
    desk_users = FakeDeskUsers()
    presence = service(clock, FakeAgents({"agent1": "online"}), desk_users=desk_users)
    presence.desk_connected(ALICE, "tab")
    presence.desk_connected(ALICE, "another tab")
    await clock.advance(0)
    assert desk_users.adds == ["agent1"]

    # the server restarts: agent1 (online) and agent2 (offline) had desk pages, agent3 works through the API
    agents = FakeAgents({"agent1": "online", "agent2": "offline", "agent3": "online"})
    restarted = service(clock, agents, desk_users=FakeDeskUsers({ALICE: "online", BRUNO: "offline"}))
    await restarted.resume()
    assert clock.pending()[-1:] == [clock.now + 30]
    await clock.advance(30)
    assert agents.changes == [("agent1", "offline")]


async def test_a_desk_page_back_within_the_grace_after_a_restart_keeps_the_agent(clock: Clock) -> None:
    agents = FakeAgents({"agent1": "online"})
    presence = service(clock, agents, desk_users=FakeDeskUsers({ALICE: "online"}))
    await presence.resume()
    await clock.advance(5)
    presence.desk_connected(ALICE, "reconnected")
    await clock.advance(100)
    assert agents.changes == []


async def test_an_agent_without_a_desk_page_goes_offline_once_the_grace_has_passed(clock: Clock) -> None:
    agents = FakeAgents({"agent1": "online"})
    presence = service(clock, agents)
    presence.desk_connected(ALICE, "tab")
    presence.desk_disconnected(ALICE, "tab")
    assert clock.pending() == [1030.0]
    await clock.advance(29)
    assert agents.changes == []
    await clock.advance(1)
    assert agents.changes == [("agent1", "offline")]


async def test_a_reload_within_the_grace_changes_nothing(clock: Clock) -> None:
    agents = FakeAgents({"agent1": "online"})
    presence = service(clock, agents)
    presence.desk_connected(ALICE, "old")
    presence.desk_disconnected(ALICE, "old")
    await clock.advance(2)
    presence.desk_connected(ALICE, "new")
    await clock.advance(100)
    assert agents.changes == []
    assert agents.states["agent1"] == "online"


async def test_a_paused_agent_goes_offline_too_and_an_offline_one_is_left_alone(clock: Clock) -> None:
    agents = FakeAgents({"agent1": "paused", "agent2": "offline"})
    presence = service(clock, agents, grace=10)
    for principal in (ALICE, BRUNO):
        presence.desk_connected(principal, f"tab-{principal.id}")
        presence.desk_disconnected(principal, f"tab-{principal.id}")
    await clock.advance(10)
    assert agents.changes == [("agent1", "offline")]


async def test_each_agent_has_their_own_grace(clock: Clock) -> None:
    agents = FakeAgents({"agent1": "online", "agent2": "online"})
    presence = service(clock, agents, grace=30)
    presence.desk_connected(ALICE, "a")
    presence.desk_connected(BRUNO, "b")
    presence.desk_disconnected(ALICE, "a")
    await clock.advance(20)
    presence.desk_disconnected(BRUNO, "b")
    await clock.advance(10)
    assert agents.changes == [("agent1", "offline")]
    await clock.advance(20)
    assert agents.changes == [("agent1", "offline"), ("agent2", "offline")]


async def test_a_user_without_a_desk_is_not_changed(clock: Clock) -> None:
    admin = Principal(9, "admin", "admin", "Ada Admin")
    agents = FakeAgents({})
    presence = service(clock, agents, grace=5)
    presence.desk_connected(admin, "tab")
    presence.desk_disconnected(admin, "tab")
    await clock.advance(5)
    assert agents.changes == []


async def test_signing_out_sets_the_agent_offline_at_once_and_ends_the_session(clock: Clock) -> None:
    agents = FakeAgents({"agent1": "online"})
    auth = FakeAuth({"token": ALICE})
    presence = service(clock, agents, auth=auth)
    presence.desk_connected(ALICE, "tab")
    await presence.sign_out("token")
    assert agents.changes == [("agent1", "offline")]
    assert auth.sessions == {}
    presence.desk_disconnected(ALICE, "tab")  # the desk page goes after the sign-out: already offline
    await clock.advance(30)
    assert agents.changes == [("agent1", "offline")]


async def test_signing_out_one_session_leaves_another_sessions_desk_watched(clock: Clock) -> None:
    agents = FakeAgents({"agent1": "online"})
    presence = service(clock, agents, auth=FakeAuth({"token": ALICE}))
    presence.desk_connected(ALICE, "other-browser")
    await presence.sign_out("token")
    agents.states["agent1"] = "online"  # picked again in the other browser
    presence.desk_disconnected(ALICE, "other-browser")
    await clock.advance(30)
    assert agents.changes == [("agent1", "offline"), ("agent1", "offline")]


async def test_a_page_back_when_the_grace_ran_out_keeps_the_agent_online(clock: Clock) -> None:
    agents = FakeAgents({"agent1": "online"})
    presence = service(clock, agents)
    presence.desk_connected(ALICE, "tab")
    presence.desk_disconnected(ALICE, "tab")
    clock.now += 30
    presence.expire()  # the timer fires ...
    presence.desk_connected(ALICE, "reloaded")  # ... and the reload connects before the state is changed
    await clock.advance(0)
    assert agents.changes == []


async def test_signing_out_an_ended_session_changes_no_state(clock: Clock) -> None:
    agents = FakeAgents({"agent1": "online"})
    presence = service(clock, agents, auth=FakeAuth({}))
    await presence.sign_out("ended")
    assert agents.changes == []


# --- the setting -------------------------------------------------------------------------------------
def test_the_grace_is_a_workspace_setting_of_5_to_600_seconds() -> None:
    assert DEFAULTS["presence"] == {"grace_seconds": 30}
    assert validate_settings({"presence": {"grace_seconds": 5}}) == {"presence": {"grace_seconds": 5}}
    for bad in (4, 601, "30", 12.5, True, None):
        with pytest.raises(Invalid, match="presence.grace_seconds must be a whole number from 5 to 600"):
            validate_settings({"presence": {"grace_seconds": bad}})
    with pytest.raises(Invalid, match="Unknown field"):
        validate_settings({"presence": {"grace": 30}})
