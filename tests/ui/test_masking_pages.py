"""Masking on every page a masked agent opens (SPEC C8): the desk with its offer, conversation, contact card,
details and journey; the Interactions list and an opened row; the Contacts list and an opened contact.
None of them carries the customer's number (in any form), email or name, in any text, value or property."""
from __future__ import annotations

from server.persistence.models import Contact
from tests.ui.conftest import WAIT_RETRIES, Browsers, element, everything_shown, go_online, new_phone, receive


def secrets_of(phone: str) -> list[str]:
    return [phone, phone.lstrip("+"), phone[3:], f"{phone[3:6]} {phone[6:9]}", "Ottavia", "Lanza",
            "ottavia.lanza", "OTTAVIA"]


def assert_masked(user, phone: str, where: str) -> None:
    shown = everything_shown(user)
    leaked = [secret for secret in secrets_of(phone) if secret in shown]
    assert not leaked, f"{where} shows {leaked}"


async def test_a_masked_agent_sees_no_number_email_or_name_on_any_page(browsers: Browsers) -> None:
    services = browsers.services
    await services.settings.update({"masking": {"phone": "full", "email": "full", "name": "full"}})
    phone = new_phone()
    admin = await browsers.principal("admin")
    saved = await services.contacts.create(admin, {"list": "Customers", "first_name": "Ottavia", "last_name": "Lanza",
                                                   "email": "ottavia.lanza@example.com", "phones": [phone],
                                                   "company": "Viaggi Sereni", "notes": (
                                                       f"Ottavia Lanza: call {phone[:3]} {phone[3:6]} {phone[6:9]} "
                                                       f"{phone[9:]} or ottavia.lanza@example.com")})
    desk = await browsers.signed_in("agent1")
    await go_online(browsers, desk, "agent1")
    interaction_id = await receive(browsers, phone, "Hello, it's Ottavia Lanza, call me on " + phone, "Ottavia Lanza")
    await desk.should_see(marker="accept", retries=WAIT_RETRIES)
    assert_masked(desk, phone, "the offer")
    desk.find(marker="accept").click()
    await desk.should_see(marker=f"tab-{interaction_id}", retries=WAIT_RETRIES)
    await desk.should_see("Viaggi Sereni", retries=WAIT_RETRIES)  # the contact card, linked by the number
    assert (await Contact.get(id=saved["id"])).id == (await services.interactions.get(admin, interaction_id))[
        "contact"]["id"]
    assert_masked(desk, phone, "the conversation and its contact card")
    for tab, shown in (("details", "Routing history"), ("journey", "This conversation")):
        element(desk, "sidebar-tabs").set_value(tab)
        await desk.should_see(shown, retries=WAIT_RETRIES)
        assert_masked(desk, phone, f"the sidebar's {tab} tab")

    listing = await browsers.signed_in("agent1", await browsers.new())
    await listing.open(f"/interactions?open={interaction_id}")
    await listing.should_see("Routing history", retries=WAIT_RETRIES)
    assert_masked(listing, phone, "the Interactions page with the row opened")

    contacts = await browsers.signed_in("agent1", await browsers.new())
    await contacts.open(f"/contacts/{saved['id']}")
    await contacts.should_see("Viaggi Sereni", retries=WAIT_RETRIES)
    assert_masked(contacts, phone, "the Contacts page with the contact opened")
    assert element(contacts, f"contact-{saved['id']}-notes").props.get("readonly")  # edited masked, they'd be lost
    supervisor = await browsers.signed_in("supervisor", await browsers.new())
    await supervisor.open(f"/contacts/{saved['id']}")
    await supervisor.should_see("Viaggi Sereni", retries=WAIT_RETRIES)
    assert "ottavia.lanza@example.com" in everything_shown(supervisor)  # the check finds what is there
