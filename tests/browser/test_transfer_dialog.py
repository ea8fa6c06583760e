"""The transfer dialog in real headless Chromium (SPEC R7, D9): each queue with how many of its agents are online
now, a queue with nobody online shown but not choosable, the sender's reason carried with the transfer, and one
notice for one transfer (never "offered" and "not taken" at once).

A story in order (run with -x): agent1 works in the browser; the customers write through the sandbox webhook;
agent2 goes online, accepts and goes offline through the REST API."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from tests.api.conftest import new_id, new_phone
from tests.browser.conftest import Browser, dialog, xpath_literal
from tests.browser.test_story import chat_title, choose, menu, no_tab, select
from tests.serverproc import Api, ServerProcess
from tests.stored import rows

GIULIA = "Giulia Neri"  # transferred to the queue, with a reason
PIETRO = "Pietro Galli"  # whose transfer finds nobody left online
BILLING = "Billing"  # a queue of agent1 (the sender) and agent3, who stays offline
QUEUE = "WhatsAppConn1"  # the demo's queue: agent1 to agent5
REASON = "Invoice question: Bruno handled her last order"
NOTICE = "//div[contains(concat(' ', normalize-space(@class), ' '), ' q-notification ')]"


@pytest.fixture(scope="module")
def api(server: ServerProcess) -> Iterator[dict[str, Api]]:
    clients = {name: Api(server.base, name) for name in ("admin", "supervisor", "agent1", "agent2")}
    r = clients["admin"].post("/admin/queues", json={"name": BILLING, "members": ["agent1", "agent3"]})
    assert r.status_code == 201, r.text
    yield clients
    for name in ("agent1", "agent2"):  # leave nothing open behind
        for interaction_id in clients[name].get("/me").json()["open_interactions"]:
            clients[name].post(f"/interactions/{interaction_id}/close", json={})
        clients[name].put("/me/state", json={"state": "offline"})
    for client in clients.values():
        client.client.close()


@pytest.fixture(scope="module")
def sender(browsers: Callable[[str], Browser]) -> Browser:
    browser = browsers("agent1")
    browser.login("agent1")
    return browser


@pytest.fixture(scope="module")
def ids() -> dict[str, int]:
    """Customer name -> interaction id, filled as the story goes."""
    return {}


def conversation(api: dict[str, Api], name: str) -> int:
    """A customer writes; agent1 (online) accepts the offer."""
    r = api["admin"].inbound(new_id(), new_phone(), "Hello, a question about my invoice", name=name)
    assert r.status_code == 200, r.text
    interaction_id = r.json()["interaction_id"]
    api["agent1"].wait_for_offer(interaction_id)
    r = api["agent1"].post(f"/interactions/{interaction_id}/accept")
    assert r.status_code == 200, r.text
    return interaction_id


def set_state(api: Api, state: str) -> None:
    r = api.put("/me/state", json={"state": state})
    assert r.status_code == 200, r.text


def open_transfer_targets(browser: Browser, customer: str) -> list[str]:
    """Open Transfer… on the customer's chat and the list of targets; the options it shows."""
    select(browser, customer)
    menu(browser, "Transfer…")
    browser.click(lambda: dialog(browser).find_element(By.CSS_SELECTOR, ".q-select"), what="transfer target")
    return browser.wait(lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR, ".q-menu .q-item")
                                   if e.is_displayed()], what="transfer targets listed")


def option(browser: Browser, text: str) -> WebElement:
    return browser.find(By.XPATH, f"//div[contains(@class, 'q-menu')]//div[contains(@class, 'q-item')]"
                                  f"[contains(., {xpath_literal(text)})]", what=f"option {text!r}")


def notices(browser: Browser) -> list[str]:
    return [e.text for e in browser.driver.find_elements(By.XPATH, NOTICE) if e.is_displayed()]


def no_notices(browser: Browser) -> None:
    browser.wait_gone(By.XPATH, NOTICE, timeout=15, what="earlier notices have gone")


def only_notice(browser: Browser, text: str) -> str:
    """The one notice the last action gave, once it shows and a little after (a second one would follow it)."""
    browser.notice(text)
    time.sleep(1.5)
    shown = notices(browser)
    assert len(shown) == 1 and text in shown[0], shown
    return shown[0]


def transfers_of(server: ServerProcess, interaction_id: int) -> list[tuple[str, str | None]]:
    return [tuple(row) for row in rows(server, "SELECT status, note FROM transfers WHERE interaction_id = ? "
                                               "ORDER BY id", interaction_id)]


