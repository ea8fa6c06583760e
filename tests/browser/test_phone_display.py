"""Phone numbers read one way everywhere (international format, '+39 333 123 4567'): the offer card, the
desk's tab and header, the Interactions list, the contact form and the Contacts list; masked numbers stay
masked. A national number typed in the contact form without a default region is refused with the reason
beside the Phones field, and read in the workspace's region once an administrator sets one."""
from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import Browser, dialog, xpath_literal
from tests.browser.test_contacts import field, fill, ok, text_box
from tests.serverproc import Api, ServerProcess


@dataclass
class Number:
    e164: str  # as stored and as the API gives it
    readable: str  # as people should read it
    national: str  # as typed without the country code

    @classmethod
    def italian_mobile(cls) -> Number:
        digits = f"{random.randrange(10**7):07d}"
        return cls(f"+39333{digits}", f"+39 333 {digits[:3]} {digits[3:]}", f"333 {digits[:3]} {digits[3:]}")


@dataclass
class Scene:
    server: ServerProcess
    agent: Browser
    admin: Api
    customer: Number


@pytest.fixture(scope="module")
def scene(server: ServerProcess, browsers) -> Iterator[Scene]:
    """agent1 online on the desk with no default region set; a customer without a name writes."""
    admin, api = Api(server.base, "admin"), Api(server.base, "agent1")
    ok(admin.put("/admin/settings", json={"default_region": ""}))
    agent = browsers("agent1")
    agent.login("agent1")
    ok(api.put("/me/state", json={"state": "online"}))
    customer = Number.italian_mobile()
    r = httpx.post(f"{server.base}/webhooks/sandbox/sandbox", timeout=10,
                   json={"id": f"phone-{time.time_ns()}", "from": customer.e164, "text": "Where is my order?"})
    assert r.status_code == 200, r.text
    yield Scene(server, agent, admin, customer)
    ok(admin.put("/admin/settings", json={"masking": {"phone": "none"}, "default_region": ""}))
    for interaction_id in api.get("/me").json()["open_interactions"]:
        api.post(f"/interactions/{interaction_id}/close", json={})
    api.put("/me/state", json={"state": "offline"})


def page_text(browser: Browser) -> str:
    return browser.driver.find_element(By.TAG_NAME, "body").text


def test_the_desk_shows_the_number_readably(scene: Scene) -> None:
    agent, number = scene.agent, scene.customer
    card = agent.find(By.XPATH, f"//div[contains(@class, 'q-card')][.//div[text()={xpath_literal(number.readable)}]]"
                                "[.//button[.//*[text()='Accept']]]", what="the offer names the number readably")
    agent.click(lambda: agent.button("Accept", within=card), what="accept")
    agent.find(By.XPATH, f"//div[contains(@class, 'xc-tab')][.//div[text()={xpath_literal(number.readable)}]]",
               what="the tab names the number readably")
    agent.wait(lambda d: agent.css("main .text-base.font-medium").text == number.readable,
               what="the chat header names the number readably")
    agent.text("Where is my order?")
    agent.screenshot("phone-desk")
    assert number.e164 not in page_text(agent)


def test_the_interactions_list_shows_the_number_readably(scene: Scene) -> None:
    agent, number = scene.agent, scene.customer
    agent.open("/interactions")
    agent.find(By.XPATH, f"//tbody/tr[td[contains(., {xpath_literal(number.readable)})]]", what="the row")
    assert number.e164 not in page_text(agent)


def test_a_national_number_is_explained_beside_the_field_then_read_in_the_region(scene: Scene) -> None:
    agent, admin = scene.agent, scene.admin
    number = Number.italian_mobile()
    agent.open("/contacts")
    agent.click(agent.button("Add contact"))
    box = dialog(agent)
    fill(agent, "First name", "Nadia", box)
    fill(agent, "Last name", "Nazionale", box)
    fill(agent, "Phones", number.national, box)
    agent.click(agent.button("Add contact", within=box))
    phones = field(agent, "Phones", box)
    agent.wait(lambda d: "q-field--error" in phones.get_attribute("class"), what="the Phones field shows an error")
    message = phones.find_element(By.CSS_SELECTOR, ".q-field__messages").text
    assert number.national in message and "country code" in message and "default region" in message, message
    agent.screenshot("contact-phone-error")

    ok(admin.put("/admin/settings", json={"default_region": "IT"}))
    agent.click(agent.button("Add contact", within=box))
    agent.notice("Nadia Nazionale added to Customers.")
    agent.wait_gone(By.CSS_SELECTOR, ".q-dialog .q-card", what="the dialog closes")
    row = agent.find(By.XPATH, "//tbody/tr[td[1][normalize-space(.)='Nadia Nazionale']]", what="the new row")
    assert number.readable in row.text
    [stored] = ok(admin.get("/contacts", params={"q": "Nazionale"}))["items"]
    assert stored["phones"] == [number.e164]

    agent.click(lambda: agent.find(By.XPATH, "//tbody/tr[td[1][normalize-space(.)='Nadia Nazionale']]"),
                what="open the contact")
    agent.wait(lambda d: text_box(agent, "Phones").get_attribute("value") == number.readable,
               what="the contact's form shows the number readably")


def test_masked_numbers_stay_masked(scene: Scene) -> None:
    agent, number = scene.agent, scene.customer
    ok(scene.admin.put("/admin/settings", json={"masking": {"phone": "partial"}}))
    agent.open("/interactions")
    masked = number.e164[:4] + "•••" + number.e164[-2:]
    agent.find(By.XPATH, f"//tbody/tr[td[contains(., {xpath_literal(masked)})]]", what="the masked row")
    shown = page_text(agent)
    assert number.e164 not in shown and number.readable not in shown and number.national not in shown
    agent.open("/")
    agent.find(By.XPATH, f"//div[contains(@class, 'xc-tab')][.//div[text()={xpath_literal(masked)}]]",
               what="the tab names the masked number")
    assert number.readable not in page_text(agent)
