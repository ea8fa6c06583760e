"""The agent desktop and the customer simulator in real headless Chromium windows (SPEC D1-D10, W6).

One story in three browser windows (agent1, agent2, and an administrator playing the customer on /simulator),
told in order by the tests of this module (each step builds on the previous one; run with -x):

 1. sign in (a wrong password shows a readable error), pause with a reason, go online;
 2. the customer writes from the simulator: the offer pops up in both agents' windows;
 3. both agents click Accept at the same moment: exactly one owns it, the other's offer goes with a notice;
 4. they chat both ways; the agent's ticks move to delivered and read as the simulator reports them;
 5. a second conversation: a message in the one not in view shows a red badge with its count, until selected;
 6. an internal note is shown distinctly and never reaches the simulator;
 7. a transfer accepted in the other agent's window moves the tab;
 8. a transfer that nobody accepts times out and comes back unread to its sender;
 9. a voice message recorded with Chromium's fake microphone shows as audio in the chat and the simulator;
10. Close & Dispose ends the conversation, as the REST API confirms; then the agent signs out.
"""
from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

from tests.api.conftest import eventually as eventually_within
from tests.browser.conftest import Browser, dialog, xpath_literal
from tests.serverproc import Api, ServerProcess

eventually = functools.partial(eventually_within, timeout=10.0)  # a browser round trip is slower

NAMES = {"agent1": "Alice Agent", "agent2": "Bruno Agent"}
MARIO = "Mario Rossi"  # the customer played on the simulator
LUCIA = "Lucia Bianchi"  # a second customer, through the sandbox webhook
PAOLO = "Paolo Verdi"  # a third one, for the transfer that times out
TRANSFER_TIMEOUT = 5  # seconds: the smallest agent_timeout the settings accept


@dataclass
class Story:
    server: ServerProcess
    agents: dict[str, Browser]
    customer: Browser
    api: dict[str, Api]
    winner: str = ""  # the agent who won the acceptance race
    loser: str = ""
    ids: dict[str, int] = field(default_factory=dict)  # customer name -> interaction id

    def other(self, username: str) -> str:
        return self.loser if username == self.winner else self.winner

    def interaction(self, name: str) -> dict[str, Any]:
        r = self.api["supervisor"].get(f"/interactions/{self.ids[name]}")
        assert r.status_code == 200, r.text
        return r.json()

    def offer_id(self, username: str, timeout: float = 10) -> int:
        return self.api[username].wait_for_offer(timeout=timeout)["interaction_id"]


@pytest.fixture(scope="module")
def story(server: ServerProcess, browsers) -> Story:
    api = {name: Api(server.base, name) for name in ("admin", "supervisor", "agent1", "agent2")}
    agents = {name: browsers(name) for name in ("agent1", "agent2")}
    customer = browsers("simulator")
    yield Story(server, agents, customer, api)
    for name in ("agent1", "agent2"):  # leave nothing open behind
        for interaction_id in api[name].get("/me").json()["open_interactions"]:
            api[name].post(f"/interactions/{interaction_id}/close", json={})
        api[name].put("/me/state", json={"state": "offline"})
    api["admin"].put("/admin/settings", json={"agent_timeout": 300})
    for client in api.values():
        client.client.close()


# --- what the desk shows ---------------------------------------------------------------------------
def offer_card(browser: Browser, customer: str, timeout: float = 10) -> WebElement:
    return browser.find(By.XPATH, f"//div[contains(@class, 'q-card')][.//div[text()={xpath_literal(customer)}]]"
                                  "[.//button[.//*[text()='Accept']]]", timeout, what=f"offer for {customer}")


def no_offer_card(browser: Browser, customer: str) -> None:
    browser.wait_gone(By.XPATH, f"//div[contains(@class, 'q-card')][.//div[text()={xpath_literal(customer)}]]"
                                "[.//button[.//*[text()='Accept']]]", what=f"the offer for {customer} goes")


TAB = "//div[contains(@class, 'xc-tab')][.//div[text()={}]]"


