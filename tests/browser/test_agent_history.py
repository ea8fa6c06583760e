"""What an agent keeps in view, in real headless Chromium: a supervisor's note arrives unread like a
customer's message (SPEC R8, S2), and a conversation the agent transferred away stays in their Interactions
list with their part in it (SPEC L1).

The customers write through the sandbox webhook; accepts, transfers and the supervisor's note go through the
REST API, whose answers the agent's window must then show."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from tests.api.conftest import new_id, new_phone
from tests.browser.conftest import Browser, xpath_literal
from tests.serverproc import Api, ServerProcess

ANNA = "Anna Conti"  # the conversation in view
BEA = "Bea Galli"  # the one the supervisor writes about, not in view
CARLA = "Carla Ricci"  # the one agent1 transfers to agent2
TAB = "//div[contains(@class, 'xc-tab')][.//div[text()={}]]"


@pytest.fixture(scope="module")
def api(server: ServerProcess) -> Iterator[dict[str, Api]]:
    clients = {name: Api(server.base, name) for name in ("admin", "supervisor", "agent1", "agent2")}
    yield clients
    for name in ("agent1", "agent2"):  # leave nothing open behind
        for interaction_id in clients[name].get("/me").json()["open_interactions"]:
            clients[name].post(f"/interactions/{interaction_id}/close", json={})
        clients[name].put("/me/state", json={"state": "offline"})
    for client in clients.values():
        client.client.close()


@pytest.fixture(scope="module")
def agent(browsers: Callable[[str], Browser]) -> Browser:
    browser = browsers("agent1")
    browser.login("agent1")
    return browser


def conversation(api: dict[str, Api], name: str, owner: str = "agent1") -> int:
    """A customer writes; `owner` (online) accepts the offer."""
    r = api["admin"].inbound(new_id(), new_phone(), "Hello", name=name)
    assert r.status_code == 200, r.text
    interaction_id = r.json()["interaction_id"]
    api[owner].wait_for_offer(interaction_id)
    r = api[owner].post(f"/interactions/{interaction_id}/accept")
    assert r.status_code == 200, r.text
    return interaction_id


def tab(browser: Browser, customer: str) -> WebElement:
    return browser.find(By.XPATH, TAB.format(xpath_literal(customer)), what=f"tab of {customer}")


def badge_text(browser: Browser, customer: str) -> str:
    """The unread badge of the customer's tab, or "" when it is hidden."""
    shown = [b for b in tab(browser, customer).find_elements(By.CSS_SELECTOR, ".q-badge") if b.is_displayed()]
    return shown[0].text.strip() if shown else ""


def unread_total(browser: Browser) -> str:
    """The desk's total of unread messages, or "" when it is hidden."""
    shown = [b for b in browser.driver.find_elements(By.CSS_SELECTOR, ".q-badge") if b.is_displayed()
             and b.text.strip().endswith(" unread")]
    return shown[0].text.strip() if shown else ""


def test_a_supervisors_note_shows_as_unread_on_the_agents_tab(agent: Browser, api: dict[str, Api]) -> None:
    assert api["agent1"].put("/me/state", json={"state": "online"}).status_code == 200
    anna = conversation(api, ANNA)
    tab(agent, ANNA)
    agent.wait(lambda d: agent.has_text("Hello") and badge_text(agent, ANNA) == "", what="Anna's chat, read")
    bea = conversation(api, BEA)
    tab(agent, BEA)
    assert api["agent1"].post(f"/interactions/{bea}/read").json()["unread"] == 0
    agent.wait(lambda d: badge_text(agent, BEA) == "" and unread_total(agent) == "", what="nothing unread")

    r = api["supervisor"].post(f"/supervisor/interactions/{bea}/notes", json={"text": "Offer her the refund"})
    assert r.status_code == 201, r.text
    agent.wait(lambda d: badge_text(agent, BEA) == "1", what="badge 1 on Bea's tab")
    agent.wait(lambda d: unread_total(agent) == "1 unread", what="the desk's total counts the note")
    assert badge_text(agent, ANNA) == ""
    agent.screenshot("desk-supervisor-note-unread")

    agent.click(lambda: tab(agent, BEA), what="open Bea's conversation")
    note = agent.css(".xc-bubble.xc-note")
    agent.wait(lambda d: "Supervisor's note for agent1 only" in note.text and "Offer her the refund" in note.text,
               what="the note, marked as the supervisor's")
    agent.wait(lambda d: badge_text(agent, BEA) == "" and unread_total(agent) == "", what="reading clears it")
    assert api["agent1"].get(f"/interactions/{bea}").json()["unread"] == 0
    assert api["agent1"].get(f"/interactions/{anna}").json()["unread"] == 0


def test_a_conversation_transferred_away_stays_in_the_agents_list_up_to_the_transfer(
        agent: Browser, api: dict[str, Api]) -> None:
    for name in ("agent1", "agent2"):
        assert api[name].put("/me/state", json={"state": "online"}).status_code == 200
    carla = conversation(api, CARLA)
    assert api["agent1"].post(f"/interactions/{carla}/messages", json={"text": "Let me look into it"}).status_code \
        == 201
    r = api["agent1"].post(f"/interactions/{carla}/transfer", json={"agent": "agent2"})
    assert r.status_code == 200, r.text
    api["agent2"].wait_for_offer(carla)
    assert api["agent2"].post(f"/interactions/{carla}/accept").status_code == 200
    assert api["agent2"].post(f"/interactions/{carla}/messages", json={"text": "Sorted, Carla!"}).status_code == 201

    agent.open("/interactions")
    row = f"//tbody/tr[td[contains(., {xpath_literal(CARLA)})]]"
    agent.wait(lambda d: "Transferred" in agent.find(By.XPATH, row, what="Carla's row").text,
               what="Carla's row marked Transferred")
    agent.screenshot("interactions-transferred-away")
    agent.click(lambda: agent.find(By.XPATH, row), what="open Carla's conversation")
    agent.text("Let me look into it")
    agent.text("You transferred this conversation")
    assert not agent.has_text("Sorted, Carla!")  # the new owner's reply came after the transfer
    agent.screenshot("interactions-transferred-away-open")
    assert not agent.has_text("Close & Dispose…") and not agent.has_text("Save tags and disposition")  # read only
