"""The desk's "+" and the customer service window in headless Chromium (SPEC T1, T2, T4), as agent1 sees
them:

1. "+" to a number that is not a contact yet, on meta-demo: the dialog asks for a template, whose preview
   follows the variables as they are typed; sending it opens the new conversation in its own tab, the
   agent's from the start;
2. "+" on sandbox to a customer who wrote before (their conversation since closed): free text is allowed,
   and the message shows in the new tab;
3. the window closing live: a meta-demo conversation whose window closes a few seconds after the desk
   loads; the composer counts down, then (no reload) locks the message box and offers the recontact
   template, which is sent from "System"; the customer's reply opens the window again.

Meta's sends fail here (there is no real Meta): only what the desk shows and stores is checked. The
REST API sets the scene and checks what was stored; the window is moved by writing the module server's
SQLite file directly (no one waits 24 hours).

Screenshots: docs/screenshots/desk-new-conversation.png, desk-window-closed.png.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from server.domain.phone import readable_phone
from tests.browser.conftest import Browser, dialog, xpath_literal
from tests.browser.test_contacts import fill, pick
from tests.browser.test_story import bubble, chat_title, compose, offer_card
from tests.serverproc import Api, ServerProcess

AGENT, AGENT_NAME = "agent1", "Alice Agent"
META_SECRET = b"demo-app-secret"  # the demo's meta-demo account
WINDOW_LEFT = 6  # seconds of reply window left when the desk is loaded again in test 3
ORDER_UPDATE = "Hi {{1}}, your order {{2}} is on its way."


@dataclass
class Scene:
    server: ServerProcess
    agent: Browser
    api: Api  # agent1's

    def interaction(self, interaction_id: int) -> dict[str, Any]:
        return ok(self.api.get(f"/interactions/{interaction_id}"))

    def messages(self, interaction_id: int) -> list[dict[str, Any]]:
        return ok(self.api.get(f"/interactions/{interaction_id}/messages"))["items"]

    def open_ids(self) -> list[int]:
        return ok(self.api.get("/me"))["open_interactions"]

    def close_all(self) -> None:
        """Close agent1's conversations, and wait for their tabs to go: each test starts from an empty desk."""
        for interaction_id in self.open_ids():
            ok(self.api.post(f"/interactions/{interaction_id}/close", json={}))
        self.agent.wait(lambda d: not self.agent.all_css(".xc-tab"), what="no tab left")


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def scene(server: ServerProcess, browsers) -> Iterator[Scene]:
    """agent1 online (offers reach them), signed in on the desk."""
    api = Api(server.base, AGENT)
    ok(api.put("/me/state", json={"state": "online"}))
    agent = browsers(AGENT)
    agent.login(AGENT)
    agent.text("Online", tag="span")
    yield Scene(server, agent, api)
    for interaction_id in ok(api.get("/me"))["open_interactions"]:
        api.post(f"/interactions/{interaction_id}/close", json={})
    api.put("/me/state", json={"state": "offline"})
    api.client.close()


# --- customers writing ------------------------------------------------------------------------------
def sandbox_inbound(server: ServerProcess, phone: str, text: str, name: str) -> int:
    r = httpx.post(f"{server.base}/webhooks/sandbox/sandbox",
                   json={"id": f"wamid.{uuid.uuid4().hex}", "from": phone, "text": text, "name": name}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["interaction_id"]


def meta_inbound(server: ServerProcess, phone: str, text: str, name: str) -> None:
    """The customer's message as Meta's Cloud API delivers it to meta-demo: signed with the app secret."""
    wa_id = phone.lstrip("+")
    raw = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "WABA-1", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550100002", "phone_number_id": "100000000000001"},
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": f"wamid.{uuid.uuid4().hex}", "timestamp": str(int(
                datetime.now(timezone.utc).timestamp())), "type": "text", "text": {"body": text}}]}}]}]}).encode()
    signature = "sha256=" + hmac.new(META_SECRET, raw, hashlib.sha256).hexdigest()
    r = httpx.post(f"{server.base}/webhooks/meta/meta-demo", content=raw, timeout=10,
                   headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature})
    assert r.status_code == 200, r.text


# --- the database, for the clock ---------------------------------------------------------------------
def move_last_inbound(server: ServerProcess, interaction_id: int, when: datetime) -> None:
    """Set the interaction's `last_inbound_at` in the server's SQLite file, written as the server writes it
    (the stored value is read first and its format copied)."""
    with sqlite3.connect(server.data_dir / "contact-center.sqlite3", timeout=10) as db:
        [(stored,)] = db.execute("SELECT last_inbound_at FROM interactions WHERE id = ?", (interaction_id,))
        assert stored, f"interaction {interaction_id} has no last_inbound_at to move"
        db.execute("UPDATE interactions SET last_inbound_at = ? WHERE id = ?",
                   (same_format(str(stored), when), interaction_id))
    db.close()


