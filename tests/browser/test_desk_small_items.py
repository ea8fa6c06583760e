"""The desk's smaller items in headless Chromium, on one module server (issue 16, point 10):

- the conversation header's close (X) asks the same confirmation as the menu's Close (SPEC D9);
- the composer's emoji menu closes after a pick (D6);
- an image that arrives in the open chat comes into view once it has loaded (D4);
- removing a contact trigger asks first (A1, C9);
- the templates table fits a 1366 px wide window (D10, T3);
- a contact with several tags shows them as grey chips (C3);
- two open contacts of the same name are told apart by their list in the tabs (C5);
- a row of the Interactions list opens the contact's card and journey, masked for a masked viewer (L1, L3, C6,
  C8);
- "Send a WhatsApp" on a contact's page opens the desk's new conversation with the number filled in (D8, T4).

Two windows for the whole module: agent1 (the desk, then the contact and interaction pages) and the
administrator. The REST API sets the scene and checks what was stored.

Screenshot: docs/screenshots/interactions-row-card.png.
"""
from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from tests.browser.conftest import Browser, dialog, xpath_literal
from tests.browser.test_contacts import field
from tests.browser.test_story import bubble, chat_title, in_view, tab
from tests.serverproc import Api, ServerProcess

QUEUE = "WhatsAppConn1"  # the demo's queue, of every account


@dataclass
class Scene:
    server: ServerProcess
    agent: Browser  # agent1, online, on the desk at first
    admin: Browser  # signed in, on the Lists page at first
    api: Api  # agent1's
    admin_api: Api

    def write(self, phone: str, text: str, name: str) -> int:
        """The customer at `phone` writes on the sandbox account: the interaction's id."""
        r = httpx.post(f"{self.server.base}/webhooks/sandbox/sandbox", timeout=10,
                       json={"id": f"small-{uuid.uuid4().hex}", "from": phone, "text": text, "name": name})
        assert r.status_code == 200, r.text
        return r.json()["interaction_id"]

    def conversation(self, phone: str, name: str) -> int:
        """A new conversation from `name`, accepted by agent1 and shown on the desk."""
        interaction_id = self.write(phone, f"Hello, this is {name}", name)
        self.api.wait_for_offer(interaction_id, timeout=10)
        ok(self.api.post(f"/interactions/{interaction_id}/accept"))
        self.agent.click(lambda: tab(self.agent, name), what=f"the tab of {name}")
        self.agent.wait(lambda d: chat_title(self.agent) == name, what=f"the chat of {name} shown")
        return interaction_id


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def scene(server: ServerProcess, browsers) -> Iterator[Scene]:
    api, admin_api = Api(server.base, "agent1"), Api(server.base, "admin")
    ok(api.put("/me/state", json={"state": "online"}))
    agent = browsers("agent1")
    agent.login("agent1")
    agent.text("Online", tag="span")
    ok(admin_api.post("/admin/triggers", json={"queue": QUEUE, "list": "Customers"}), 201)
    admin = browsers("admin")
    admin.login("admin", next_path="/admin/lists")
    yield Scene(server, agent, admin, api, admin_api)
    for interaction_id in ok(api.get("/me"))["open_interactions"]:
        api.post(f"/interactions/{interaction_id}/close", json={})
    api.put("/me/state", json={"state": "offline"})
    api.client.close()
    admin_api.client.close()


def png(width: int, height: int) -> bytes:
    """A plain grey PNG of this size (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x90" * width for _ in range(height))  # filter byte, then grey pixels
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def header(browser: Browser) -> WebElement:
    """The open conversation's header row (the customer, then its buttons)."""
    return browser.find(By.XPATH, "//main//div[contains(@class, 'no-wrap')][.//div[contains(@class, 'xc-avatar')]]",
                        what="the conversation's header")


def dialog_text(browser: Browser) -> str:
    return browser.wait(lambda d: dialog(browser).text, what="a dialog with text")


# --- the desk --------------------------------------------------------------------------------------
def test_the_header_close_asks_the_menus_confirmation(scene: Scene) -> None:
    agent = scene.agent
    interaction_id = scene.conversation("+393330000101", "Carla Chiusi")
    agent.click(lambda: agent.button("close", within=header(agent)), what="the header's X")
    asked = dialog_text(agent)
    assert "Close the conversation?" in asked and "next message will start a new conversation" in asked
    agent.click(lambda: agent.button("Cancel", within=dialog(agent)), what="Cancel")
    agent.wait_gone(By.CSS_SELECTOR, ".q-dialog .q-card", what="the dialog closes")
    assert ok(scene.api.get(f"/interactions/{interaction_id}"))["status"] != "closed"

    agent.click(lambda: agent.button("close", within=header(agent)), what="the header's X")
    agent.click(lambda: agent.button("Close", within=dialog(agent)), what="Close")
    agent.wait_gone(By.XPATH, "//div[contains(@class, 'xc-tab')][.//div[text()='Carla Chiusi']]",
                    what="the tab goes")
    assert ok(scene.api.get(f"/interactions/{interaction_id}"))["status"] == "closed"