def tab(browser: Browser, customer: str, timeout: float = 10) -> WebElement:
    return browser.find(By.XPATH, TAB.format(xpath_literal(customer)), timeout, what=f"tab of {customer}")


def no_tab(browser: Browser, customer: str) -> None:
    browser.wait_gone(By.XPATH, TAB.format(xpath_literal(customer)), what=f"the tab of {customer} goes")


def badge_text(browser: Browser, customer: str) -> str:
    """The unread badge of the customer's tab, or "" when it is hidden."""
    shown = [b for b in tab(browser, customer).find_elements(By.CSS_SELECTOR, ".q-badge") if b.is_displayed()]
    return shown[0].text.strip() if shown else ""


def chat_title(browser: Browser) -> str:
    return browser.css("main .text-base.font-medium").text


def select(browser: Browser, customer: str) -> None:
    browser.click(lambda: tab(browser, customer), what=f"tab of {customer}")
    browser.wait(lambda d: chat_title(browser) == customer, what=f"chat of {customer} shown")


def bubble(browser: Browser, side: str, text: str, timeout: float = 10) -> WebElement:
    """A chat bubble of the desk ("xc-in", "xc-out", "xc-note") containing `text`."""
    return browser.find(By.XPATH, f"//div[contains(@class, 'xc-bubble') and contains(@class, '{side}')]"
                                  f"[contains(., {xpath_literal(text)})]", timeout, what=f"{side} bubble {text!r}")


def tick(element: WebElement) -> str:
    found = element.find_elements(By.CSS_SELECTOR, "[data-status]")
    return found[0].get_attribute("data-status") if found else ""


def in_view(browser: Browser, element: WebElement) -> bool:
    """The element is wholly inside the visible part of the chat's scroll area."""
    return browser.driver.execute_script(
        "const box = arguments[0].getBoundingClientRect(), area = document.querySelector('main .q-scrollarea')"
        ".getBoundingClientRect(); return box.top >= area.top - 1 && box.bottom <= area.bottom + 1;", element)


def compose(browser: Browser, text: str) -> None:
    box = browser.css("main textarea")
    box.send_keys(text)
    browser.wait(lambda d: box.get_attribute("value") == text, what="composer holds the text")
    box.send_keys(Keys.ENTER)
    browser.wait(lambda d: browser.css("main textarea").get_attribute("value") == "", what="composer emptied")


def choose(browser: Browser, option: str, exact: bool = False) -> None:
    """Pick `option` in the open Quasar menu (of a select, or a menu button)."""
    match = f"normalize-space(.)={xpath_literal(option)}" if exact else f"contains(., {xpath_literal(option)})"
    browser.click(lambda: browser.find(By.XPATH, "//div[contains(@class, 'q-menu')]//div[contains(@class, 'q-item')]"
                                                 f"[{match}]", what=f"option {option!r}"))
    browser.wait_gone(By.CSS_SELECTOR, ".q-menu", what="the menu closes")


def menu(browser: Browser, item: str) -> None:
    """Open the chat's three-dot menu and choose `item`."""
    browser.click(lambda: browser.button("more_vert", within=browser.css("main")), what="chat menu")
    choose(browser, item, exact=True)


def set_state(browser: Browser, label: str) -> None:
    browser.click(lambda: browser.css("header .q-select"), what="state selector")
    choose(browser, label)


def state_of(api: Api) -> dict[str, Any]:
    return api.get("/me").json()


# --- what the simulator shows ----------------------------------------------------------------------
def phone_bubble(customer: Browser, text: str, timeout: float = 10) -> WebElement:
    return customer.find(By.XPATH, "//div[contains(@class, 'xc-sim-messages')]/div[contains(@class, 'xc-bubble')]"
                                   f"[contains(., {xpath_literal(text)})]", timeout, what=f"phone shows {text!r}")


def phone_write(customer: Browser, text: str) -> None:
    box = customer.css("input[placeholder='Message']")
    box.send_keys(text)
    customer.wait(lambda d: box.get_attribute("value") == text, what="phone composer holds the text")
    box.send_keys(Keys.ENTER)
    phone_bubble(customer, text)