def same_format(stored: str, when: datetime) -> str:
    """`when` (aware, UTC) written like `stored`: "2025-01-02 03:04:05.678901+00:00", with "T", "Z", fewer
    digits or no offset."""
    match = re.fullmatch(r"\d{4}-\d\d-\d\d([ T])\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?", stored)
    assert match, f"unexpected stored datetime {stored!r}"
    separator, fraction, zone = match.groups()
    text = when.astimezone(timezone.utc).strftime(f"%Y-%m-%d{separator}%H:%M:%S")
    if fraction:
        text += f".{when.microsecond:06d}"[:len(fraction)]
    if zone:
        text += "Z" if zone == "Z" else ("+00:00" if ":" in zone else "+0000")
    return text


# --- what the desk shows -----------------------------------------------------------------------------
TAB = "//div[contains(@class, 'xc-tab')][.//div[text()={}]]"


def tab(browser: Browser, title: str) -> WebElement:
    return browser.find(By.XPATH, TAB.format(xpath_literal(title)), what=f"tab {title!r}")


def open_new_conversation(browser: Browser) -> WebElement:
    """Click the desk's "+" beside "Conversations": the dialog's card."""
    browser.click(lambda: browser.find(By.XPATH, "//aside[.//*[text()='Conversations']]"
                                                 "//button[@title='New conversation'][.//*[text()='add']]",
                                       what="the + button"), what="the + button")
    box = dialog(browser)
    browser.wait(lambda d: "New conversation" in dialog(browser).text, what="the New conversation dialog")
    return box


def check_number(browser: Browser, account: str, phone: str) -> WebElement:
    box = open_new_conversation(browser)
    pick(browser, "From account", account, box)
    fill(browser, "Customer's number", phone, box)
    browser.click(browser.button("Check", within=box))
    return box


def preview(browser: Browser) -> str:
    """The template picker's live preview (a card whose text is the template's body)."""
    return browser.find(By.XPATH, "//div[contains(@class, 'q-dialog')]//div[contains(@class, 'xc-card')]",
                        what="the template preview").text


def composer(browser: Browser) -> WebElement:
    return browser.css("main textarea")


def window_label(browser: Browser) -> str:
    """The composer's reply-window line ("⏱ Reply window closes in ..." or "⛔ The reply window has closed...")."""
    found = browser.driver.find_elements(By.XPATH, "//main//div[starts-with(normalize-space(text()), '⏱') or "
                                                   "starts-with(normalize-space(text()), '⛔')]")
    return found[0].text if found and found[0].is_displayed() else ""


def recontact_shown(browser: Browser) -> bool:
    return any(b.is_displayed() for b in browser.driver.find_elements(
        By.XPATH, "//main//button[.//*[normalize-space(text())='Send recontact template']]"))


# --- the tests -------------------------------------------------------------------------------------
def test_1_plus_to_an_unknown_number_starts_with_a_template(scene: Scene) -> None:
    agent = scene.agent
    phone = "+39 347 700 1001"
    box = check_number(agent, "meta-demo", phone)
    agent.text("This number is not a contact yet: start with a template.")
    assert not box.find_elements(By.CSS_SELECTOR, "textarea"), "no free text for a number that is not a contact"
    pick(agent, "Template", "order_update", box)
    agent.wait(lambda d: preview(agent) == ORDER_UPDATE, what="the preview shows the template's body")
    fill(agent, "Variable {{1}}", "Nora", box)
    agent.wait(lambda d: preview(agent) == "Hi Nora, your order {{2}} is on its way.", what="preview with {{1}}")
    fill(agent, "Variable {{2}}", "A-77", box)
    agent.wait(lambda d: preview(agent) == "Hi Nora, your order A-77 is on its way.", what="preview with {{2}}")
    assert not agent.all_css(".xc-tab")
    agent.screenshot("desk-new-conversation")

    agent.click(agent.button("Send template", within=box))
    agent.wait_gone(By.CSS_SELECTOR, ".q-dialog .q-card", what="the dialog closes")
    [interaction_id] = scene.open_ids()
    interaction = scene.interaction(interaction_id)
    title = interaction["contact"]["name"] or readable_phone(interaction["contact"]["phone"])  # as the desk shows it
    new_tab = tab(agent, title)
    agent.wait(lambda d: "xc-tab-active" in tab(agent, title).get_attribute("class"), what="the new tab is selected")
    assert len(agent.all_css(".xc-tab")) == 1, new_tab.text
    agent.wait(lambda d: chat_title(agent) == title, what="the new conversation is shown")
    sent = bubble(agent, "xc-out", "Hi Nora, your order A-77 is on its way.")
    assert AGENT_NAME in sent.text

    assert interaction["owner"] == AGENT and interaction["status"] == "open", interaction
    assert interaction["account"] == "meta-demo" and interaction["contact"]["phone"].replace(" ", "") == \
        phone.replace(" ", ""), interaction
    [message] = scene.messages(interaction_id)
    assert (message["direction"], message["kind"], message["text"]) == (
        "out", "template", "Hi Nora, your order A-77 is on its way."), message
    scene.close_all()


