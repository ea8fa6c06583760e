"""The administration console in headless Chromium (SPEC A1, A2), driven as an administrator would: a new
queue with a member, a new Twilio account routed to it (its credentials shown only masked), and a changed
setting; each is still there after a reload, and the REST API reads back what was stored.

Screenshots: docs/screenshots/admin-queues.png, admin-accounts.png, admin-settings.png.
"""
from __future__ import annotations

from selenium.webdriver.common.by import By

from tests.browser.conftest import Browser, dialog, xpath_literal
from tests.browser.test_contacts import fill, ok, pick, text_box
from tests.serverproc import Api, ServerProcess

AUTH_TOKEN = "browser-secret-token-9876"


def row(browser: Browser, first_cell: str):
    return browser.find(By.XPATH, f"//tbody/tr[td[1][normalize-space(.)={xpath_literal(first_cell)}]]",
                        what=f"row {first_cell!r}")


def save_dialog(browser: Browser, notice: str) -> None:
    browser.click(browser.button("Save", within=dialog(browser)), what="Save")
    browser.notice(notice)
    browser.wait_gone(By.CSS_SELECTOR, ".q-dialog", what="the dialog closes")


def reload(browser: Browser) -> None:
    browser.driver.refresh()
    browser.ready()


def test_an_admin_sets_up_a_queue_an_account_and_a_setting(server: ServerProcess, browsers) -> None:
    api = Api(server.base, "admin")
    admin = browsers("admin")
    admin.login("admin", next_path="/admin/queues")

    admin.click(admin.button("New queue"), what="New queue")
    form = dialog(admin)
    fill(admin, "Name", "Billing", within=form)
    fill(admin, "Capacity per agent, 1-100", "3", within=form)
    pick(admin, "Members", "Chiara Agent (agent3)", within=form, multiple=True)
    save_dialog(admin, "Queue Billing saved.")
    reload(admin)
    assert "agent3" in row(admin, "Billing").text
    admin.screenshot("admin-queues")
    billing = ok(api.get("/admin/queues/Billing"))
    assert (billing["members"], billing["capacity"]) == (["agent3"], 3)

    admin.open("/admin/accounts")
    admin.click(admin.button("New account"), what="New account")
    form = dialog(admin)
    fill(admin, "Key (in the webhook URL)", "billing-line", within=form)
    pick(admin, "Provider", "twilio", within=form)
    fill(admin, "Name", "Billing line", within=form)
    pick(admin, "Queue", "Billing", within=form)
    admin.type_into(text_box(admin, "account_sid", form), "AC" + "7" * 32)
    admin.type_into(text_box(admin, "auth_token", form), AUTH_TOKEN)
    save_dialog(admin, "Account billing-line saved.")
    reload(admin)
    shown = row(admin, "billing-line").text
    assert "Billing line" in shown and "Billing" in shown and "••••9876" in shown
    assert AUTH_TOKEN not in admin.driver.page_source
    admin.screenshot("admin-accounts")
    account = ok(api.get("/admin/accounts/billing-line"))
    assert (account["provider"], account["queue"], account["credentials"]["auth_token"]["set"]) == (
        "twilio", "Billing", True)

    admin.open("/admin/settings")
    fill(admin, "Most tabs per agent (1-100)", "8")
    admin.click(admin.button("Save"), what="Save")
    admin.notice("Settings saved.")
    reload(admin)
    admin.wait(lambda d: text_box(admin, "Most tabs per agent (1-100)").get_attribute("value") == "8",
               what="the stored setting shows after a reload")
    admin.driver.execute_script("window.scrollTo(0, 0)")
    admin.screenshot("admin-settings")
    assert ok(api.get("/admin/settings"))["max_tabs"] == 8
    api.client.close()
