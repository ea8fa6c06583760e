"""The Contacts pages in headless Chromium (SPEC C1-C7), driven as a person would: an agent adds a contact
through "Add contact" (a bad phone is refused with a notice and the dialog keeps what was typed), finds
contacts by a name fragment, by a phone written another way, by tag and by an advanced-search field, edits
one in its own tab, merges one contact into another, duplicates one into a second list; an agent who may
add to no list gets no Add button. The REST API sets the data up and checks what was stored.

Screenshots: docs/screenshots/contacts-list.png, contact-detail.png, contact-merge.png.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

from tests.browser.conftest import Browser, dialog, xpath_literal
from tests.serverproc import Api, ServerProcess

VIEWER = "vera"  # an agent who may only view the Customers list
VIEWER_PASSWORD = "vera-demo-1"
TAG_COLORS = {"VIP": "rgba(211, 47, 47, 1)", "Complaint": "rgba(245, 124, 0, 1)", "Sales": "rgba(56, 142, 60, 1)",
              "Support": "rgba(25, 118, 210, 1)"}  # the demo's tag colors as the browser computes them


@dataclass
class Contacts:
    server: ServerProcess
    agent: Browser  # agent1, signed in once for the module
    admin: Api
    api: Api  # agent1's

    def make(self, **body: Any) -> dict[str, Any]:
        """A contact of the Customers list, made by agent1 through the API."""
        return ok(self.api.post("/contacts", json={"list": "Customers", **body}), 201)

    def contact(self, contact_id: int) -> dict[str, Any]:
        return ok(self.api.get(f"/contacts/{contact_id}"))

    def found(self, **query: Any) -> list[dict[str, Any]]:
        return ok(self.api.get("/contacts", params=query))["items"]


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def contacts(server: ServerProcess, browsers) -> Iterator[Contacts]:
    """National numbers belong to Italy; Customers gets a "Tier" choice field; agent1 may also add to a
    second list, Partners; the agent `vera` may only view Customers. Then agent1 signs in."""
    admin, api = Api(server.base, "admin"), Api(server.base, "agent1")
    ok(admin.put("/admin/settings", json={"default_region": "IT"}))
    ok(admin.post("/admin/custom-fields", json={"list": "Customers", "name": "tier", "label": "Tier",
                                                "kind": "choice", "choices": ["gold", "silver"]}), 201)
    ok(admin.post("/admin/lists", json={"name": "Partners"}), 201)
    ok(admin.put("/admin/lists/Partners/permissions", json={"user": "agent1", "view": True, "add": True,
                                                             "edit": True}))
    ok(admin.post("/admin/users", json={"username": VIEWER, "password": VIEWER_PASSWORD, "role": "agent",
                                        "full_name": "Vera Viewer"}), 201)
    ok(admin.put("/admin/lists/Customers/permissions", json={"user": VIEWER, "view": True, "add": False,
                                                              "edit": False}))
    agent = browsers("agent1")
    agent.login("agent1", next_path="/contacts")
    yield Contacts(server, agent, admin, api)
    admin.client.close()
    api.client.close()


# --- what the pages show ---------------------------------------------------------------------------
def field(browser: Browser, label: str, within: WebElement | None = None) -> WebElement:
    """The visible Quasar field (input, textarea or select) labelled `label`."""
    return browser.find(By.XPATH, ".//label[contains(@class, 'q-field')][.//div[contains(@class, 'q-field__label')]"
                                  f"[normalize-space(.)={xpath_literal(label)}]]",
                        within=within or browser.driver.find_element(By.TAG_NAME, "body"), what=f"field {label!r}")


def text_box(browser: Browser, label: str, within: WebElement | None = None) -> WebElement:
    """The input or textarea of the visible field labelled `label`."""
    return field(browser, label, within).find_element(By.CSS_SELECTOR, "input, textarea")


def retype(browser: Browser, box: WebElement, text: str, what: str = "the box") -> None:
    """Replace what `box` holds as a person does (select all, delete, type): Selenium's clear() would
    bypass the events the page listens to, and the old value would come back."""
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    if text:
        box.send_keys(text)
    browser.wait(lambda d: box.get_attribute("value") == text, what=f"{what} holds {text!r}")


def fill(browser: Browser, label: str, text: str, within: WebElement | None = None) -> None:
    retype(browser, text_box(browser, label, within), text, label)


def pick(browser: Browser, label: str, option: str, within: WebElement | None = None, multiple: bool = False) -> None:
    """Choose `option` in the select labelled `label`; a multiple select's menu stays open: Escape closes it."""
    browser.click(lambda: field(browser, label, within), what=f"select {label!r}")
    browser.click(lambda: browser.find(By.XPATH, "//div[contains(@class, 'q-menu')]//div[contains(@class, 'q-item')]"
                                                 f"[normalize-space(.)={xpath_literal(option)}]",
                                       what=f"option {option!r}"))
    if multiple:
        browser.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    browser.wait_gone(By.CSS_SELECTOR, ".q-menu", what="the menu closes")
    browser.wait(lambda d: option in field(browser, label, within).text, what=f"{label} shows {option!r}")


