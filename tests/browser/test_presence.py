"""Presence in real headless Chromium (SPEC P1): an agent who signs out, closes the last desk window, or whose
browser stops answering goes offline, and the next customer is offered to an agent who is there; a reload
within the grace changes nothing; an agent working through the REST API alone is never taken offline.

The tests of this module run in order (run with -x): the first sets the grace on the Settings page.
"""
from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable, Iterator

import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

from tests.api.conftest import eventually as eventually_within, new_id, new_phone
from tests.browser.conftest import Browser
from tests.serverproc import Api, ServerProcess

GRACE = 5  # seconds: the shortest grace the setting takes
LONG_GRACE = 600  # seconds: a grace that cannot explain an offline seen during a test
# NiceGUI pings every 8 s and gives up 4 s later (reconnect_timeout 10 s): a silent browser's socket is closed
# by then; the rest is for a busy machine.
DEAD_SOCKET = 8 + 4
eventually = functools.partial(eventually_within, timeout=DEAD_SOCKET + GRACE + 30, interval=0.2)
_windows = itertools.count()


@pytest.fixture(scope="module")
def api(server: ServerProcess) -> Iterator[dict[str, Api]]:
    clients = {name: Api(server.base, name) for name in ("admin", "supervisor", "agent1", "agent2")}
    yield clients
    for name in ("agent1", "agent2"):
        client = clients[name]
        for interaction_id in client.get("/me").json()["open_interactions"]:
            client.post(f"/interactions/{interaction_id}/close", json={})
        client.put("/me/state", json={"state": "offline"})
    clients["admin"].put("/admin/settings", json={"presence": {"grace_seconds": 30}})
    for client in clients.values():
        client.client.close()


@pytest.fixture(scope="module")
def desk(browsers: Callable[[str], Browser], api: dict[str, Api]) -> Callable[[str], Browser]:
    """A new window with `username`'s desk, the agent online."""
    def open_desk(username: str) -> Browser:
        window = browsers(f"{username}-{next(_windows)}")
        window.login(username)
        set_state(api, username, "online")
        window.wait(lambda d: "Online" in d.page_source, what="the desk shows Online")
        return window

    return open_desk


def set_state(api: dict[str, Api], username: str, state: str) -> None:
    r = api[username].put("/me/state", json={"state": state})
    assert r.status_code == 200, r.text


def grace(api: dict[str, Api], seconds: int) -> None:
    r = api["admin"].put("/admin/settings", json={"presence": {"grace_seconds": seconds}})
    assert r.status_code == 200, r.text


def board_state(api: dict[str, Api], username: str) -> str:
    r = api["supervisor"].get("/supervisor/board")
    assert r.status_code == 200, r.text
    return next(a["state"] for a in r.json()["agents"] if a["username"] == username)


def my_state(server: ServerProcess, username: str) -> str:
    """Read through a new session of the agent's own (their others may have been signed out)."""
    client = Api(server.base, username)
    try:
        return client.get("/me").json()["state"]
    finally:
        client.client.close()


def retype(field: WebElement, text: str) -> None:
    """As a person replaces a value (the input then tells the server)."""
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.BACKSPACE)
    field.send_keys(text)


def test_the_admin_sets_the_grace_on_the_settings_page(browsers: Callable[[str], Browser],
                                                       api: dict[str, Api]) -> None:
    admin = browsers("admin")
    admin.login("admin", next_path="/admin/settings")
    field = admin.css("input[aria-label='Offline after the desk is closed (seconds, 5-600)']")
    assert field.get_attribute("value") == "30"  # the default
    retype(field, str(GRACE))
    admin.click(admin.button("Save"))
    admin.notice("Settings saved.")
    assert api["admin"].get("/admin/settings").json()["presence"] == {"grace_seconds": GRACE}
    retype(field, "2")
    admin.click(admin.button("Save"))
    admin.notice("presence.grace_seconds must be a whole number from 5 to 600.")
    assert api["admin"].get("/admin/settings").json()["presence"] == {"grace_seconds": GRACE}