def test_2_plus_to_a_customer_in_the_window_allows_free_text(scene: Scene) -> None:
    agent = scene.agent
    phone, name = "+393487001002", "Piero Nava"
    earlier = sandbox_inbound(scene.server, phone, "hello there", name)
    offer_card(agent, name)  # offered to agent1, who is online
    ok(scene.api.post(f"/interactions/{earlier}/accept"))
    tab(agent, name)
    ok(scene.api.post(f"/interactions/{earlier}/close", json={}))
    agent.wait_gone(By.XPATH, TAB.format(xpath_literal(name)), what="the closed conversation's tab goes")

    box = check_number(agent, "sandbox", phone)
    agent.text("The customer's window is open: write freely.")
    assert not agent.has_text("Send template")
    message = box.find_element(By.CSS_SELECTOR, "textarea")
    message.send_keys("We found your parcel!")
    agent.wait(lambda d: message.get_attribute("value") == "We found your parcel!", what="the message typed")
    agent.click(agent.button("Send", within=box))
    agent.wait_gone(By.CSS_SELECTOR, ".q-dialog .q-card", what="the dialog closes")

    tab(agent, name)
    agent.wait(lambda d: "xc-tab-active" in tab(agent, name).get_attribute("class"), what="the new tab is selected")
    agent.wait(lambda d: chat_title(agent) == name, what="the new conversation is shown")
    bubble(agent, "xc-out", "We found your parcel!")
    [interaction_id] = scene.open_ids()
    assert interaction_id != earlier
    interaction = scene.interaction(interaction_id)
    assert (interaction["owner"], interaction["account"], interaction["status"]) == (AGENT, "sandbox", "open")
    assert [(m["direction"], m["kind"], m["text"]) for m in scene.messages(interaction_id)] == [
        ("out", "text", "We found your parcel!")]
    scene.close_all()


def test_3_the_window_closes_live_and_the_recontact_template_reopens_the_talk(scene: Scene) -> None:
    agent = scene.agent
    phone, name = "+393497001003", "Lia Conte"
    meta_inbound(scene.server, phone, "is anyone there?", name)
    agent.click(lambda: agent.button("Accept", within=offer_card(agent, name)), what="accept Lia")
    agent.wait(lambda d: chat_title(agent) == name, what="Lia's chat is shown")
    bubble(agent, "xc-in", "is anyone there?")
    [interaction_id] = scene.open_ids()
    agent.wait(lambda d: window_label(agent).startswith("⏱ Reply window closes in 23 h"), what="a fresh window")

    move_last_inbound(scene.server, interaction_id,
                      datetime.now(timezone.utc) - timedelta(hours=24) + timedelta(seconds=WINDOW_LEFT))
    closes_at = datetime.fromisoformat(scene.interaction(interaction_id)["window_closes_at"].replace("Z", "+00:00"))
    assert 0 < (closes_at - datetime.now(timezone.utc)).total_seconds() <= WINDOW_LEFT, closes_at
    agent.open("/")  # the desk again: it reads the window that closes in a few seconds
    agent.wait(lambda d: chat_title(agent) == name, what="Lia's chat is shown again")

    # Counting down, while free text is still allowed ...
    seconds = re.compile(r"⏱ Reply window closes in (\d) s")
    first = agent.wait(lambda d: seconds.fullmatch(window_label(agent)), what="the window counts seconds")
    assert 0 < int(first.group(1)) <= WINDOW_LEFT, first.group(0)
    assert composer(agent).is_enabled() and not recontact_shown(agent)
    agent.wait(lambda d: (m := seconds.fullmatch(window_label(agent))) and int(m.group(1)) < int(first.group(1)),
               what="the seconds go down")
    # ... and closing on time, without a reload.
    agent.wait(lambda d: not composer(agent).is_enabled(), timeout=WINDOW_LEFT + 5, what="the message box locks")
    assert window_label(agent) == "⛔ The reply window has closed: send a template to reach the customer"
    assert recontact_shown(agent)
    assert composer(agent).get_attribute("placeholder") == "Window closed: send a template"
    assert not agent.button("send", within=agent.css("main")).is_enabled()
    agent.screenshot("desk-window-closed")

    agent.click(agent.button("Send recontact template", within=agent.css("main")))
    agent.notice("Recontact template sent.")
    recontact = ("Hello Lia, this is Alice Agent following up on your request. "
                 "Reply to continue the conversation.")
    sent = bubble(agent, "xc-out", recontact)
    assert "System" in sent.text, sent.text
    assert not composer(agent).is_enabled()  # a template does not open the window: only the customer does
    [message] = [m for m in scene.messages(interaction_id) if m["direction"] == "out"]
    assert (message["sender"], message["kind"], message["text"]) == ("System", "template", recontact), message

    meta_inbound(scene.server, phone, "yes, still here", name)
    bubble(agent, "xc-in", "yes, still here")
    agent.wait(lambda d: composer(agent).is_enabled(), what="the customer wrote: the box is enabled again")
    agent.wait(lambda d: not recontact_shown(agent), what="the recontact button goes")
    agent.wait(lambda d: window_label(agent).startswith("⏱ Reply window closes in 23 h"), what="a new 24 h window")
    compose(agent, "Great, how can I help?")
    bubble(agent, "xc-out", "Great, how can I help?")
    errors = [e for e in agent.console_errors() if "favicon" not in e]
    assert not errors, errors
