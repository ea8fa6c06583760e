"""The Templates page through NiceGUI's simulated user (SPEC T3): an administrator creates a template with
its live preview, edits, deletes, links a Twilio Content SID and syncs from Meta; the header links to it for
administrators only; anyone else is told it is for administrators. Meta is a loopback fake of its Graph API."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from nicegui import ui
from nicegui.testing.user_interaction import UserInteraction

from server.persistence.models import Account, AuditEntry, Template
from server.ui.templates_page import FORBIDDEN
from tests.connectors.fake_meta_templates import FakeTemplateGraph, meta_template
from tests.ui.conftest import WAIT_RETRIES, Browsers, element, eventually

SID = "HX" + "0123456789abcdef" * 2


async def templates(browsers: Browsers, username: str = "admin"):
    user = await browsers.signed_in(username, await browsers.new())
    await user.open("/admin/templates")
    return user


def rows(user) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in element(user, "templates-table").rows}


async def dialog_closes(user, marker: str, closing: bool = False) -> None:
    """The dialog holding `marker` closes (or, `closing`, is closed as by a click outside it); then the
    browser reports it hidden, which removes it."""
    [dialog] = [e for e in element(user, marker).ancestors() if isinstance(e, ui.dialog)]
    if closing:
        dialog.close()
    await eventually(lambda: not dialog.value)
    UserInteraction(user, {dialog}, None).trigger("hide")
    await user.should_not_see(marker=marker)


async def test_a_template_is_created_with_a_live_preview(browsers: Browsers) -> None:
    user = await templates(browsers)
    await user.should_see(marker="templates-table", retries=WAIT_RETRIES)
    assert "order_update" in rows(user)  # the demo's
    user.find(marker="templates-new").click()
    await user.should_see(marker="template-save", retries=WAIT_RETRIES)
    element(user, "template-name").set_value("delivery_note")
    element(user, "template-header").set_value("Your delivery")
    user.find(marker="template-body").type("Hi {{1}}, your parcel {{2}} ")
    user.find(marker="template-body").type("arrives today.")
    element(user, "template-footer").set_value("Reply STOP to opt out")
    element(user, "template-button-1").set_value("Thanks")
    await user.should_see(marker="template-sample-2")
    assert element(user, "template-preview").text == "Hi {{1}}, your parcel {{2}} arrives today."
    user.find(marker="template-sample-1").type("Ann")
    await eventually(lambda: element(user, "template-preview").text == "Hi Ann, your parcel {{2}} arrives today.")
    user.find(marker="template-sample-2").type("P-42")
    await eventually(lambda: element(user, "template-preview").text == "Hi Ann, your parcel P-42 arrives today.")
    assert element(user, "template-preview-header").text == "Your delivery"
    assert element(user, "template-preview-footer").text == "Reply STOP to opt out"
    await user.should_see("Thanks")

    element(user, "template-body").set_value("Hi {{1}}")  # a variable gone: its sample goes, the other stays
    await user.should_not_see(marker="template-sample-2")
    assert element(user, "template-sample-1").value == "Ann"
    assert element(user, "template-preview").text == "Hi Ann"

    element(user, "template-body").set_value("Hi {{2}}")
    user.find(marker="template-save").click()
    await eventually(lambda: user.notify.contains("body: variables are numbered {{1}}, {{2}}, ... without gaps "
                                                  "({{1}} is missing)."))
    assert element(user, "template-name").value == "delivery_note"  # the dialog stays, with what was typed
    element(user, "template-body").set_value("Hi {{1}}, your parcel {{2}} arrives today.")
    user.find(marker="template-save").click()
    await eventually(lambda: user.notify.contains("Template delivery_note saved."))
    await dialog_closes(user, "template-save")
    await eventually(lambda: "delivery_note" in rows(user))
    saved = await Template.get(name="delivery_note")
    assert (saved.header, saved.body, saved.footer, saved.buttons, saved.available_for_agents) == (
        "Your delivery", "Hi {{1}}, your parcel {{2}} arrives today.", "Reply STOP to opt out", ["Thanks"], True)
    assert await AuditEntry.filter(action="template.create", target="template delivery_note").exists()


async def test_a_template_is_edited_and_only_what_changed_is_saved(browsers: Browsers) -> None:
    user = await templates(browsers)
    await user.should_see(marker="templates-table", retries=WAIT_RETRIES)
    order = await Template.get(name="order_update")
    user.find(marker="templates-table").trigger("edit", {"id": order.id})
    await user.should_see(marker="template-save", retries=WAIT_RETRIES)
    assert element(user, "template-body").value == order.body
    user.find(marker="template-save").click()
    await eventually(lambda: user.notify.contains("Nothing to save."))
    element(user, "template-footer").set_value("The shop team")
    element(user, "template-agents").set_value(False)
    user.find(marker="template-save").click()
    await eventually(lambda: user.notify.contains("Template order_update saved."))
    await eventually(lambda: rows(user)["order_update"]["agents"] == "No")
    [entry] = await AuditEntry.filter(action="template.update", target="template order_update")
    changed = {key for key in entry.after if entry.after[key] != entry.before[key]}
    assert changed == {"footer", "available_for_agents"}


async def test_a_template_is_deleted_unless_an_account_recontacts_with_it(browsers: Browsers) -> None:
    doomed = await Template.create(name="doomed", body="Bye")
    user = await templates(browsers)
    await user.should_see(marker="templates-table", retries=WAIT_RETRIES)
    recontact = await Template.get(name="recontact")
    user.find(marker="templates-table").trigger("delete", {"id": recontact.id})
    await user.should_see(marker="template-delete-confirm", retries=WAIT_RETRIES)
    user.find(marker="template-delete-confirm").click()
    await eventually(lambda: user.notify.contains("recontact template of"))
    assert await Template.filter(name="recontact").exists()
    await user.should_see(marker="template-delete-confirm")  # the dialog stays open

    await dialog_closes(user, "template-delete-confirm", closing=True)
    user.find(marker="templates-table").trigger("delete", {"id": doomed.id})
    await user.should_see(marker="template-delete-confirm", retries=WAIT_RETRIES)
    user.find(marker="template-delete-confirm").click()
    await eventually(lambda: user.notify.contains("Template doomed deleted."))
    await dialog_closes(user, "template-delete-confirm")
    await eventually(lambda: "doomed" not in rows(user))
    assert not await Template.filter(name="doomed").exists()


async def test_a_twilio_content_sid_is_set_through_its_dialog(browsers: Browsers) -> None:
    user = await templates(browsers)
    await user.should_see(marker="templates-table", retries=WAIT_RETRIES)
    order = await Template.get(name="order_update")
    user.find(marker="templates-table").trigger("sid", {"id": order.id})
    await user.should_see(marker="sid-save", retries=WAIT_RETRIES)
    assert element(user, "sid-account").value == "twilio-demo"
    element(user, "sid-value").set_value("HX12")
    user.find(marker="sid-save").click()
    await eventually(lambda: user.notify.contains("sid: a Twilio Content SID is HX followed by 32 hexadecimal digits."))
    element(user, "sid-value").set_value(SID)
    user.find(marker="sid-save").click()
    await eventually(lambda: user.notify.contains("Content SID of order_update on twilio-demo saved."))
    assert (await Template.get(id=order.id)).provider_ids["twilio-demo"] == SID
    await eventually(lambda: f"twilio-demo: {SID}" in rows(user)["order_update"]["accounts"])


async def test_sync_from_meta_explains_what_the_account_lacks(browsers: Browsers) -> None:
    user = await templates(browsers)
    await user.should_see(marker="templates-sync-meta-demo", retries=WAIT_RETRIES)
    user.find(marker="templates-sync-meta-demo").click()
    await eventually(lambda: user.notify.contains("The account 'meta-demo' has no WhatsApp Business Account id: set "
                                                  "waba_id in its credentials."))


async def test_only_administrators_open_the_page_or_see_its_link(browsers: Browsers) -> None:
    agent = await templates(browsers, "agent1")
    await agent.should_see(FORBIDDEN, retries=WAIT_RETRIES)
    await agent.should_not_see(marker="templates-table")
    await agent.should_not_see(marker="templates-new")
    await agent.open("/interactions")
    await agent.should_see(marker="list-table", retries=WAIT_RETRIES)
    await agent.should_not_see(marker="to-templates")
    supervisor = await templates(browsers, "supervisor")
    await supervisor.should_see(FORBIDDEN, retries=WAIT_RETRIES)

    admin = await browsers.signed_in("admin", await browsers.new())
    await admin.open("/contacts")
    await admin.should_see(marker="to-templates", retries=WAIT_RETRIES)
    await admin.open("/interactions")
    await admin.should_see(marker="to-templates", retries=WAIT_RETRIES)


async def test_signed_out_is_sent_to_sign_in(browsers: Browsers) -> None:
    user = await browsers.new()
    await user.open("/admin/templates")
    await user.should_see("Sign in")


@pytest.fixture
def graph() -> Iterator[FakeTemplateGraph]:
    fake = FakeTemplateGraph().start()
    yield fake
    fake.stop()


async def test_a_template_is_submitted_to_meta_with_examples_and_synced_back(browsers: Browsers,
                                                                              graph: FakeTemplateGraph) -> None:
    await Account.filter(key="meta-demo").update(api_base_url=graph.base, credentials={
        "waba_id": "WABA9", "access_token": "tk", "app_secret": "demo-app-secret"})
    user = await templates(browsers)
    await user.should_see(marker="templates-table", retries=WAIT_RETRIES)
    order = await Template.get(name="order_update")
    user.find(marker="templates-table").trigger("submit", {"id": order.id})
    await user.should_see(marker="submit-confirm", retries=WAIT_RETRIES)
    assert element(user, "submit-account").value == "meta-demo"
    user.find(marker="submit-example-1").type("Paola")
    await eventually(lambda: element(user, "template-preview").text.startswith("Hi Paola, your order {{2}}"))
    user.find(marker="submit-confirm").click()
    await eventually(lambda: user.notify.contains("examples: Meta reviews a template with an example for each of its "
                                                  "variables; send 2 one-line text(s), in order."))
    user.find(marker="submit-example-2").type("A-1742")
    user.find(marker="submit-confirm").click()
    await eventually(lambda: user.notify.contains("order_update submitted to Meta (meta-demo): PENDING."))
    [posted] = graph.requests
    assert posted["json"]["components"][0]["example"] == {"body_text": [["Paola", "A-1742"]]}
    await eventually(lambda: rows(user)["order_update"]["accounts"].startswith("meta-demo: PENDING"))

    graph.templates = [meta_template("order_update", order.body, language="en", template_id="100001"),
                       meta_template("photo_offer", "Look", extra=[{"type": "HEADER", "format": "IMAGE"}])]
    user.find(marker="templates-sync-meta-demo").click()
    await eventually(lambda: user.notify.contains("Synced from Meta (meta-demo): 1 updated, 0 created, 1 skipped, "
                                                  "0 removed."))
    await user.should_see(marker="templates-skipped", retries=WAIT_RETRIES)
    await user.should_see("photo_offer (en_US): its header is of type IMAGE; this desk sends text headers only.")
    await eventually(lambda: rows(user)["order_update"]["accounts"].startswith("meta-demo: APPROVED"))