def chips(browser: Browser, label: str, within: WebElement | None = None) -> list[str]:
    """The tags shown as chips in the tags select labelled `label`."""
    return sorted(c.text for c in field(browser, label, within).find_elements(By.CSS_SELECTOR, ".q-chip__content"))


def rows(browser: Browser) -> list[WebElement]:
    return browser.all_css("tbody tr")


def names(browser: Browser) -> list[str]:
    """The names in the visible table's rows."""
    return sorted(row.find_element(By.CSS_SELECTOR, "td").text for row in rows(browser) if
                  row.find_elements(By.CSS_SELECTOR, "td"))


def row(browser: Browser, name: str) -> WebElement:
    return browser.find(By.XPATH, f"//tbody/tr[td[1][normalize-space(.)={xpath_literal(name)}]]", what=f"row {name!r}")


def shows_only(browser: Browser, *expected: str) -> None:
    browser.wait(lambda d: names(browser) == sorted(expected), what=f"the table shows {expected}")


def quick_search(browser: Browser, text: str) -> None:
    """Type into the quick search (clearing what is there, as a person does) and press Enter."""
    box = browser.css("input[placeholder='Search name, phone or email']")
    retype(browser, box, text, "the search")
    box.send_keys(Keys.ENTER)


def tab(browser: Browser, title: str) -> WebElement:
    """A tab of the page (the list's, or an opened contact's) by its title."""
    return browser.find(By.XPATH, "//div[contains(concat(' ', normalize-space(@class), ' '), ' q-tab ')]"
                                  "[.//div[contains(@class, 'q-tab__label')]"
                                  f"[normalize-space(.)={xpath_literal(title)}]]", what=f"tab {title!r}")


def active_tab(browser: Browser) -> str:
    return browser.css(".q-tab--active .q-tab__label").text


def open_contact(browser: Browser, contact_id: int, title: str) -> None:
    """Load the contact's own link: the Contacts page with its tab open."""
    browser.open(f"/contacts/{contact_id}")
    browser.wait(lambda d: active_tab(browser) == title, what=f"the tab of {title}")
    detail_line(browser)


def detail_line(browser: Browser) -> str:
    return browser.find(By.XPATH, "//div[contains(@class, 'q-tab-panel')]//div[text()[starts-with(normalize-space(.), "
                                  "'List ') and contains(., ' · created ')]]", what="the contact's detail line").text


