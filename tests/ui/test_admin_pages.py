"""The administration pages through NiceGUI's simulated user (SPEC A1, A2): on each, an administrator
creates, edits and deletes through the page and the change is in the service afterwards; a bad input shows
the service's message and changes nothing; supervisors and agents get the "only administrators" card on
every administration page, and none of the data."""
from __future__ import annotations

from typing import Any

import pytest
from nicegui import Client, ui
from nicegui.testing.user_interaction import UserInteraction

from server.connectors.delivery import Unrouted
from server.persistence.models import Contact, ContactList, ListPermission, User
from server.ui.admin_nav import ADMIN_PAGES
from tests.ui.conftest import WAIT_RETRIES, Browsers, element, eventually, everything_shown


async def admin_on(browsers: Browsers, path: str, marker: str):
    user = await browsers.signed_in("admin", await browsers.new())
    await user.open(path)
    await user.should_see(marker=marker, retries=WAIT_RETRIES)
    return user


def rows(user, marker: str, key: str) -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in element(user, marker).rows}


async def closes(user, marker: str) -> None:
    """The dialog holding `marker` was closed; the browser then reports it hidden, which removes it."""
    [dialog] = [e for e in element(user, marker).ancestors() if isinstance(e, ui.dialog)]
    await eventually(lambda: not dialog.value)
    UserInteraction(user, {dialog}, None).trigger("hide")
    await user.should_not_see(marker=marker)


async def row_dialog(user, table: str, action: str, row: dict[str, Any], marker: str) -> None:
    """A row's action (edit, delete, ...) on `table`, then the dialog holding `marker` is shown."""
    user.find(marker=table).trigger(action, row)
    await user.should_see(marker=marker, retries=WAIT_RETRIES)


async def button_dialog(user, button: str, marker: str) -> None:
    user.find(marker=button).click()
    await user.should_see(marker=marker, retries=WAIT_RETRIES)


async def click_and_see(user, marker: str, notice: str) -> None:
    user.find(marker=marker).click()
    await eventually(lambda: user.notify.contains(notice))


# --- users -----------------------------------------------------------------------------------------
async def test_an_admin_creates_edits_resets_and_disables_a_user(browsers: Browsers) -> None:
    admin = browsers.services.admin
    user = await admin_on(browsers, "/admin/users", "users-table")
    assert rows(user, "users-table", "username")["agent1"]["role"] == "agent"

    await button_dialog(user, "users-new", "user-save")
    element(user, "user-username").set_value("nina")
    element(user, "user-password").set_value("short")
    element(user, "user-full-name").set_value("Nina North")
    element(user, "user-role").set_value("supervisor")
    await click_and_see(user, "user-save", "password: at least 8 characters.")
    assert not await User.filter(username="nina").exists()
    element(user, "user-password").set_value("nina-secret-1")
    await click_and_see(user, "user-save", "User nina saved.")
    await closes(user, "user-save")
    await eventually(lambda: "nina" in rows(user, "users-table", "username"))
    nina = await User.get(username="nina")
    assert (nina.full_name, nina.role, nina.disabled) == ("Nina North", "supervisor", False)
    await browsers.services.auth.login("nina", "nina-secret-1")

    await row_dialog(user, "users-table", "edit", {"username": "nina"}, "user-save")
    element(user, "user-role").set_value("agent")
    element(user, "user-full-name").set_value("Nina Agent")
    await click_and_see(user, "user-save", "User nina saved.")
    await closes(user, "user-save")
    await eventually(lambda: rows(user, "users-table", "username")["nina"]["role"] == "agent")
    assert (await User.get(username="nina")).full_name == "Nina Agent"

    await row_dialog(user, "users-table", "password", {"username": "nina"}, "user-password-save")
    element(user, "user-new-password").set_value("1234")
    await click_and_see(user, "user-password-save", "password: at least 8 characters.")
    element(user, "user-new-password").set_value("nina-secret-2")
    await click_and_see(user, "user-password-save", "Password of nina changed.")
    await closes(user, "user-password-save")
    await browsers.services.auth.login("nina", "nina-secret-2")

    user.find(marker="users-table").trigger("disable", {"username": "nina"})
    await eventually(lambda: rows(user, "users-table", "username")["nina"]["status"] == "Disabled")
    assert (await User.get(username="nina")).disabled
    user.find(marker="users-table").trigger("enable", {"username": "nina"})
    await eventually(lambda: rows(user, "users-table", "username")["nina"]["status"] == "Active")
    assert not (await User.get(username="nina")).disabled

    user.find(marker="users-table").trigger("disable", {"username": "admin"})  # the service's refusal
    await eventually(lambda: user.notify.contains("You cannot enable or disable your own account"))
    admin_row = next(u for u in await admin.list_users(await browsers.principal("admin")) if u["username"] == "admin")
    assert not admin_row["disabled"]


