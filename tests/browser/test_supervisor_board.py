"""The supervisor's live board and silent monitoring in real headless Chromium (SPEC S1, S2).

The agents and the customer act through the REST API and the sandbox webhook; the supervisor's window
must show each change as it happens, without a reload. How soon is measured, not asserted here (a busy
machine may take longer): scripts/bench_board.py prints it. Screenshots: supervisor-board.png,
supervisor-watching.png."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.api.conftest import eventually, new_id, new_phone
from tests.browser.conftest import Browser, xpath_literal
from tests.serverproc import Api, ServerProcess

QUEUE = "WhatsAppConn1"
QUEUE_CELLS = ["name", "waiting", "longest", "offers", "online", "paused", "full", "offline", "open", "answered",
               "target"]
AGENT_CELLS = ["agent", "state", "reason", "load", "offers", "in_state", "queues"]


@pytest.fixture(scope="module")
def api(server: ServerProcess) -> Iterator[dict[str, Api]]:
    clients = {name: Api(server.base, name) for name in ("supervisor", "agent1", "agent2", "agent3")}
    yield clients
    for client in clients.values():
        client.client.close()


@pytest.fixture(scope="module")
def supervisor(browsers: Callable[[str], Browser]) -> Browser:
    browser = browsers("supervisor")
    browser.login("supervisor", next_path="/supervisor")
    browser.text("Queue board")
    return browser


def row_cells(browser: Browser, key: str, names: list[str]) -> dict[str, str]:
    """The cells of the table row that has a cell containing `key`, by column name ({} when none yet)."""
    rows = browser.driver.find_elements(By.XPATH, f"//tr[td[contains(normalize-space(.), {xpath_literal(key)})]]")
    if not rows:
        return {}
    texts = [cell.text.strip() for cell in rows[0].find_elements(By.TAG_NAME, "td")]
    return dict(zip(names, texts))


def shown(browser: Browser, check: Callable[[], Any], what: str) -> Any:
    """`check()` becomes truthy on the open page, pushed by the server (the page is never reloaded)."""
    return browser.wait(lambda _: check(), what=what)


def queue_row(browser: Browser) -> dict[str, str]:
    return row_cells(browser, QUEUE, QUEUE_CELLS)


def agent_row(browser: Browser, username: str) -> dict[str, str]:
    return row_cells(browser, f"({username})", AGENT_CELLS)


def act(call: Callable[[], Any]) -> None:
    """Run an API action that must succeed."""
    response = call()
    assert response.status_code < 300, response.text


def test_the_board_follows_states_offers_accepts_and_closes_live(supervisor: Browser, api: dict[str, Api],
                                                                           server: ServerProcess) -> None:
    browser = supervisor
    browser.wait(lambda _: queue_row(browser).get("offline") == "5", what="five agents offline")

    act(lambda: api["agent1"].put("/me/state", json={"state": "paused", "reason": "Lunch"}))
    shown(browser, lambda: agent_row(browser, "agent1").get("state") == "paused"
          and agent_row(browser, "agent1").get("reason") == "Lunch", "agent1 paused for lunch")
    assert queue_row(browser)["paused"] == "1"

    act(lambda: api["agent2"].put("/me/state", json={"state": "online"}))
    shown(browser, lambda: agent_row(browser, "agent2").get("state") == "online", "agent2 online")

    phone = new_phone()
    act(lambda: api["supervisor"].inbound(new_id(), phone, "Hello, is anyone there?"))
    shown(browser, lambda: queue_row(browser).get("waiting") == "1" and queue_row(browser).get("offers") == "1",
          "one waiting and offered")
    shown(browser, lambda: agent_row(browser, "agent2").get("offers") == "1", "agent2 holds the offer")
    interaction_id = api["agent2"].wait_for_offer()["interaction_id"]
    browser.wait(lambda _: queue_row(browser).get("longest", "—") not in ("—", "0 s"),
                 what="the longest wait ticks")
    browser.screenshot("supervisor-board-waiting")

    act(lambda: api["agent2"].post(f"/interactions/{interaction_id}/accept"))
    shown(browser, lambda: queue_row(browser).get("waiting") == "0" and queue_row(browser).get("answered") == "1",
          "answered")
    shown(browser, lambda: agent_row(browser, "agent2").get("load") == "1 / 5"
          and agent_row(browser, "agent2").get("offers") == "0", "agent2 holds one, no offer")
    assert queue_row(browser)["target"].startswith("100% of 1")
    browser.screenshot("supervisor-board")

    act(lambda: api["agent2"].post(f"/interactions/{interaction_id}/close", json={}))
    shown(browser, lambda: agent_row(browser, "agent2").get("load") == "0 / 5", "agent2 holds none")
    shown(browser, lambda: queue_row(browser).get("open") == "0", "nothing open")

    act(lambda: api["agent1"].put("/me/state", json={"state": "offline"}))
    act(lambda: api["agent2"].put("/me/state", json={"state": "offline"}))
    shown(browser, lambda: queue_row(browser).get("offline") == "5", "all offline again")
    assert not browser.console_errors()


def conversation(api: dict[str, Api], agent: str, texts: list[str]) -> int:
    """A customer writes `texts[0]`; `agent` accepts it; the customer writes the rest."""
    phone = new_phone()
    r = api["supervisor"].inbound(new_id(), phone, texts[0])
    assert r.status_code == 200, r.text
    interaction_id = r.json()["interaction_id"]
    api[agent].wait_for_offer(interaction_id)
    assert api[agent].post(f"/interactions/{interaction_id}/accept").status_code == 200
    return interaction_id


def observed(api: dict[str, Api], agent: str, interaction_id: int) -> dict[str, Any]:
    """What the agent and the customer can observe of a conversation."""
    details = api[agent].get(f"/interactions/{interaction_id}").json()
    messages = api["supervisor"].get(f"/interactions/{interaction_id}/messages").json()["items"]
    return {"unread": details["unread"],
            "inbound": [(m["text"], m["status"]) for m in messages if m["direction"] == "in"],
            "to_customer": [(m["text"], m["status"]) for m in messages if m["direction"] == "out"]}


def test_a_watching_supervisor_changes_nothing_the_agent_or_the_customer_sees(
        supervisor: Browser, api: dict[str, Api]) -> None:
    browser = supervisor
    api["agent3"].put("/me/state", json={"state": "online"})
    texts = ["I ordered a lamp", "It arrived broken", "Can I have a new one?"]

    control = conversation(api, "agent3", texts[:1])
    watched = conversation(api, "agent3", texts[:1])
    browser.open(f"/supervisor/interactions/{watched}")
    browser.text("Watching silently")
    browser.text("Owner: agent3")

    for text in texts[1:]:
        for interaction_id in (control, watched):
            phone = api["supervisor"].get(f"/interactions/{interaction_id}").json()["contact"]["phone"]
            assert api["supervisor"].inbound(new_id(), phone, text).status_code == 200
        browser.text(text)  # arrives live in the supervisor's window
    for interaction_id in (control, watched):
        r = api["agent3"].post(f"/interactions/{interaction_id}/messages", json={"text": "Sorry! A new one is coming."})
        assert r.status_code == 201, r.text
    browser.text("Sorry! A new one is coming.")

    browser.type_into(browser.css("textarea"), "Offer express shipping")
    browser.click(browser.button("Note to agent"))
    browser.text("Offer express shipping")
    browser.screenshot("supervisor-watching")

    eventually(lambda: observed(api, "agent3", watched)["to_customer"] == observed(api, "agent3", control)[
        "to_customer"], what="the replies reached the same state")
    seen_control, seen_watched = observed(api, "agent3", control), observed(api, "agent3", watched)
    # Watching marks nothing read; only the note counts, as unread for the owner it is meant for.
    assert seen_watched["unread"] == seen_control["unread"] + 1 and seen_control["unread"] > 0
    assert api["agent3"].get("/me").json()["unread_total"] == 2 * seen_control["unread"] + 1
    assert seen_watched["inbound"] == seen_control["inbound"]
    assert seen_watched["to_customer"] == seen_control["to_customer"]  # the note never went out
    notes = [m for m in api["agent3"].get(f"/interactions/{watched}/messages").json()["items"]
             if m["direction"] == "note"]
    assert [(n["text"], n["to"], n["sender"]) for n in notes] == [
        ("Offer express shipping", "agent3", "Sam Supervisor (supervisor)")]

    for interaction_id in (control, watched):
        assert api["agent3"].post(f"/interactions/{interaction_id}/close", json={}).status_code == 200
    browser.text("This interaction is closed.")
    api["agent3"].put("/me/state", json={"state": "offline"})
    assert not browser.console_errors()