# --- the tests ------------------------------------------------------------------------------------
def test_an_agent_adds_a_contact_and_a_bad_phone_is_refused(contacts: Contacts) -> None:
    agent = contacts.agent
    agent.open("/contacts")
    agent.click(agent.button("Add contact"))
    box = dialog(agent)
    assert "Add contact" in box.text
    field(agent, "Tier", box)  # Customers comes first: its custom field is offered
    pick(agent, "List", "Partners", box)
    agent.wait_gone(By.XPATH, "//div[contains(@class, 'q-dialog')]//div[contains(@class, 'q-field__label')]"
                              "[normalize-space(.)='Tier']", what="Partners has no Tier field")
    pick(agent, "List", "Customers", box)
    fill(agent, "First name", "Marta", box)
    fill(agent, "Last name", "Bianchi", box)
    fill(agent, "Email", "marta.bianchi@example.com", box)
    fill(agent, "Phones", "12ab", box)
    pick(agent, "Tags", "VIP", box, multiple=True)
    pick(agent, "Tier", "gold", box)
    agent.click(agent.button("Add contact", within=dialog(agent)))
    agent.notice("'12ab' is not a")
    box = dialog(agent)  # still open, with what was typed
    assert text_box(agent, "First name", box).get_attribute("value") == "Marta"
    assert text_box(agent, "Email", box).get_attribute("value") == "marta.bianchi@example.com"
    assert chips(agent, "Tags", box) == ["VIP"]
    assert "gold" in field(agent, "Tier", box).text

    fill(agent, "Phones", "333 123 4567", box)  # national format: Italy is the default region
    agent.click(agent.button("Add contact", within=box))
    agent.notice("Marta Bianchi added to Customers.")
    agent.wait_gone(By.CSS_SELECTOR, ".q-dialog .q-card", what="the dialog closes")
    marta = row(agent, "Marta Bianchi")
    assert "+39 333 123 4567" in marta.text and "marta.bianchi@example.com" in marta.text and "Customers" in marta.text
    chip = marta.find_element(By.CSS_SELECTOR, ".q-chip")
    assert chip.text == "VIP" and chip.value_of_css_property("background-color") == TAG_COLORS["VIP"]

    [stored] = contacts.found(q="Bianchi")
    assert (stored["first_name"], stored["last_name"], stored["email"], stored["phones"], stored["tags"]) == (
        "Marta", "Bianchi", "marta.bianchi@example.com", ["+393331234567"], ["VIP"])
    assert stored["list"] == "Customers" and contacts.contact(stored["id"])["fields"] == {"tier": "gold"}


def test_contacts_are_found_by_name_phone_tag_and_an_advanced_field(contacts: Contacts) -> None:
    contacts.make(first_name="Giorgio", last_name="Verdi", phones=["347 765 4321"], email="gv@example.com",
                  company="Verdi Trasporti", tags=["Sales"])
    contacts.make(first_name="Elena", last_name="Ricci", phones=["+39 348 111 2222"], company="Ricci Moda",
                  tags=["Support", "Complaint"])
    contacts.make(first_name="Franco", last_name="Gallo", phones=["+39 349 555 6666"], company="Gallo Vini",
                  tags=["VIP", "Support"])
    agent = contacts.agent
    agent.open("/contacts")
    row(agent, "Franco Gallo")
    agent.screenshot("contacts-list")

    quick_search(agent, "iorgi")  # a fragment of the first name
    shows_only(agent, "Giorgio Verdi")
    assert "+39 347 765 4321" in row(agent, "Giorgio Verdi").text
    quick_search(agent, "0039 347 7654321")  # the number as dialled from abroad
    shows_only(agent, "Giorgio Verdi")
    quick_search(agent, "+39 348 111 2222")
    shows_only(agent, "Elena Ricci")
    quick_search(agent, "347 765 4321")  # and nationally
    shows_only(agent, "Giorgio Verdi")
    quick_search(agent, "")
    agent.wait(lambda d: {"Giorgio Verdi", "Elena Ricci", "Franco Gallo"} <= set(names(agent)), what="all back")

    pick(agent, "Tags", "Support", multiple=True)  # the filter applies at once
    agent.wait(lambda d: "Giorgio Verdi" not in names(agent), what="only Support contacts")
    assert {"Elena Ricci", "Franco Gallo"} <= set(names(agent))
    for shown in rows(agent):
        assert "Support" in [c.text for c in shown.find_elements(By.CSS_SELECTOR, ".q-chip")], shown.text
    pick(agent, "Tags", "Complaint", multiple=True)  # every tag chosen must be on the contact
    shows_only(agent, "Elena Ricci")
    colors = {c.text: c.value_of_css_property("background-color")
              for c in row(agent, "Elena Ricci").find_elements(By.CSS_SELECTOR, ".q-chip")}
    assert colors == {"Support": TAG_COLORS["Support"], "Complaint": TAG_COLORS["Complaint"]}
    for left in (1, 0):  # remove the chosen tags by their chips' crosses
        clicked = [0.0]

        def removed(_: object, n: int = left) -> bool:
            """A cross clicked while the table reloads may be lost on a busy machine: clicked again when the
            server has had 5 s to answer the last click (a chip goes only once the server has it)."""
            if len(chips(agent, "Tags")) == n:
                return True
            if time.monotonic() - clicked[0] > 5:
                cross = field(agent, "Tags").find_element(By.CSS_SELECTOR, ".q-chip__icon--remove")
                if clicked[0]:  # the pointer's click did not reach the cross: the same click, dispatched on it
                    agent.driver.execute_script("arguments[0].click()", cross)
                else:
                    cross.click()
                clicked[0] = time.monotonic()
            return False

        agent.wait(removed, timeout=30, what=f"{left} tag(s) chosen")
    agent.wait(lambda d: "Giorgio Verdi" in names(agent), what="the tag filter is off")

    agent.click(agent.text("Advanced search"))
    fill(agent, "Company", "trasporti")
    text_box(agent, "Company").send_keys(Keys.ENTER)
    shows_only(agent, "Giorgio Verdi")
    fill(agent, "Last name", "ricci")  # every field given must match
    text_box(agent, "Last name").send_keys(Keys.ENTER)
    agent.text("0–0 of 0")
    assert names(agent) == []


