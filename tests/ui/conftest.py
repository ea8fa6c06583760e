"""Fixtures for page tests with NiceGUI's simulated user: a demo workspace on a fresh SQLite file, the
pages served in-process, and as many signed-in "browsers" as a test needs."""
from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from nicegui import context as page_context
from nicegui import core, ui
from nicegui.testing.user import User
from nicegui.testing.user_simulation import user_simulation

from server.services.auth import Principal
from server.ui import context
from tests.serverproc import copy_data_dir

MAIN = Path(__file__).with_name("sim_main.py")
# How long a page may take to show what a test waits for: `should_see` and `eventually` poll every 0.1 s, on the
# event loop the server shares with them (a tighter poll took loop time from the server on a busy machine).
# Generous, for a busy machine: the suite runs in two workers, also beside other loads (15 s was once not
# enough with two CPU hogs beside the whole suite); a pass takes only as long as the page does.
WAIT_RETRIES = 300
WAIT_SECONDS = 30.0
POLL_SECONDS = 0.1
_numbers = itertools.count(random.randrange(1_000_000, 8_000_000))


def new_phone() -> str:
    return f"+39333{next(_numbers):07d}"


PAGE_CALLS = {"navigate": {"to", "back", "forward", "reload"}, "notify": {"__call__"},
              "download": {"__call__", "file", "from_url", "content"}}


class _CalledFromItsPage:
    """Stands in for a simulated user's `navigate`, `notify` or `download`.

    NiceGUI's simulation points the global `ui.navigate` / `ui.notify` / `ui.download` at whichever user a
    test touched last, so with several users a page's `ui.navigate.to(...)` could move another user's page.
    Here what a page calls reaches the user whose page called it; what a test reads is its own user's."""

    def __init__(self, own: Any, of_calling_page: Callable[[], Any | None], routed: set[str]) -> None:
        self._own, self._of_calling_page, self._routed = own, of_calling_page, routed

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return (self._of_calling_page() or self._own)(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        target = (self._of_calling_page() or self._own) if name in self._routed else self._own
        return getattr(target, name)


class Browsers:
    """The app under test: open more simulated browsers, reach its services."""

    def __init__(self, first: User) -> None:
        self._users: list[tuple[User, dict[str, Any]]] = []
        self.first = self._routed(first)
        self._clients: list[httpx.AsyncClient] = []

    def _routed(self, user: User) -> User:
        own = {part: getattr(user, part) for part in PAGE_CALLS}
        self._users.append((user, own))
        for part, routed in PAGE_CALLS.items():
            setattr(user, part, _CalledFromItsPage(own[part], lambda part=part: self._of_calling_page(part),
                                                   routed))
        return user

    def _of_calling_page(self, part: str) -> Any | None:
        try:
            client = page_context.client
        except RuntimeError:  # not called from a page
            return None
        return next((own[part] for user, own in self._users if user.client is client), None)

    @property
    def services(self) -> Any:
        return context.services()

    async def new(self) -> User:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test")
        self._clients.append(client)
        return self._routed(User(client))

    async def signed_in(self, username: str, user: User | None = None) -> User:
        user = user or await self.new()
        await user.open("/login")
        user.find("Username").type(username)
        user.find("Password").type("demo")
        user.find(kind=ui.button, content="Sign in").click()
        await user.should_see("Conversations", retries=100)
        return user

    async def principal(self, username: str) -> Principal:
        _, principal = await self.services.auth.login(username, "demo")
        return principal

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()


@pytest.fixture
async def browsers(tmp_path, monkeypatch, sqlite_demo_dir) -> AsyncIterator[Browsers]:
    """A fresh copy of the demo workspace (migrated and made once per session) served in-process."""
    monkeypatch.setenv("XC_UI_TEST_DATA_DIR", str(copy_data_dir(sqlite_demo_dir, tmp_path / "data")))
    async with user_simulation(main_file=MAIN) as user:
        await eventually(context.services, timeout=20)  # NiceGUI runs startup handlers as background tasks
        opened = Browsers(user)
        yield opened
        await opened.close()


async def eventually(check: Callable[[], Awaitable[Any] | Any], timeout: float = WAIT_SECONDS) -> Any:
    """Poll until `check` gives something truthy (it may be async). A check that fails to find what it looks
    at (AssertionError: not on the page yet) is tried again; the last such failure is told at the timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        failure: AssertionError | None = None
        try:
            value = check()
            if asyncio.iscoroutine(value):
                value = await value
        except AssertionError as error:
            value, failure = None, error
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not reached in {timeout} s (last: {value!r})") from failure
        await asyncio.sleep(POLL_SECONDS)


async def receive(browsers: Browsers, phone: str, text: str, name: str = "", account: str = "sandbox") -> int:
    services = browsers.services
    provider = "sandbox" if account == "sandbox" else "meta"
    target = await services.inbound.account(account, provider)
    return (await services.inbound.receive(target, f"m-{phone}-{text}", phone, text, name=name)).interaction_id


def element(user, marker: str):
    [found] = user.find(marker=marker).elements
    return found


async def go_online(browsers: Browsers, user, username: str) -> None:
    """Through the desk's state selector, as the agent would."""
    element(user, "state").set_value("online")
    principal = await browsers.principal(username)

    async def online() -> bool:
        return (await browsers.services.agents.me(principal))["state"] == "online"

    await eventually(online)


async def accepted(browsers: Browsers, user, phone: str, text: str, name: str = "") -> int:
    interaction_id = await receive(browsers, phone, text, name)
    await user.should_see(marker="accept", retries=WAIT_RETRIES)
    user.find(marker="accept").click()
    await user.should_see(marker=f"tab-{interaction_id}", retries=WAIT_RETRIES)
    await user.should_not_see(marker="accept", retries=WAIT_RETRIES)
    await user.should_see(marker=f"chat-{interaction_id}", retries=WAIT_RETRIES)  # its chat and composer shown
    return interaction_id


def badge(user, interaction_id: int) -> ui.badge:
    """The tab's unread badge, found even while hidden."""
    [row] = user.find(marker=f"tab-{interaction_id}").elements
    return next(e for e in row.descendants() if isinstance(e, ui.badge))


def everything_shown(user) -> str:
    """Every text, value, option, row and property of every element on the simulated user's page."""
    parts = []
    for found in user.current_layout.descendants():
        parts.append(json.dumps(dict(found.props), default=str, ensure_ascii=False))
        parts.append(str(getattr(found, "text", "")))
        parts.append(str(getattr(found, "value", "")))
    return "\n".join(parts)
