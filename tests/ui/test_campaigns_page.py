"""The Campaigns page through NiceGUI's simulated user (SPEC T5): an admin creates a campaign in the dialog
(the template's variables mapped to a contact field and a fixed text), starts it and watches the totals
arrive live; an agent is told the page is not theirs."""
from __future__ import annotations

from nicegui import ui

from server.persistence.models import Contact, ContactList, ContactPhone
from tests.ui.conftest import WAIT_RETRIES, Browsers, element, eventually, new_phone


async def test_an_admin_creates_starts_and_follows_a_campaign(browsers: Browsers) -> None:
    customers = await ContactList.get(name="Customers")
    for name in ("Carla", "Dario", "Elsa"):
        contact = await Contact.create(list=customers, first_name=name)
        await ContactPhone.create(contact=contact, phone=new_phone())
    await Contact.create(list=customers, first_name="Nonumber")

    admin = await browsers.signed_in("admin")
    await admin.open("/admin/campaigns")
    admin.find(marker="campaign-new").click()
    await admin.should_see(marker="campaign-create", retries=WAIT_RETRIES)
    element(admin, "campaign-name-input").set_value("Winter sale")
    element(admin, "campaign-list").set_value("Customers")
    element(admin, "campaign-account").set_value("sandbox")
    element(admin, "campaign-template").set_value("order_update")
    await admin.should_see(marker="campaign-var-2", retries=WAIT_RETRIES)
    element(admin, "campaign-var-2").set_value("text:")
    element(admin, "campaign-text-2").set_value("A-42")
    element(admin, "campaign-rate").set_value(50)
    admin.find(marker="campaign-create").click()

    await admin.should_see(marker="campaign-start", retries=WAIT_RETRIES)
    assert element(admin, "campaign-name").text == "Winter sale"
    assert element(admin, "campaign-state").text == "draft"
    admin.find(marker="campaign-start").click()
    await eventually(lambda: element(admin, "campaign-state").text == "finished", timeout=10)
    await eventually(lambda: element(admin, "total-sent").text == "3")
    assert element(admin, "total-skipped").text == "1" and element(admin, "total-pending").text == "0"
    # The totals are drawn from the event itself; the two tables reload from the service after it.
    await eventually(lambda: {r["name"]: r["state"] for r in element(admin, "recipient-table").rows} == {
        "Carla": "sent", "Dario": "sent", "Elsa": "sent", "Nonumber": "skipped"})
    await eventually(lambda: element(admin, "campaign-table").rows[0]["state"] == "finished")
    [campaign] = element(admin, "campaign-table").rows
    assert campaign["progress"] == "3 / 4"
    principal = await browsers.principal("admin")
    view = await browsers.services.campaigns.get(principal, campaign["id"])
    assert view["variables"] == ["first_name", "text:A-42"]


async def test_a_campaign_with_an_unmapped_field_is_refused_with_a_notice(browsers: Browsers) -> None:
    admin = await browsers.signed_in("admin")
    await admin.open("/admin/campaigns")
    admin.find(marker="campaign-new").click()
    await admin.should_see(marker="campaign-create", retries=WAIT_RETRIES)
    element(admin, "campaign-name-input").set_value("Empty")
    element(admin, "campaign-list").set_value("Customers")
    element(admin, "campaign-account").set_value("sandbox")
    element(admin, "campaign-template").set_value("order_update")
    await admin.should_see(marker="campaign-var-2", retries=WAIT_RETRIES)
    element(admin, "campaign-var-2").set_value("text:")  # and no text
    admin.find(marker="campaign-create").click()
    await admin.should_see("a fixed text must be one line", retries=WAIT_RETRIES)
    assert element(admin, "campaign-table").rows == []


async def test_an_agent_is_told_campaigns_are_for_admins(browsers: Browsers) -> None:
    agent = await browsers.signed_in("agent1")
    await agent.open("/admin/campaigns")
    await agent.should_see("Only administrators run campaigns.")
    assert not [e for e in agent.current_layout.descendants() if isinstance(e, ui.table)]