def test_a_contact_is_edited_in_its_own_tab(contacts: Contacts) -> None:
    paolo = contacts.make(first_name="Paolo", last_name="Neri", phones=["+39 340 222 3333"], company="Neri Srl",
                          email="paolo.neri@example.com", tags=["Sales", "VIP"])
    agent = contacts.agent
    agent.open("/contacts")
    agent.click(lambda: row(agent, "Paolo Neri"), what="Paolo's row")  # a click on the row opens its tab
    agent.wait(lambda d: active_tab(agent) == "Paolo Neri", what="Paolo's tab")
    assert detail_line(agent).startswith("List Customers · created ")
    assert text_box(agent, "Company").get_attribute("value") == "Neri Srl"
    assert chips(agent, "Tags") == ["Sales", "VIP"]
    fill(agent, "Company", "Neri & Figli")
    agent.screenshot("contact-detail")
    agent.click(agent.button("Save"))
    agent.notice("Contact saved.")
    assert contacts.contact(paolo["id"])["company"] == "Neri & Figli"

    agent.driver.refresh()  # the list shows it after a reload ...
    agent.ready()
    agent.wait(lambda d: "Neri & Figli" in row(agent, "Paolo Neri").text, what="the row shows the new company")
    open_contact(agent, paolo["id"], "Paolo Neri")  # ... and so does the contact's own link
    agent.wait(lambda d: text_box(agent, "Company").get_attribute("value") == "Neri & Figli", what="company kept")
    stored = contacts.contact(paolo["id"])
    assert (stored["company"], stored["phones"], stored["tags"]) == ("Neri & Figli", ["+393402223333"],
                                                                     ["Sales", "VIP"])


def test_another_contact_is_merged_into_an_opened_one(contacts: Contacts) -> None:
    survivor = contacts.make(first_name="Luca", last_name="Moretti", phones=["+39 333 444 5555"], tags=["VIP"],
                             company="Moretti Costruzioni")
    other = contacts.make(first_name="Luca", last_name="Morandi", phones=["+39 333 666 7777"], tags=["Complaint"],
                          email="luca.morandi@example.com")
    agent = contacts.agent
    open_contact(agent, survivor["id"], "Luca Moretti")
    agent.click(agent.button("Merge"))
    box = dialog(agent)
    assert "Merge a contact into Luca Moretti" in box.text
    search = agent.css("input[placeholder='First name, last name, email or phone']", within=box)
    search.send_keys("luca.morandi@example.com", Keys.ENTER)
    option = agent.find(By.XPATH, "//div[contains(@class, 'q-dialog')]//div[contains(@class, 'q-radio')]"
                                  "[contains(., 'Luca Morandi')]", what="Luca Morandi offered")
    assert "+39 333 666 7777" in option.text
    retype(agent, search, "moretti")  # by last name: the opened contact itself is never offered
    agent.click(agent.button("search", within=dialog(agent)))
    agent.find(By.XPATH, "//div[contains(@class, 'q-dialog')]//*[text()[contains(., 'No other contact matches.')]]",
               what="no other contact offered")
    retype(agent, search, "morandi")
    agent.click(agent.button("search", within=dialog(agent)))
    agent.click(lambda: agent.find(By.XPATH, "//div[contains(@class, 'q-dialog')]//div[contains(@class, 'q-radio')]"
                                             "[contains(., 'Luca Morandi')]"), what="pick Luca Morandi")
    confirm = agent.button("Merge Luca Morandi into Luca Moretti", within=dialog(agent))
    agent.wait(lambda d: confirm.is_enabled() and "disabled" not in confirm.get_attribute("class"),
               what="Merge enabled")
    agent.screenshot("contact-merge")
    agent.click(confirm)
    agent.notice("Luca Morandi merged into Luca Moretti.")
    agent.wait_gone(By.CSS_SELECTOR, ".q-dialog .q-card", what="the merge dialog closes")

    agent.wait(lambda d: sorted(text_box(agent, "Phones").get_attribute("value").split("\n")) == [
        "+39 333 444 5555", "+39 333 666 7777"], what="both phones shown")
    agent.wait(lambda d: chips(agent, "Tags") == ["Complaint", "VIP"], what="both tags shown")
    assert text_box(agent, "Email").get_attribute("value") == "luca.morandi@example.com"  # it lacked one
    merged = contacts.contact(survivor["id"])
    assert sorted(merged["phones"]) == ["+393334445555", "+393336667777"]
    assert merged["tags"] == ["Complaint", "VIP"]
    assert contacts.api.get(f"/contacts/{other['id']}").status_code == 404

    agent.click(lambda: tab(agent, "Contacts"), what="the list's tab")
    quick_search(agent, "Luca")
    shows_only(agent, "Luca Moretti")