def test_the_dialog_lists_each_queue_with_its_agents_online(sender: Browser, api: dict[str, Api],
                                                            ids: dict[str, int]) -> None:
    set_state(api["agent1"], "online")
    ids[GIULIA] = conversation(api, GIULIA)
    sender.wait(lambda d: chat_title(sender) == GIULIA, what="Giulia's chat is shown")
    set_state(api["agent2"], "online")

    options = open_transfer_targets(sender, GIULIA)
    assert any("Bruno Agent" in o for o in options), options
    assert any(f"Queue {QUEUE} · 1 online" in o for o in options), options  # agent2; not the sender
    assert any(f"Queue {BILLING} · nobody online" in o for o in options), options
    assert not any("Alice Agent" in o for o in options), options
    sender.screenshot("desk-transfer-targets")


def test_a_queue_with_nobody_online_cannot_be_chosen(sender: Browser) -> None:
    billing = option(sender, f"Queue {BILLING}")
    assert billing.get_attribute("aria-disabled") == "true" or "disabled" in billing.get_attribute("class")
    sender.driver.execute_script("arguments[0].click()", billing)  # a click reaches it all the same
    time.sleep(0.5)
    sender.click(lambda: sender.text("Transfer the conversation"), what="close the list")
    sender.wait_gone(By.CSS_SELECTOR, ".q-menu", what="the list closes")
    assert BILLING not in dialog(sender).text


def test_a_transfer_with_a_reason_gives_one_notice_and_reaches_the_queues_agent(
        sender: Browser, api: dict[str, Api], ids: dict[str, int], server: ServerProcess) -> None:
    no_notices(sender)
    sender.click(lambda: dialog(sender).find_element(By.CSS_SELECTOR, ".q-select"), what="transfer target")
    choose(sender, f"Queue {QUEUE}")
    sender.wait(lambda d: f"Queue {QUEUE}" in dialog(sender).text, what="the queue chosen")
    Browser.type_into(sender.css("input[aria-label='Why? (optional)']"), REASON)
    sender.screenshot("desk-transfer-reason")
    sender.click(sender.button("Transfer", within=dialog(sender)))
    only_notice(sender, f"Transfer offered to queue {QUEUE}")
    sender.wait_gone(By.CSS_SELECTOR, ".q-dialog .q-card", what="the transfer dialog closes")

    interaction_id = ids[GIULIA]
    assert api["agent2"].wait_for_offer(interaction_id)["kind"] == "transfer"
    assert transfers_of(server, interaction_id) == [("pending", REASON)]
    history = api["supervisor"].get(f"/interactions/{interaction_id}").json()["history"]
    requested = next(h for h in history if h["kind"] == "transfer_requested")
    assert REASON in requested["detail"], requested
    r = api["agent2"].post(f"/interactions/{interaction_id}/accept")
    assert r.status_code == 200, r.text
    no_tab(sender, GIULIA)


def test_a_queue_left_with_nobody_online_meanwhile_is_refused_with_one_notice(
        sender: Browser, api: dict[str, Api], ids: dict[str, int], server: ServerProcess) -> None:
    sender.open("/")  # a fresh desk, whatever the story left open
    for username in ("agent1", "agent2"):
        set_state(api[username], "online")
    ids[PIETRO] = conversation(api, PIETRO)
    open_transfer_targets(sender, PIETRO)
    choose(sender, f"Queue {QUEUE}")
    set_state(api["agent2"], "offline")  # while the dialog is open
    no_notices(sender)
    sender.click(sender.button("Transfer", within=dialog(sender)))
    shown = only_notice(sender, "online to take the transfer")
    assert QUEUE in shown and "offered" not in shown and "not taken" not in shown, shown
    assert "Transfer the conversation" in dialog(sender).text  # still open: another target may be chosen

    details = api["supervisor"].get(f"/interactions/{ids[PIETRO]}").json()
    assert details["owner"] == "agent1" and details["transfer"] is None and details["unread"] == 0
    assert transfers_of(server, ids[PIETRO]) == []
    sender.click(sender.button("Cancel", within=dialog(sender)))
    sender.wait_gone(By.CSS_SELECTOR, ".q-dialog .q-card", what="the transfer dialog closes")
    errors = [e for e in sender.console_errors() if "favicon" not in e]
    assert not errors, errors