def test_closing_the_last_desk_window_takes_the_agent_offline_and_the_next_customer_to_another(
        server: ServerProcess, desk: Callable[[str], Browser], api: dict[str, Api]) -> None:
    first, second = desk("agent1"), desk("agent1")
    set_state(api, "agent2", "online")  # agent2 works through the REST API only: no desk page
    first.driver.quit()
    assert board_state(api, "agent1") == "online"  # one desk window is still open
    second.driver.quit()
    eventually(lambda: board_state(api, "agent1") == "offline", what="agent1 offline on the board")
    assert my_state(server, "agent1") == "offline"
    assert board_state(api, "agent2") == "online"  # an API-only agent is never taken offline for having no page

    r = api["agent2"].inbound(new_id(), new_phone(), "Is anybody there?", name="Nina Neri")
    assert r.status_code == 200, r.text
    offer = api["agent2"].wait_for_offer(timeout=10)
    assert offer["contact"]["name"] == "Nina Neri"
    assert api["agent1"].get("/offers").json()["items"] == []
    api["agent2"].post(f"/interactions/{offer['interaction_id']}/accept")
    api["agent2"].post(f"/interactions/{offer['interaction_id']}/close", json={})
    set_state(api, "agent2", "offline")


def test_a_reload_within_the_grace_keeps_the_agent_online(desk: Callable[[str], Browser],
                                                          api: dict[str, Api]) -> None:
    grace(api, 10)  # room for a reload on a busy machine
    window = desk("agent1")
    window.driver.refresh()
    reloaded = time.monotonic()
    window.ready()
    window.text("Online")
    time.sleep(max(0.0, reloaded + 10 + 2 - time.monotonic()))  # the grace of the old page's loss is over
    assert board_state(api, "agent1") == "online"
    window.driver.quit()
    eventually(lambda: board_state(api, "agent1") == "offline", what="agent1 offline once the window closed")
    grace(api, GRACE)


def test_a_browser_that_stops_answering_takes_the_agent_offline(desk: Callable[[str], Browser],
                                                                 api: dict[str, Api]) -> None:
    window = desk("agent1")
    window.driver.execute_cdp_cmd("Page.setWebLifecycleState", {"state": "frozen"})  # no more pongs
    eventually(lambda: board_state(api, "agent1") == "offline", what="agent1 offline after the socket died")
    window.driver.quit()


def test_signing_out_on_the_desk_takes_the_agent_offline_at_once(server: ServerProcess,
                                                                 desk: Callable[[str], Browser],
                                                                 api: dict[str, Api]) -> None:
    grace(api, LONG_GRACE)  # only the sign-out can explain an offline here
    window = desk("agent1")
    window.click(window.button("account_circle"))
    window.click(window.text("Sign out"))
    window.wait(lambda d: "/login" in d.current_url, what="the sign-in page")
    assert board_state(api, "agent1") == "offline"
    assert my_state(server, "agent1") == "offline"
    window.driver.quit()


def test_signing_out_through_the_api_takes_the_agent_offline_at_once(server: ServerProcess,
                                                                     desk: Callable[[str], Browser],
                                                                     api: dict[str, Api]) -> None:
    window = desk("agent2")
    session = Api(server.base, "agent2")
    assert session.post("/auth/logout").json() == {"status": "signed_out"}
    session.client.close()
    assert board_state(api, "agent2") == "offline"
    window.text("Offline")  # the desk hears it as any state change
    window.driver.quit()
    grace(api, GRACE)


def test_after_a_restart_an_agent_whose_browser_never_comes_back_goes_offline(server: ServerProcess,
                                                                             desk: Callable[[str], Browser],
                                                                             api: dict[str, Api]) -> None:
    """Presence is kept in memory, but who had a desk page is stored: after a restart such an agent, still
    Online in the database, is watched as if their page went at start-up; an API-only agent stays exempt."""
    window = desk("agent1")
    api_only = Api(server.base, "agent3")  # has never had a desk page
    try:
        assert api_only.put("/me/state", json={"state": "online"}).status_code == 200
        server.kill()  # a crash: no page is told to go
        window.driver.quit()  # ... and this browser never comes back
        server.start()
        eventually(lambda: board_state(api, "agent1") == "offline", what="agent1 offline after the grace")
        assert my_state(server, "agent1") == "offline"
        assert board_state(api, "agent3") == "online"
    finally:
        api_only.put("/me/state", json={"state": "offline"})
        api_only.client.close()