def test_the_emoji_menu_closes_after_a_pick(scene: Scene) -> None:
    agent = scene.agent
    scene.conversation("+393330000103", "Emilia Emoji")
    agent.click(lambda: agent.button("mood", within=agent.css("main")), what="the emoji button")
    agent.click(lambda: agent.find(By.XPATH, "//div[contains(@class, 'q-menu')]//button[normalize-space(.)='👍']"),
                what="👍")
    agent.wait_gone(By.CSS_SELECTOR, ".q-menu", what="the emoji menu closes")
    agent.wait(lambda d: agent.css("main textarea").get_attribute("value") == "👍", what="the composer holds 👍")


def test_an_arrived_image_comes_into_view_once_loaded(scene: Scene) -> None:
    agent = scene.agent
    interaction_id = scene.conversation("+393330000102", "Ida Immagini")
    for number in range(1, 13):  # more than a screenful
        scene.write("+393330000102", f"Line {number} of a long story", "Ida Immagini")
    line = bubble(agent, "xc-in", "Line 12 of a long story")
    agent.wait(lambda d: in_view(agent, line), what="the chat follows the text")
    agent.driver.execute_script(HOLD_IMAGES)  # a slow network: the image arrives after the chat has scrolled
    ok(scene.api.post(f"/interactions/{interaction_id}/messages", data={"text": "The photo"},
                      files={"file": ("photo.png", png(400, 400), "image/png")}), 201)
    photo = bubble(agent, "xc-out", "The photo")
    agent.wait(lambda d: d.execute_script("return !!arguments[0].querySelector('img[data-held]')", photo),
               what="the image is on its way")
    agent.wait(lambda d: d.execute_script(AT_BOTTOM), what="the chat scrolled to its (shorter) bottom")
    agent.driver.execute_script("window.xcReleaseImages()")
    agent.wait(lambda d: d.execute_script(
        "const i = arguments[0].querySelector('img'); return !!i && i.complete && i.naturalHeight > 0", photo),
        what="the image loaded")
    agent.wait(lambda d: in_view(agent, photo), what="the chat shows the whole image")


HOLD_IMAGES = """
const held = [];
const observer = new MutationObserver((changes) => changes.forEach((change) => change.addedNodes.forEach((node) => {
  if (!node.querySelectorAll) return;
  [node, ...node.querySelectorAll('img')].filter((e) => e.tagName === 'IMG' && e.getAttribute('src')).forEach((img) => {
    img.dataset.held = img.getAttribute('src');
    img.removeAttribute('src');
    held.push(img);
  });
})));
observer.observe(document.querySelector('main'), {childList: true, subtree: true});
window.xcReleaseImages = () => {
  observer.disconnect();
  held.forEach((img) => { img.src = img.dataset.held; });
};
"""
AT_BOTTOM = ("const b = document.querySelector('main .q-scrollarea__container');"
             "return b.scrollTop + b.clientHeight >= b.scrollHeight - 2;")


# --- administration ------------------------------------------------------------------------------
def test_removing_a_trigger_asks_first(scene: Scene) -> None:
    admin = scene.admin  # on the Lists page, where the fixture's trigger for the queue is shown
    trigger = "//tbody/tr[td[1][normalize-space(.)='Queue WhatsAppConn1']]"
    admin.click(lambda: admin.button("delete", within=admin.find(By.XPATH, trigger)), what="the trigger's delete")
    asked = dialog_text(admin)
    assert "Remove the trigger of Queue WhatsAppConn1?" in asked and "Customers" in asked
    admin.click(lambda: admin.button("Cancel", within=dialog(admin)), what="Cancel")
    admin.wait_gone(By.CSS_SELECTOR, ".q-dialog .q-card", what="the dialog closes")
    assert [t for t in ok(scene.admin_api.get("/admin/triggers"))["items"] if t["queue"] == QUEUE]

    admin.click(lambda: admin.button("delete", within=admin.find(By.XPATH, trigger)), what="the trigger's delete")
    admin.click(lambda: admin.button("Remove", within=dialog(admin)), what="Remove")
    admin.notice("Trigger removed.")
    admin.wait_gone(By.XPATH, trigger, what="the row goes")
    assert not [t for t in ok(scene.admin_api.get("/admin/triggers"))["items"] if t["queue"] == QUEUE]