async def test_an_admin_sets_an_agents_own_capacity_and_the_desk_takes_it(browsers: Browsers) -> None:
    user = await admin_on(browsers, "/admin/users", "users-table")
    assert rows(user, "users-table", "username")["agent3"]["capacity"] == "queues' setting"
    agent3 = await browsers.principal("agent3")
    assert (await browsers.services.agents.me(agent3))["capacity"] == 5

    await row_dialog(user, "users-table", "edit", {"username": "agent3"}, "user-save")
    element(user, "user-capacity").set_value(2.5)
    await click_and_see(user, "user-save", "capacity: a whole number from 1 to 100, or null for the queues' setting.")
    assert (await User.get(username="agent3")).capacity is None
    element(user, "user-capacity").set_value(2)
    await click_and_see(user, "user-save", "User agent3 saved.")
    await closes(user, "user-save")
    await eventually(lambda: rows(user, "users-table", "username")["agent3"]["capacity"] == "2")

    async def desk_capacity_is(capacity: int) -> bool:
        return (await browsers.services.agents.me(agent3))["capacity"] == capacity

    await eventually(lambda: desk_capacity_is(2))  # the running desk, without a restart

    await row_dialog(user, "users-table", "edit", {"username": "agent3"}, "user-save")
    element(user, "user-capacity").set_value(None)
    await click_and_see(user, "user-save", "User agent3 saved.")
    await eventually(lambda: rows(user, "users-table", "username")["agent3"]["capacity"] == "queues' setting")
    assert (await User.get(username="agent3")).capacity is None
    await eventually(lambda: desk_capacity_is(5))


async def test_a_taken_username_is_refused_and_changes_nothing(browsers: Browsers) -> None:
    user = await admin_on(browsers, "/admin/users", "users-table")
    before = await User.all().count()
    await button_dialog(user, "users-new", "user-save")
    element(user, "user-username").set_value("agent1")
    element(user, "user-password").set_value("long-enough-1")
    await click_and_see(user, "user-save", "The username 'agent1' is taken.")
    assert await User.all().count() == before
    assert element(user, "user-username").value == "agent1"  # the dialog stays with what was typed


# --- settings --------------------------------------------------------------------------------------
async def test_settings_save_only_what_changed_and_show_the_services_refusal(browsers: Browsers) -> None:
    settings = browsers.services.settings
    user = await admin_on(browsers, "/admin/settings", "settings-save")
    assert element(user, "setting-attachments-max-mb").value == settings.get("attachments")["max_mb"]
    await click_and_see(user, "settings-save", "Nothing to save.")

    element(user, "setting-attachments-max-mb").set_value(40)
    element(user, "setting-max-tabs").set_value(7)
    await click_and_see(user, "settings-save", "attachments.max_mb must be a whole number from 1 to 25.")
    assert settings.get("attachments")["max_mb"] == 15 and settings.get("max_tabs") == 20  # nothing stored

    element(user, "setting-attachments-max-mb").set_value(8)
    element(user, "setting-transfer-to").set_value("queues")
    element(user, "setting-masking-phone").set_value("partial")
    element(user, "setting-default-region").set_value("it")
    await click_and_see(user, "settings-save", "Settings saved.")
    assert settings.get("attachments") == {"enabled": True, "max_mb": 8}
    assert settings.get("transfer") == {"enabled": True, "to": "queues"}
    assert settings.get("masking") == {"phone": "partial", "email": "none", "name": "none"}
    assert (settings.get("max_tabs"), settings.get("default_region")) == (7, "IT")
    assert element(user, "setting-default-region").value == "IT"  # what the service stored

    again = await admin_on(browsers, "/admin/settings", "settings-save")  # a fresh page shows what is stored
    assert element(again, "setting-max-tabs").value == 7
    assert element(again, "setting-transfer-to").value == "queues"