# --- the story ------------------------------------------------------------------------------------
def test_1_sign_in_and_go_online(story: Story) -> None:
    alice = story.agents["agent1"]
    alice.open("/")  # not signed in: the desk sends to the login page
    alice.wait(lambda d: "/login" in d.current_url, what="redirected to /login")
    alice.ready()
    alice.screenshot("login")

    alice.sign_in("agent1", "not-the-password")
    problem = alice.css(".q-card .text-negative")
    assert problem.text == "Wrong username or password."
    assert "/login" in alice.driver.current_url
    assert alice.css("input[aria-label='Password']").get_attribute("value") == ""
    alice.screenshot("login-error")

    alice.login("agent1")
    assert alice.text("Offline", tag="span")
    assert alice.has_text("No open conversation.")
    assert alice.has_text("WhatsAppConn1 · 0 waiting")

    # Paused asks for a reason, shown in the header and stored.
    set_state(alice, "Paused")
    alice.find(By.XPATH, "//div[contains(@class, 'q-dialog')]//*[text()='Pause: why?']")
    alice.click(lambda: alice.find(By.XPATH, "//div[contains(@class, 'q-radio')][contains(., 'Lunch')]"))
    alice.click(alice.button("Pause", within=dialog(alice)))
    eventually(lambda: state_of(story.api["agent1"])["state"] == "paused", what="agent1 paused")
    assert state_of(story.api["agent1"])["reason"] == "Lunch"
    alice.find(By.XPATH, "//header//div[text()='Lunch']")

    bruno = story.agents["agent2"]
    bruno.login("agent2")
    for name, browser in story.agents.items():
        set_state(browser, "Online")
        eventually(lambda n=name: state_of(story.api[n])["state"] == "online", what=f"{name} online")
        browser.text("Online", tag="span")
    assert not alice.has_text("Lunch")


def test_2_the_customer_writes_and_the_offer_pops_up(story: Story) -> None:
    customer = story.customer
    customer.driver.set_window_size(1000, 1000)  # the phone is tall
    customer.login("admin", next_path="/simulator")
    customer.type_into(customer.css("input[aria-label=\"Customer's name\"]"), MARIO)
    customer.find(By.XPATH, f"//div[contains(@class, 'xc-sim-header')]//div[text()={xpath_literal(MARIO)}]")
    phone_write(customer, "Hello, my order has not arrived")

    for browser in story.agents.values():
        card = offer_card(browser, MARIO)
        assert "New conversation" in card.text and "WhatsAppConn1" in card.text
        assert "left to answer" in card.text
    story.ids[MARIO] = story.offer_id("agent1")
    story.agents["agent1"].find(By.XPATH, "//header//div[contains(text(), 'WhatsAppConn1 · 1 waiting')]")
    story.agents["agent1"].screenshot("desk-offer")


def test_3_both_accept_at_once_and_exactly_one_wins(story: Story) -> None:
    buttons = {name: story.agents[name].button("Accept", within=offer_card(story.agents[name], MARIO))
               for name in story.agents}
    start = threading.Barrier(len(buttons))
    failures: list[BaseException] = []

    def click(name: str) -> None:
        try:
            start.wait(10)
            buttons[name].click()
        except StaleElementReferenceException:
            pass  # the other agent won so fast that this offer was gone before the click: a fair outcome
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=click, args=(name,)) for name in buttons]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not failures, failures

    owner = eventually(lambda: story.interaction(MARIO)["owner"], what="an owner")
    assert owner in story.agents
    story.winner, story.loser = owner, ("agent2" if owner == "agent1" else "agent1")
    winner, loser = story.agents[story.winner], story.agents[story.loser]

    tab(winner, MARIO)
    winner.wait(lambda d: chat_title(winner) == MARIO, what="the winner sees the chat")
    bubble(winner, "xc-in", "Hello, my order has not arrived")
    no_offer_card(winner, MARIO)

    no_offer_card(loser, MARIO)
    # "<winner's full name> took Mario Rossi first." or "Already taken by <full name> (<username>)."
    notice = loser.notice(NAMES[story.winner])
    assert f"took {MARIO} first" in notice.text or "Already taken" in notice.text, notice.text
    loser.screenshot("desk-race-lost")
    assert not loser.driver.find_elements(By.XPATH, TAB.format(xpath_literal(MARIO)))
    assert story.interaction(MARIO)["owner"] == story.winner
    assert [h["kind"] for h in story.interaction(MARIO)["history"]].count("accepted") == 1
    assert state_of(story.api[story.loser])["open_interactions"] == []
    winner.find(By.XPATH, "//header//div[contains(text(), 'WhatsAppConn1 · 0 waiting')]")