def test_the_templates_table_fits_a_1366_window(scene: Scene) -> None:
    admin = scene.admin
    assert admin.driver.get_window_size()["width"] == 1366
    admin.open("/admin/templates")
    admin.text("order_update")
    widths = admin.wait(lambda d: d.execute_script(
        "const t = document.querySelector('.q-table__middle'); return t && [t.scrollWidth, t.clientWidth];"),
        what="the templates table")
    assert widths[0] <= widths[1], f"the table scrolls sideways: {widths[0]} px of content in {widths[1]} px"


# --- contacts ------------------------------------------------------------------------------------
GREY = "rgba(158, 158, 158, 1)"  # server.domain.tags.GREY as the browser computes it


def contact_tab(browser: Browser, title: str) -> WebElement:
    return browser.find(By.XPATH, "//div[contains(concat(' ', normalize-space(@class), ' '), ' q-tab ')]"
                                  "[.//div[contains(@class, 'q-tab__label')]"
                                  f"[normalize-space(.)={xpath_literal(title)}]]", what=f"tab {title!r}")


def tab_titles(browser: Browser) -> list[str]:
    return sorted(label.text for label in browser.all_css(".q-tab__label"))


def chip_colors(within: WebElement) -> dict[str, str]:
    return {chip.find_element(By.CSS_SELECTOR, ".q-chip__content").text: chip.value_of_css_property("background-color")
            for chip in within.find_elements(By.CSS_SELECTOR, ".q-chip")}


def test_many_tags_show_as_grey_chips_in_the_list_and_the_contacts_tab(scene: Scene) -> None:
    many = ok(scene.admin_api.post("/contacts", json={
        "list": "Customers", "first_name": "Greta", "last_name": "Grigi", "phones": ["+39 333 000 0201"],
        "tags": ["VIP", "Complaint", "Sales", "Support"]}), 201)
    admin = scene.admin
    admin.open(f"/contacts/{many['id']}")
    admin.wait(lambda d: admin.css(".q-tab--active .q-tab__label").text == "Greta Grigi", what="Greta's tab")
    grey = dict.fromkeys(["VIP", "Complaint", "Sales", "Support"], GREY)
    admin.wait(lambda d: chip_colors(field(admin, "Tags", admin.css(".q-tab-panel .q-tab-panel"))) == grey,
               what="the contact's four tags in grey")
    admin.click(lambda: contact_tab(admin, "Contacts"), what="the list's tab")
    greta = "//tbody/tr[td[1][normalize-space(.)='Greta Grigi']]"
    admin.wait(lambda d: chip_colors(admin.find(By.XPATH, greta)) == grey, what="Greta's row with four grey tags")


def test_open_contacts_of_the_same_name_are_told_apart_by_their_list(scene: Scene) -> None:
    ok(scene.admin_api.post("/admin/lists", json={"name": "Partners"}), 201)
    anna = ok(scene.admin_api.post("/contacts", json={"list": "Customers", "first_name": "Anna", "last_name": "Conti",
                                                      "phones": ["+39 333 000 0202"]}), 201)
    ok(scene.admin_api.post("/contacts", json={"list": "Partners", "first_name": "Anna", "last_name": "Conti",
                                               "phones": ["+39 333 000 0203"]}), 201)
    admin = scene.admin
    admin.open("/contacts")
    admin.click(lambda: admin.find(By.XPATH, "//tbody/tr[td[1][normalize-space(.)='Anna Conti']]"
                                             "[td[normalize-space(.)='Customers']]"), what="Anna of Customers")
    admin.wait(lambda d: "Anna Conti" in tab_titles(admin), what="one Anna, named plainly")
    admin.click(lambda: contact_tab(admin, "Contacts"), what="the list's tab")
    admin.click(lambda: admin.find(By.XPATH, "//tbody/tr[td[1][normalize-space(.)='Anna Conti']]"
                                             "[td[normalize-space(.)='Partners']]"), what="Anna of Partners")
    admin.wait(lambda d: {"Anna Conti · Customers", "Anna Conti · Partners"} <= set(tab_titles(admin)),
               what="both Annas named with their list")
    assert admin.css(".q-tab--active .q-tab__label").text == "Anna Conti · Partners"
    admin.click(lambda: contact_tab(admin, "Anna Conti · Partners").find_element(By.TAG_NAME, "button"),
                what="close Anna of Partners")
    admin.wait(lambda d: "Anna Conti" in tab_titles(admin) and not [t for t in tab_titles(admin) if "·" in t],
               what="the Anna left is named plainly again")
    assert anna["list"] == "Customers"