def test_a_contact_is_duplicated_into_another_list(contacts: Contacts) -> None:
    sara = contacts.make(first_name="Sara", last_name="Fontana", phones=["+39 335 888 9999"], tags=["Support"],
                         company="Fontana Design")
    agent = contacts.agent
    open_contact(agent, sara["id"], "Sara Fontana")
    agent.click(agent.button("Duplicate"))
    box = dialog(agent)
    assert "Duplicate Sara Fontana" in box.text
    assert "Partners" in field(agent, "Into the list", box).text  # the only other list agent1 may add to
    agent.click(agent.button("Add contact", within=box))
    agent.notice("Sara Fontana copied to Partners.")
    agent.wait_gone(By.CSS_SELECTOR, ".q-dialog .q-card", what="the dialog closes")
    agent.wait(lambda d: detail_line(agent).startswith("List Partners · "), what="the copy's tab is shown")
    assert active_tab(agent) == "Sara Fontana · Partners"  # the original's tab too: told apart by their lists
    assert "Sara Fontana · Customers" in [t.text for t in agent.all_css(".q-tab__label")]
    assert text_box(agent, "Company").get_attribute("value") == "Fontana Design"

    [copy] = contacts.found(list="Partners", q="Fontana")
    assert copy["id"] != sara["id"]
    assert (copy["phones"], copy["tags"], copy["company"]) == (["+393358889999"], ["Support"], "Fontana Design")
    assert contacts.contact(sara["id"])["list"] == "Customers"  # the original stays


def test_an_agent_without_add_rights_sees_no_add_button(contacts: Contacts, browsers) -> None:
    contacts.make(first_name="Nina", last_name="Conti", phones=["+39 336 101 2020"])
    viewer = browsers(VIEWER)
    viewer.login(VIEWER, VIEWER_PASSWORD, next_path="/contacts")
    row(viewer, "Nina Conti")  # the page is there, with what Customers holds
    viewer.button("Refresh")
    assert not [b for b in viewer.driver.find_elements(By.XPATH, "//button[.//*[normalize-space(text())="
                                                                 "'Add contact']]") if b.is_displayed()]
    viewer.click(lambda: row(viewer, "Nina Conti"), what="Nina's row")
    viewer.wait(lambda d: active_tab(viewer) == "Nina Conti", what="Nina's tab")
    assert text_box(viewer, "First name").get_attribute("readonly") is not None  # read-only, no actions
    for action in ("Save", "Merge", "Duplicate", "Delete"):
        assert not viewer.driver.find_elements(
            By.XPATH, f"//div[contains(@class, 'q-tab-panel')]//button[.//*[normalize-space(text())='{action}']]"), \
            action
    for browser in (contacts.agent, viewer):
        errors = [e for e in browser.console_errors() if "favicon" not in e]
        assert not errors, f"{browser.name}: {errors}"