def test_4_chat_both_ways_with_ticks(story: Story) -> None:
    agent, customer = story.agents[story.winner], story.customer
    compose(agent, "Hi Mario, I am looking into it")
    mine = bubble(agent, "xc-out", "Hi Mario, I am looking into it")
    assert NAMES[story.winner] in mine.text or story.winner in mine.text  # the sender

    on_phone = phone_bubble(customer, "Hi Mario, I am looking into it")
    assert "xc-in" in on_phone.get_attribute("class")  # on the customer's phone it is the other side
    # The phone reports it delivered as soon as it shows it ...
    agent.wait(lambda d: tick(bubble(agent, "xc-out", "Hi Mario")) in ("delivered", "read"), what="delivered tick")
    # ... and read when the customer types.
    phone_write(customer, "Thanks, it was order 4711")
    bubble(agent, "xc-in", "Thanks, it was order 4711")
    agent.wait(lambda d: tick(bubble(agent, "xc-out", "Hi Mario")) == "read", what="read tick")
    customer.wait(lambda d: phone_bubble(customer, "Hi Mario").find_elements(By.CSS_SELECTOR, ".xc-sim-read"),
                  what="the phone shows blue ticks")
    statuses = {m["text"]: m["status"] for m in story.api["supervisor"].get(
        f"/interactions/{story.ids[MARIO]}/messages").json()["items"]}
    assert statuses["Hi Mario, I am looking into it"] == "read"


def test_5_unread_badge_of_the_tab_not_in_view(story: Story) -> None:
    agent, other = story.agents[story.winner], story.agents[story.loser]
    r = story.api["admin"].inbound("wamid.lucia-1", "+393471234567", "Hi, I have a question", name=LUCIA)
    assert r.status_code == 200, r.text
    story.ids[LUCIA] = r.json()["interaction_id"]
    offer_card(other, LUCIA)
    agent.click(lambda: agent.button("Accept", within=offer_card(agent, LUCIA)), what="accept Lucia")
    agent.wait(lambda d: chat_title(agent) == LUCIA, what="Lucia's chat is shown")
    no_offer_card(other, LUCIA)
    other.notice(f"{NAMES[story.winner]} took {LUCIA} first.")
    assert badge_text(agent, MARIO) == ""

    phone_write(story.customer, "Are you still there?")
    phone_write(story.customer, "Hello?")
    agent.wait(lambda d: badge_text(agent, MARIO) == "2", what="badge 2 on Mario's tab")
    badge = tab(agent, MARIO).find_element(By.CSS_SELECTOR, ".q-badge")
    assert "bg-red" in badge.get_attribute("class")
    assert badge_text(agent, LUCIA) == ""
    assert story.interaction(MARIO)["unread"] == 2
    agent.screenshot("desk-unread")

    select(agent, MARIO)
    agent.wait(lambda d: badge_text(agent, MARIO) == "", what="badge cleared")
    bubble(agent, "xc-in", "Hello?")
    eventually(lambda: story.interaction(MARIO)["unread"] == 0, what="unread cleared on the server")