async def test_settings_send_only_the_changed_parts(browsers: Browsers, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, Any]] = []
    admin = browsers.services.admin
    update = admin.update_settings

    async def spy(principal, changes):
        sent.append(changes)
        return await update(principal, changes)

    monkeypatch.setattr(admin, "update_settings", spy)
    user = await admin_on(browsers, "/admin/settings", "settings-save")
    element(user, "setting-agent-timeout").set_value(120)
    element(user, "setting-attachments-enabled").set_value(False)
    await click_and_see(user, "settings-save", "Settings saved.")
    assert sent == [{"agent_timeout": 120, "attachments": {"enabled": False}}]


# --- who may open the pages ------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["supervisor", "agent1"])
async def test_only_administrators_open_any_admin_page(browsers: Browsers, username: str) -> None:
    user = await browsers.signed_in(username, await browsers.new())
    registered = set(Client.page_routes.values())
    paths = [path for path, _ in ADMIN_PAGES if path in registered]
    assert {"/admin/users", "/admin/settings", "/admin/templates", "/admin/campaigns"} <= set(paths)
    for path in paths:
        await user.open(path)
        await user.should_see("Only administrators", retries=WAIT_RETRIES)
        shown = everything_shown(user)
        for secret in ("agent3", "agent4", "WhatsAppConn1", "meta-demo", "Customers", "demo-app-secret",
                       "order_update", "VIP"):
            assert secret not in shown, f"{path} shows {secret!r} to {username}"
        await user.should_not_see(kind=ui.table)


# --- queues ----------------------------------------------------------------------------------------
async def test_an_admin_creates_edits_staffs_and_deletes_a_queue(browsers: Browsers) -> None:
    queues = browsers.services.queue_admin
    principal = await browsers.principal("admin")
    user = await admin_on(browsers, "/admin/queues", "queues-table")
    assert "agent1" in rows(user, "queues-table", "name")["WhatsAppConn1"]["members"]

    await button_dialog(user, "queues-new", "queue-save")
    element(user, "queue-name").set_value("Sales Desk")
    element(user, "queue-strategy").set_value("round_robin")
    element(user, "queue-capacity").set_value(3)
    element(user, "queue-offer-timeout").set_value(2)
    element(user, "queue-members").set_value(["agent1", "agent2"])
    await click_and_see(user, "queue-save", "offer_timeout must be a whole number from 5 to 3600.")
    assert "Sales Desk" not in [q["name"] for q in await queues.list(principal)]
    element(user, "queue-offer-timeout").set_value(20)
    await click_and_see(user, "queue-save", "Queue Sales Desk saved.")
    await closes(user, "queue-save")
    await eventually(lambda: "Sales Desk" in rows(user, "queues-table", "name"))
    made = await queues.get(principal, "Sales Desk")
    assert (made["strategy"], made["capacity"], made["offer_timeout"], made["members"]) == (
        "round_robin", 3, 20, ["agent1", "agent2"])

    await row_dialog(user, "queues-table", "edit", {"name": "Sales Desk"}, "queue-save")
    element(user, "queue-weight").set_value(10)
    await click_and_see(user, "queue-save", "Queue Sales Desk saved.")
    await closes(user, "queue-save")
    await eventually(lambda: rows(user, "queues-table", "name")["Sales Desk"]["weight"] == 10)
    assert (await queues.get(principal, "Sales Desk"))["weight"] == 10

    await row_dialog(user, "queues-table", "members", {"name": "Sales Desk"}, "queue-members-save")
    assert element(user, "queue-members").value == ["agent1", "agent2"]
    element(user, "queue-members").set_value(["agent3"])
    await click_and_see(user, "queue-members-save", "Members of Sales Desk saved.")
    await closes(user, "queue-members-save")
    await eventually(lambda: rows(user, "queues-table", "name")["Sales Desk"]["members"] == "agent3")
    assert (await queues.get(principal, "Sales Desk"))["members"] == ["agent3"]

    # accounts route to it
    await row_dialog(user, "queues-table", "delete", {"name": "WhatsAppConn1"}, "queue-delete-confirm")
    await click_and_see(user, "queue-delete-confirm", "Accounts route to the queue 'WhatsAppConn1'")
    assert "WhatsAppConn1" in [q["name"] for q in await queues.list(principal)]
    [dialog] = [e for e in element(user, "queue-delete-confirm").ancestors() if isinstance(e, ui.dialog)]
    dialog.close()
    await closes(user, "queue-delete-confirm")

    await row_dialog(user, "queues-table", "delete", {"name": "Sales Desk"}, "queue-delete-confirm")
    await click_and_see(user, "queue-delete-confirm", "Queue Sales Desk deleted.")
    await eventually(lambda: "Sales Desk" not in rows(user, "queues-table", "name"))
    assert "Sales Desk" not in [q["name"] for q in await queues.list(principal)]