# --- the Interactions list -------------------------------------------------------------------------
RITA = "+393330000111"


def test_a_row_opens_the_contact_card_and_journey_masked_for_a_masked_agent(scene: Scene) -> None:
    agent = scene.agent
    first = scene.conversation(RITA, "Rita Ritorno")  # her contact goes to Customers (the demo's trigger)
    ok(scene.api.post(f"/interactions/{first}/close", json={}))
    agent.wait_gone(By.XPATH, "//div[contains(@class, 'xc-tab')][.//div[text()='Rita Ritorno']]", what="her tab goes")
    scene.conversation(RITA, "Rita Ritorno")  # and she writes again: a journey of two
    [rita] = ok(scene.admin_api.get("/contacts", params={"q": "Ritorno"}))["items"]
    ok(scene.admin_api.patch(f"/contacts/{rita['id']}", json={"tags": ["VIP", "Sales"]}))
    ok(scene.admin_api.put("/admin/settings", json={"masking": {"phone": "partial"}}))
    try:
        agent.open("/interactions")
        masked = RITA[:4] + "•••" + RITA[-2:]
        agent.click(lambda: agent.find(By.XPATH, "//tbody/tr[td[contains(., 'Rita Ritorno')]]"
                                                 "[td[1][normalize-space(.)='open']]"), what="Rita's open conversation")
        card = "//div[contains(@class, 'q-dialog')]//*[text()='Contact']/.."
        agent.wait(lambda d: all(shown in agent.find(By.XPATH, card).text
                                 for shown in ("Rita Ritorno", masked, "Customers", "VIP", "Sales")),
                   what="the card: name, masked number, list, tags")
        journey = agent.find(By.XPATH, "//div[contains(@class, 'q-dialog')]//*[text()='Customer journey']"
                                       "/following-sibling::div[1]", what="the journey").text
        assert "▶ This conversation" in journey and journey.count(QUEUE) == 2 and "closed" in journey, journey
        assert RITA not in agent.driver.page_source and RITA[3:] not in agent.driver.page_source
        agent.screenshot("interactions-row-card")
    finally:
        ok(scene.admin_api.put("/admin/settings", json={"masking": {"phone": "none"}}))


# --- from a contact to the desk ------------------------------------------------------------------
def test_send_a_whatsapp_opens_the_desks_new_conversation_with_the_number(scene: Scene) -> None:
    nora = ok(scene.admin_api.post("/contacts", json={"list": "Customers", "first_name": "Nora", "last_name": "Nuova",
                                                      "phones": ["+39 333 000 0301"]}), 201)
    agent = scene.agent
    agent.open(f"/contacts/{nora['id']}")
    agent.wait(lambda d: agent.css(".q-tab--active .q-tab__label").text == "Nora Nuova", what="Nora's tab")
    agent.click(agent.button("Send a WhatsApp"), what="Send a WhatsApp")
    agent.wait(lambda d: d.current_url.startswith(scene.server.base + "/?new="), what="on the desk")
    agent.ready()
    agent.wait(lambda d: "New conversation" in dialog(agent).text, what="the New conversation dialog")
    agent.wait(lambda d: field(agent, "Customer's number", dialog(agent)).find_element(
        By.TAG_NAME, "input").get_attribute("value") == "+39 333 000 0301", what="Nora's number filled in")
    agent.click(lambda: agent.button("Check", within=dialog(agent)), what="Check")
    agent.find(By.XPATH, "//div[contains(@class, 'q-dialog')]//div[contains(@class, 'text-sm')]"
                         "[contains(., 'only a template can be sent')]", what="the case of Nora's number")
    agent.button("Send template", within=dialog(agent))  # the number was taken: Nora is reached with a template

    admin = scene.admin  # an administrator has no desk: the button is not offered
    admin.open(f"/contacts/{nora['id']}")
    admin.wait(lambda d: admin.css(".q-tab--active .q-tab__label").text == "Nora Nuova", what="Nora's tab")
    admin.button("Merge")
    assert not [b for b in admin.driver.find_elements(
        By.XPATH, "//button[.//*[normalize-space(text())='Send a WhatsApp']]") if b.is_displayed()]
