"""Offers and the waiting list in real headless Chromium (SPEC D2, D3, R3): offers stack above the conversation
list, where they cover neither the chat's menu nor the sidebar, each naming its customer and queue; what nobody
took stays listed for the queue's agents, who take it at once (the first wins); notices name the customer.

The tests of this module run in order (run with -x): they share two agents' windows.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from tests.api.conftest import eventually, new_id, new_phone
from tests.browser.conftest import Browser, xpath_literal
from tests.serverproc import Api, ServerProcess

QUEUE = "WhatsAppConn1"
CUSTOMERS = ("Olga Ferri", "Piero Sala", "Rita Gallo")
NAMES = {"agent1": "Alice Agent", "agent2": "Bruno Agent"}
OFFER = "//div[contains(@class, 'xc-offer')][.//div[text()={}]]"
WAITING = "//div[contains(@class, 'xc-waiting')][.//div[text()={}]]"
TAB = "//div[contains(@class, 'xc-tab')][.//div[text()={}]]"


@dataclass
class Desks:
    api: dict[str, Api]
    windows: dict[str, Browser]
    ids: dict[str, int]

    def write(self, customer: str) -> int:
        r = self.api["admin"].inbound(new_id(), new_phone(), f"Hello, {customer} here", name=customer)
        assert r.status_code == 200, r.text
        self.ids[customer] = r.json()["interaction_id"]
        return self.ids[customer]


@pytest.fixture(scope="module")
def desks(server: ServerProcess, browsers: Callable[[str], Browser]) -> Iterator[Desks]:
    api = {name: Api(server.base, name) for name in ("admin", "agent1", "agent2")}
    windows = {}
    for name in ("agent1", "agent2"):
        assert api[name].put("/me/state", json={"state": "online"}).status_code == 200
        windows[name] = browsers(name)
        windows[name].login(name)
        windows[name].wait(lambda d: "Online" in d.page_source, what="the desk shows Online")
    yield Desks(api, windows, {})
    for name in ("agent1", "agent2"):
        for interaction_id in api[name].get("/me").json()["open_interactions"]:
            api[name].post(f"/interactions/{interaction_id}/close", json={})
        api[name].put("/me/state", json={"state": "offline"})
    for client in api.values():
        client.client.close()


def card(window: Browser, customer: str) -> WebElement:
    return window.find(By.XPATH, OFFER.format(xpath_literal(customer)), what=f"the offer for {customer}")


def waiting_row(window: Browser, customer: str) -> WebElement:
    return window.find(By.XPATH, WAITING.format(xpath_literal(customer)), what=f"{customer} in the waiting list")


def rect(window: Browser, element: WebElement) -> dict[str, float]:
    return window.driver.execute_script("const r = arguments[0].getBoundingClientRect();"
                                        "return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};",
                                        element)


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def test_offers_stack_in_the_conversation_column_readable_and_covering_nothing(desks: Desks) -> None:
    agent = desks.windows["agent1"]
    desks.write(CUSTOMERS[0])
    first = card(agent, CUSTOMERS[0])
    assert "New conversation" in first.text and f"queue {QUEUE}" in first.text and "left to answer" in first.text
    # a conversation is open (the first customer's offer taken by the other agent would hide it): open one
    desks.write(CUSTOMERS[1])
    second = card(agent, CUSTOMERS[1])
    agent.screenshot("desk-offers-stacked")
    cards = [rect(agent, first), rect(agent, second)]
    assert not overlaps(*cards), cards  # several at once, each readable
    drawer = rect(agent, agent.css(".q-drawer--left"))
    for box in cards:
        assert drawer["left"] <= box["left"] and box["right"] <= drawer["right"], (box, drawer)
    for covered in (agent.css(".q-drawer--right"), agent.css("header")):
        assert not any(overlaps(box, rect(agent, covered)) for box in cards)


def test_a_rejected_conversation_waits_in_view_and_the_first_to_take_it_wins(desks: Desks) -> None:
    first, second = desks.windows["agent1"], desks.windows["agent2"]
    customer = CUSTOMERS[0]
    for name, window in desks.windows.items():
        window.click(lambda w=window: w.button("Reject", within=card(w, customer)), what="reject")
        window.wait_gone(By.XPATH, OFFER.format(xpath_literal(customer)), what="the offer goes")
    for window in (first, second):
        window.wait(lambda d, w=window: "offered to you" not in waiting_row(w, customer).text,
                    what="listed, no longer offered")
        assert f"{QUEUE} · waiting" in waiting_row(window, customer).text
    first.screenshot("desk-waiting-list")
    first.click(lambda: first.button("Take", within=waiting_row(first, customer)), what="take")
    first.find(By.XPATH, TAB.format(xpath_literal(customer)), what="the taken conversation's tab")
    second.wait_gone(By.XPATH, WAITING.format(xpath_literal(customer)), what="gone from the other agent's list")
    first.wait_gone(By.XPATH, WAITING.format(xpath_literal(customer)), what="gone from the taker's list")
    assert desks.api["admin"].get(f"/interactions/{desks.ids[customer]}").json()["owner"] == "agent1"


def test_a_colleague_taking_a_conversation_is_told_with_their_name_and_the_customer(desks: Desks) -> None:
    first, second = desks.windows["agent1"], desks.windows["agent2"]
    customer = CUSTOMERS[1]
    card(second, customer)
    first.click(lambda: first.button("Accept", within=card(first, customer)), what="accept")
    second.wait_gone(By.XPATH, OFFER.format(xpath_literal(customer)), what="the other agent's offer goes")
    second.notice(f"{NAMES['agent1']} took {customer} first.")


def test_the_header_count_leads_to_the_waiting_list(desks: Desks) -> None:
    second = desks.windows["agent2"]
    customer = CUSTOMERS[2]
    desks.write(customer)
    second.click(lambda: second.button("Reject", within=card(second, customer)), what="reject")
    waiting_row(second, customer)
    second.click(second.find(By.CSS_SELECTOR, ".q-expansion-item .q-item"), what="fold the waiting list")
    second.wait_gone(By.XPATH, WAITING.format(xpath_literal(customer)), what="the list folds")
    second.click(second.find(By.XPATH, f"//header//div[contains(@class, 'q-chip')][contains(., {xpath_literal(QUEUE)})]"),
                 what="the queue's waiting count")
    eventually(lambda: waiting_row(second, customer).is_displayed(), what="the list opens again")
    second.click(lambda: second.button("Take", within=waiting_row(second, customer)), what="take")
    eventually(lambda: desks.api["admin"].get(f"/interactions/{desks.ids[customer]}").json()["owner"] == "agent2")
    first = desks.windows["agent1"]
    first.wait_gone(By.XPATH, OFFER.format(xpath_literal(customer)), what="agent1's offer goes")