# --- accounts --------------------------------------------------------------------------------------
async def test_an_admin_creates_edits_and_deletes_an_account_with_masked_credentials(browsers: Browsers) -> None:
    accounts = browsers.services.account_admin
    principal = await browsers.principal("admin")
    user = await admin_on(browsers, "/admin/accounts", "accounts-table")
    assert rows(user, "accounts-table", "key")["meta-demo"]["provider"] == "meta"
    assert "demo-app-secret" not in everything_shown(user)  # credentials only masked

    await button_dialog(user, "accounts-new", "account-save")
    await user.should_see(marker="account-credential-access_token")  # Meta's fields first
    element(user, "account-provider").set_value("twilio")
    await user.should_see(marker="account-credential-auth_token", retries=WAIT_RETRIES)
    await user.should_not_see(marker="account-credential-access_token")
    element(user, "account-key").set_value("twilio-two")
    element(user, "account-name").set_value("Second line")
    element(user, "account-phone").set_value("+14155550188")
    element(user, "account-queue").set_value("WhatsAppConn1")
    element(user, "account-credential-account_sid").set_value("AC" + "1" * 32)
    await click_and_see(user, "account-save", "A twilio account needs credentials: auth_token.")
    assert "twilio-two" not in [a["key"] for a in await accounts.list(principal)]
    element(user, "account-credential-auth_token").set_value("first-secret-token-1111")
    await click_and_see(user, "account-save", "Account twilio-two saved.")
    await closes(user, "account-save")
    await eventually(lambda: "twilio-two" in rows(user, "accounts-table", "key"))
    shown = rows(user, "accounts-table", "key")["twilio-two"]
    assert "auth_token: ••••1111" in shown["credentials"] and "first-secret" not in everything_shown(user)
    made = await accounts.get(principal, "twilio-two")
    assert (made["name"], made["phone_number"], made["queue"], made["credentials"]["auth_token"]["hint"]) == (
        "Second line", "+14155550188", "WhatsAppConn1", "••••1111")

    await row_dialog(user, "accounts-table", "edit", {"key": "twilio-two"}, "account-save")  # empty credentials stay
    assert element(user, "account-credential-auth_token").value == ""
    element(user, "account-window").set_value(200)
    await click_and_see(user, "account-save", "window_hours must be a whole number from 0 (no window) to 168")
    assert (await accounts.get(principal, "twilio-two"))["window_hours"] is None
    element(user, "account-window").set_value(48)
    element(user, "account-recontact").set_value("order_update")
    await click_and_see(user, "account-save", "Account twilio-two saved.")
    await closes(user, "account-save")
    edited = await accounts.get(principal, "twilio-two")
    assert (edited["window_hours"], edited["recontact_template"]) == (48, "order_update")
    assert edited["credentials"] == made["credentials"]
    await eventually(lambda: rows(user, "accounts-table", "key")["twilio-two"]["window"] == "48 h")

    # a typed credential replaces
    await row_dialog(user, "accounts-table", "edit", {"key": "twilio-two"}, "account-save")
    element(user, "account-credential-auth_token").set_value("second-secret-token-2222")
    await click_and_see(user, "account-save", "Account twilio-two saved.")
    await closes(user, "account-save")
    after = (await accounts.get(principal, "twilio-two"))["credentials"]
    assert after["auth_token"]["hint"] == "••••2222" and after["account_sid"] == made["credentials"]["account_sid"]

    await row_dialog(user, "accounts-table", "delete", {"key": "twilio-two"}, "account-delete-confirm")
    await click_and_see(user, "account-delete-confirm", "Account twilio-two deleted.")
    await eventually(lambda: "twilio-two" not in rows(user, "accounts-table", "key"))
    assert "twilio-two" not in [a["key"] for a in await accounts.list(principal)]