def test_6_internal_note_stays_inside(story: Story) -> None:
    agent, customer = story.agents[story.winner], story.customer
    switch = agent.find(By.XPATH, "//div[contains(@class, 'q-toggle')][contains(., 'Internal note')]")
    agent.click(switch)
    agent.wait(lambda d: switch.get_attribute("aria-checked") == "true", what="note switch on")
    agent.css("main textarea[placeholder='Internal note: only your team sees it']")
    compose(agent, "VIP customer: offer free shipping")
    note = bubble(agent, "xc-note", "VIP customer: offer free shipping")
    assert "Internal note" in note.text
    assert note.value_of_css_property("border-top-style") == "dashed"
    assert note.value_of_css_property("background-color") != bubble(agent, "xc-out", "Hi Mario").value_of_css_property(
        "background-color")

    agent.click(switch)
    agent.wait(lambda d: switch.get_attribute("aria-checked") == "false", what="note switch off")
    compose(agent, "Your parcel leaves today")
    phone_bubble(customer, "Your parcel leaves today")
    agent.wait(lambda d: tick(bubble(agent, "xc-out", "Your parcel leaves today")) == "delivered",
               what="delivered tick")
    agent.wait(lambda d: in_view(agent, bubble(agent, "xc-out", "Your parcel leaves today")),
               what="the chat scrolled to the newest message")
    assert not customer.has_text("VIP customer")
    texts = [m["text"] for m in story.api["supervisor"].get(f"/interactions/{story.ids[MARIO]}/messages").json()[
        "items"] if m["direction"] == "note"]
    assert texts == ["VIP customer: offer free shipping"]
    agent.screenshot("desk-chat")
    customer.screenshot("simulator")


def test_7_transfer_accepted_by_the_other_agent(story: Story) -> None:
    sender, target = story.agents[story.winner], story.agents[story.loser]
    select(sender, LUCIA)
    menu(sender, "Transfer…")
    box = dialog(sender)
    assert "Transfer the conversation" in box.text
    sender.click(lambda: dialog(sender).find_element(By.CSS_SELECTOR, ".q-select"), what="transfer target")
    options = sender.wait(lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR, ".q-menu .q-item")
                                     if e.is_displayed()], what="transfer targets listed")
    assert any(NAMES[story.loser] in o for o in options), options
    assert not any(NAMES[story.winner] in o for o in options), options  # not to oneself
    choose(sender, NAMES[story.loser])
    sender.wait(lambda d: NAMES[story.loser] in dialog(sender).text, what="target chosen")
    sender.screenshot("desk-transfer")
    sender.click(sender.button("Transfer", within=dialog(sender)))
    sender.notice("Transfer offered to")
    sender.wait_gone(By.CSS_SELECTOR, ".q-dialog .q-card", what="transfer dialog closes")

    card = offer_card(target, LUCIA)
    assert f"Transfer from {NAMES[story.winner]}" in card.text
    target.screenshot("desk-transfer-offer")
    target.click(lambda: target.button("Accept", within=offer_card(target, LUCIA)), what="accept the transfer")
    tab(target, LUCIA)
    target.wait(lambda d: chat_title(target) == LUCIA, what="the target shows Lucia's chat")
    bubble(target, "xc-in", "Hi, I have a question")

    no_tab(sender, LUCIA)
    sender.notice(f"Your transfer of {LUCIA} was accepted.")
    tab(sender, MARIO)
    sender.wait(lambda d: chat_title(sender) == MARIO, what="the sender's desk shows Mario again")
    eventually(lambda: story.interaction(LUCIA)["owner"] == story.loser, what="owner changed")