# --- lists -----------------------------------------------------------------------------------------
async def test_the_accounts_page_lists_what_no_conversation_took_with_its_reason_and_item(browsers: Browsers) -> None:
    inbound = browsers.services.inbound
    account = await inbound.account("meta-demo", "meta")
    await inbound.keep_unrouted(account, [Unrouted("For the number 999, which no account of this app has.",
                                                   '{"field": "messages", "value": {"x": "<b>1</b>"}}')])
    user = await admin_on(browsers, "/admin/accounts", "unrouted-table")
    [shown] = [r for r in element(user, "unrouted-table").rows if "999" in r["reason"]]
    assert shown["account"] == "meta-demo" and shown["provider"] == "meta" and "<b>1</b>" in shown["payload"]
    await inbound.keep_unrouted(account, [Unrouted("A message lacks From.", "{}")])
    user.find(marker="unrouted-refresh").click()
    await eventually(lambda: any(r["reason"] == "A message lacks From." for r in element(user, "unrouted-table").rows))


async def test_an_admin_manages_lists_permissions_fields_and_triggers(browsers: Browsers) -> None:
    lists = browsers.services.contact_admin
    principal = await browsers.principal("admin")
    user = await admin_on(browsers, "/admin/lists", "lists-table")
    assert "Customers" in rows(user, "lists-table", "name")

    await button_dialog(user, "lists-new", "list-save")
    element(user, "list-name").set_value("Customers")
    await click_and_see(user, "list-save", "There is a list named 'Customers' already.")
    element(user, "list-name").set_value("Partners")
    await click_and_see(user, "list-save", "List Partners saved.")
    await closes(user, "list-save")
    await row_dialog(user, "lists-table", "rename", {"name": "Partners"}, "list-save")
    element(user, "list-name").set_value("Partners EU")
    await click_and_see(user, "list-save", "List Partners EU saved.")
    await closes(user, "list-save")
    await eventually(lambda: "Partners EU" in rows(user, "lists-table", "name"))
    assert [row["name"] for row in await lists.lists(principal)] == ["Customers", "Partners EU"]

    await row_dialog(user, "lists-table", "open", {"name": "Partners EU"}, "list-permissions")
    assert rows(user, "list-permissions", "user")["agent2"] == {
        "user": "agent2", "full_name": rows(user, "list-permissions", "user")["agent2"]["full_name"],
        "role": "agent", "view": False, "add": False, "edit": False}
    assert "admin" not in rows(user, "list-permissions", "user")  # admins may every list anyway
    permissions = user.find(marker="list-permissions")
    permissions.trigger("right", {"user": "agent2", "right": "add", "value": True})
    await eventually(lambda: user.notify.contains("Adding to or editing a list needs viewing it: set view too."))
    assert not await ListPermission.filter(user__username="agent2", list__name="Partners EU").exists()
    permissions.trigger("right", {"user": "agent2", "right": "view", "value": True})
    await eventually(lambda: rows(user, "list-permissions", "user")["agent2"]["view"])
    permissions.trigger("right", {"user": "agent2", "right": "add", "value": True})
    await eventually(lambda: rows(user, "list-permissions", "user")["agent2"]["add"])
    assert await lists.permissions(principal, "Partners EU") == [
        {"user": "agent2", "view": True, "add": True, "edit": False}]

    await button_dialog(user, "field-new", "field-save")
    element(user, "field-name").set_value("tier")
    element(user, "field-label").set_value("Tier")
    element(user, "field-kind").set_value("choice")
    await click_and_see(user, "field-save", "choices: a list of 1-100 non-empty texts")
    assert await lists.fields(principal, "Partners EU") == []
    element(user, "field-choices").set_value("gold, silver")
    await click_and_see(user, "field-save", "Field tier saved.")
    await closes(user, "field-save")
    [field] = await lists.fields(principal, "Partners EU")
    assert (field["name"], field["label"], field["kind"], field["choices"]) == ("tier", "Tier", "choice",
                                                                                 ["gold", "silver"])
    await eventually(lambda: rows(user, "list-fields", "name").get("tier", {}).get("choices") == "gold, silver")
    await row_dialog(user, "list-fields", "edit", {"id": field["id"]}, "field-save")
    element(user, "field-choices").set_value("gold, silver, bronze")
    await click_and_see(user, "field-save", "Field tier saved.")
    await closes(user, "field-save")
    assert (await lists.fields(principal, "Partners EU"))[0]["choices"] == ["gold", "silver", "bronze"]
    await row_dialog(user, "list-fields", "delete", {"id": field["id"]}, "field-delete-confirm")
    await click_and_see(user, "field-delete-confirm", "Field tier deleted.")
    await closes(user, "field-delete-confirm")
    assert await lists.fields(principal, "Partners EU") == []

    element(user, "trigger-list").set_value("Partners EU")
    await click_and_see(user, "trigger-save", "Name the account.")  # no entry point chosen
    element(user, "trigger-entry").set_value("queue:WhatsAppConn1")
    await click_and_see(user, "trigger-save", "New contacts of Queue WhatsAppConn1 go to the list Partners EU.")
    triggers = await lists.triggers(principal)
    assert {"queue": "WhatsAppConn1", "list": "Partners EU", "account": None} in [
        {k: t[k] for k in ("queue", "list", "account")} for t in triggers]
    await eventually(lambda: any(r["entry"] == "Queue WhatsAppConn1" for r in element(user, "triggers-table").rows))
    [queue_trigger] = [t for t in triggers if t["queue"] == "WhatsAppConn1"]
    await row_dialog(user, "triggers-table", "delete", {"id": queue_trigger["id"]}, "trigger-delete-confirm")
    assert [t for t in await lists.triggers(principal) if t["queue"]], "removed before it was confirmed"
    await click_and_see(user, "trigger-delete-confirm", "Trigger removed.")
    await closes(user, "trigger-delete-confirm")
    assert [t for t in await lists.triggers(principal) if t["queue"]] == []

    customers = await ContactList.get(name="Customers")
    await Contact.create(list_id=customers.id, first_name="Kept")
    await row_dialog(user, "lists-table", "delete", {"name": "Customers"}, "list-delete-confirm")
    await click_and_see(user, "list-delete-confirm", "The list 'Customers' holds 1 contacts")
    assert await ContactList.filter(name="Customers").exists()
    [dialog] = [e for e in element(user, "list-delete-confirm").ancestors() if isinstance(e, ui.dialog)]
    dialog.close()
    await closes(user, "list-delete-confirm")
    await row_dialog(user, "lists-table", "delete", {"name": "Partners EU"}, "list-delete-confirm")
    await click_and_see(user, "list-delete-confirm", "List Partners EU deleted.")
    await eventually(lambda: "Partners EU" not in rows(user, "lists-table", "name"))
    await user.should_not_see(marker="list-opened")
    assert not await ContactList.filter(name="Partners EU").exists()


# --- catalog ---------------------------------------------------------------------------------------
async def test_an_admin_manages_tags_dispositions_and_canned_answers(browsers: Browsers) -> None:
    tags, catalog = browsers.services.contact_admin, browsers.services.catalog_admin
    principal = await browsers.principal("admin")
    user = await admin_on(browsers, "/admin/catalog", "tags-table")
    assert rows(user, "tags-table", "name")["VIP"]["color"] == "#d32f2f"

    await button_dialog(user, "tag-new", "tag-save")
    element(user, "tag-name").set_value("Urgent")
    element(user, "tag-color").set_value("red")
    await click_and_see(user, "tag-save", "color must be a hex color such as #1976d2.")
    assert "Urgent" not in [t["name"] for t in await tags.tags(principal)]
    element(user, "tag-color").set_value("#FF0000")
    await click_and_see(user, "tag-save", "Tag Urgent saved.")
    await closes(user, "tag-save")
    await row_dialog(user, "tags-table", "edit", {"name": "Urgent"}, "tag-save")
    element(user, "tag-color").set_value("#00aa00")
    await click_and_see(user, "tag-save", "Tag Urgent saved.")
    await closes(user, "tag-save")
    assert {"name": "Urgent", "color": "#00aa00"} in [{k: t[k] for k in ("name", "color")}
                                                      for t in await tags.tags(principal)]
    await row_dialog(user, "tags-table", "delete", {"name": "Urgent"}, "tag-delete-confirm")
    await click_and_see(user, "tag-delete-confirm", "Tag Urgent deleted.")
    await closes(user, "tag-delete-confirm")
    assert "Urgent" not in [t["name"] for t in await tags.tags(principal)]

    await button_dialog(user, "disposition-new", "disposition-save")
    element(user, "disposition-name").set_value("Spam")
    await click_and_see(user, "disposition-save", "There is a disposition named 'Spam' already.")
    element(user, "disposition-name").set_value("Call back")
    await click_and_see(user, "disposition-save", "Disposition Call back saved.")
    await closes(user, "disposition-save")
    await row_dialog(user, "dispositions-table", "edit", {"name": "Call back"}, "disposition-save")
    element(user, "disposition-name").set_value("Call back later")
    await click_and_see(user, "disposition-save", "Disposition Call back later saved.")
    await closes(user, "disposition-save")
    await eventually(lambda: "Call back later" in rows(user, "dispositions-table", "name"))
    names = [d["name"] for d in await catalog.list_dispositions(principal)]
    assert "Call back later" in names and "Call back" not in names
    await row_dialog(user, "dispositions-table", "delete", {"name": "Call back later"}, "disposition-delete-confirm")
    await click_and_see(user, "disposition-delete-confirm", "Disposition Call back later deleted.")
    await closes(user, "disposition-delete-confirm")
    assert "Call back later" not in [d["name"] for d in await catalog.list_dispositions(principal)]

    await button_dialog(user, "canned-new", "canned-save")
    element(user, "canned-name").set_value("Opening hours")
    element(user, "canned-body").set_value("Hi {nickname}, we open at 9.")
    await click_and_see(user, "canned-save", "Unknown placeholder(s): {nickname}")
    assert "Opening hours" not in [c["name"] for c in await catalog.list_canned(principal)]
    element(user, "canned-body").set_value("Hi {first_name}, we open at 9.")
    await click_and_see(user, "canned-save", "Canned answer Opening hours saved.")
    await closes(user, "canned-save")
    await row_dialog(user, "canned-table", "edit", {"name": "Opening hours"}, "canned-save")
    element(user, "canned-body").set_value("Hi {first_name}, we open at 8.")
    await click_and_see(user, "canned-save", "Canned answer Opening hours saved.")
    await closes(user, "canned-save")
    assert {"name": "Opening hours", "body": "Hi {first_name}, we open at 8."} in [
        {k: c[k] for k in ("name", "body")} for c in await catalog.list_canned(principal)]
    await eventually(lambda: rows(user, "canned-table", "name")["Opening hours"]["preview"] ==
                     "Hi {first_name}, we open at 8.")
    await row_dialog(user, "canned-table", "delete", {"name": "Opening hours"}, "canned-delete-confirm")
    await click_and_see(user, "canned-delete-confirm", "Canned answer Opening hours deleted.")
    assert "Opening hours" not in [c["name"] for c in await catalog.list_canned(principal)]


async def test_the_desk_menu_leads_admins_to_administration_and_the_board(browsers: Browsers) -> None:
    admin = await browsers.signed_in("admin", await browsers.new())
    admin.find(marker="user-menu").click()
    await admin.should_see(marker="to-admin", retries=WAIT_RETRIES)
    await admin.should_see(marker="to-supervisor")
    admin.find(marker="to-admin").click()
    await admin.should_see(marker="users-table", retries=WAIT_RETRIES)

    supervisor = await browsers.signed_in("supervisor", await browsers.new())
    supervisor.find(marker="user-menu").click()
    await supervisor.should_see(marker="to-supervisor", retries=WAIT_RETRIES)
    await supervisor.should_not_see(marker="to-admin")

    agent = await browsers.signed_in("agent1", await browsers.new())
    agent.find(marker="user-menu").click()
    await agent.should_see(marker="to-contacts", retries=WAIT_RETRIES)
    await agent.should_not_see(marker="to-supervisor")
    await agent.should_not_see(marker="to-admin")