def test_8_transfer_times_out_and_comes_back_unread(story: Story) -> None:
    r = story.api["admin"].put("/admin/settings", json={"agent_timeout": TRANSFER_TIMEOUT})
    assert r.status_code == 200, r.text
    assert story.api["admin"].put("/admin/settings", json={"agent_timeout": 1}).status_code == 422  # 5 s is the floor
    sender, target = story.agents[story.winner], story.agents[story.loser]

    r = story.api["admin"].inbound("wamid.paolo-1", "+393481234567", "Buongiorno", name=PAOLO)
    assert r.status_code == 200, r.text
    story.ids[PAOLO] = r.json()["interaction_id"]
    sender.click(lambda: sender.button("Accept", within=offer_card(sender, PAOLO)), what="accept Paolo")
    sender.wait(lambda d: chat_title(sender) == PAOLO, what="Paolo's chat is shown")
    no_offer_card(target, PAOLO)

    menu(sender, "Transfer…")
    sender.click(lambda: dialog(sender).find_element(By.CSS_SELECTOR, ".q-select"), what="transfer target")
    choose(sender, NAMES[story.loser])
    sender.click(sender.button("Transfer", within=dialog(sender)))
    sender.notice("Transfer offered to")
    started = time.time()
    select(sender, MARIO)  # look at another conversation meanwhile

    offer_card(target, PAOLO)  # ... which the target lets time out
    no_offer_card(target, PAOLO)
    notice = sender.notice("not taken", timeout=TRANSFER_TIMEOUT + 10)
    assert PAOLO in notice.text and "back with you" in notice.text, notice.text
    target.notice(f"The transfer of {PAOLO} timed out: it went back to {NAMES[story.winner]}.")
    assert time.time() - started >= TRANSFER_TIMEOUT - 1
    sender.wait(lambda d: badge_text(sender, PAOLO) == "1", what="Paolo comes back unread")
    assert story.interaction(PAOLO)["owner"] == story.winner
    assert story.interaction(PAOLO)["unread"] == 1
    assert not target.driver.find_elements(By.XPATH, TAB.format(xpath_literal(PAOLO)))

    select(sender, PAOLO)
    sender.wait(lambda d: badge_text(sender, PAOLO) == "", what="badge cleared")
    # Plain Close (no disposition) for this one.
    menu(sender, "Close")
    sender.click(sender.button("Close", within=dialog(sender)))
    no_tab(sender, PAOLO)
    assert story.interaction(PAOLO)["status"] == "closed"
    select(sender, MARIO)


def test_9_voice_message_from_the_fake_microphone(story: Story) -> None:
    agent, customer = story.agents[story.winner], story.customer
    agent.click(agent.button("mic", within=agent.css("main")), what="start recording")
    stop = agent.button("stop", within=agent.css("main"))  # the mic turns into a stop button while recording
    time.sleep(1.5)
    agent.click(stop, what="stop recording")
    agent.button("mic", within=agent.css("main"))
    audio = agent.find(By.CSS_SELECTOR, ".xc-bubble.xc-out audio", timeout=15)
    assert "/desk/files/" in audio.get_attribute("src")
    voice = [m for m in story.api["supervisor"].get(f"/interactions/{story.ids[MARIO]}/messages").json()["items"]
             if m["attachment"]]
    assert len(voice) == 1 and voice[0]["attachment"]["content_type"].startswith("audio/"), voice
    phone_bubble(customer, "📎")
    agent.screenshot("desk-voice")


def test_10_close_and_dispose(story: Story) -> None:
    agent = story.agents[story.winner]
    menu(agent, "Close & Dispose…")
    box = dialog(agent)
    agent.click(lambda: box.find_element(By.CSS_SELECTOR, ".q-select"), what="disposition")
    choose(agent, "Resolved")
    agent.wait(lambda d: "Resolved" in dialog(agent).text, what="disposition chosen")
    agent.screenshot("desk-close-dispose")
    agent.click(agent.find(By.XPATH, "//div[contains(@class, 'q-dialog')]//button[.//*[text()='Close & Dispose']]"))
    no_tab(agent, MARIO)
    agent.wait(lambda d: agent.has_text("No open conversation."), what="the desk is empty")
    closed = story.interaction(MARIO)
    assert closed["status"] == "closed" and closed["disposition"] == "Resolved", closed
    assert state_of(story.api[story.winner])["open_interactions"] == []
    for browser in (*story.agents.values(), story.customer):
        errors = [e for e in browser.console_errors() if "favicon" not in e]
        assert not errors, f"{browser.name}: {errors}"

    # Sign out: back to the login page, and the desk is closed to this browser.
    agent.click(agent.button("account_circle"), what="account menu")
    choose(agent, "Sign out", exact=True)
    agent.wait(lambda d: "/login" in d.current_url, what="signed out")
    agent.open("/")
    agent.wait(lambda d: "/login" in d.current_url, what="the desk asks to sign in again")
