"""The desk's "+" (SPEC T4) and the reply window in the composer (T1, T2), through NiceGUI's simulated user:
a new conversation opened with a template or free text as the case allows, the composer switching to
templates the second the window closes, the recontact template, and the customer's reply reopening it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from server.persistence.models import ContactList, Interaction, Message
from tests.ui.conftest import WAIT_RETRIES, Browsers, element, eventually, go_online, new_phone, receive


def recontact_button(user):
    """Found even while hidden (the simulated user finds only what is visible)."""
    return next(e for e in user.current_layout.descendants() if "recontact" in getattr(e, "_markers", []))


async def test_a_new_conversation_to_an_unknown_number_starts_with_a_template(browsers: Browsers) -> None:
    user = await browsers.signed_in("agent1")
    await go_online(browsers, user, "agent1")
    user.find(marker="new-conversation").click()
    await user.should_see(marker="outbound-phone", retries=WAIT_RETRIES)
    element(user, "outbound-account").set_value("meta-demo")
    phone = new_phone()
    element(user, "outbound-phone").set_value(phone.replace("+39", "+39 "))
    user.find(marker="outbound-check").click()
    await user.should_see("This number is not a contact yet: start with a template.", retries=WAIT_RETRIES)
    element(user, "template-choice").set_value("order_update")
    first, second = sorted(user.find(marker="template-variable").elements, key=lambda e: e.id)
    first.set_value("Nora")
    second.set_value("A-77")
    await eventually(lambda: element(user, "template-preview").text == "Hi Nora, your order A-77 is on its way.")
    user.find(marker="outbound-send").click()
    async def opened() -> Interaction | None:
        return await Interaction.get_or_none(customer_phone=phone)

    interaction = await eventually(opened)
    await user.should_see(marker=f"tab-{interaction.id}", retries=WAIT_RETRIES)
    await user.should_see("Hi Nora, your order A-77 is on its way.", retries=WAIT_RETRIES)  # the tab is shown
    assert (await Interaction.get(id=interaction.id).prefetch_related("owner")).owner.username == "agent1"


async def test_a_known_customer_in_the_window_gets_free_text(browsers: Browsers) -> None:
    user = await browsers.signed_in("agent2")
    await go_online(browsers, user, "agent2")
    phone = new_phone()
    earlier = await receive(browsers, phone, "hello there", "Piero Nava")
    agent = await browsers.principal("agent2")
    await eventually(lambda: browsers.services.agents.offers(agent))
    await browsers.services.agents.accept(agent, earlier)
    await browsers.services.interactions.close(agent, earlier)
    await eventually(lambda: Interaction.exists(id=earlier, status="closed"))
    await _check_in_dialog(user, phone)
    await user.should_see("The customer's window is open: write freely.", retries=WAIT_RETRIES)
    element(user, "outbound-text").set_value("We found your parcel!")
    user.find(marker="outbound-send").click()
    await eventually(lambda: Message.exists(text="We found your parcel!", direction="out"))


async def test_the_composer_switches_to_templates_when_the_window_closes_and_a_reply_reopens_it(
        browsers: Browsers) -> None:
    user = await browsers.signed_in("agent3")
    await go_online(browsers, user, "agent3")
    phone = new_phone()
    interaction_id = await receive(browsers, phone, "is anyone there?", "Lia Conte", account="meta-demo")
    await user.should_see(marker="accept", retries=WAIT_RETRIES)
    user.find(marker="accept").click()
    await user.should_see(marker=f"tab-{interaction_id}", retries=WAIT_RETRIES)
    almost = datetime.now(timezone.utc) - timedelta(hours=24) + timedelta(seconds=3)
    await Interaction.filter(id=interaction_id).update(last_inbound_at=almost)
    await user.open("/")  # the desk again, reading the window that closes in 3 s
    await user.should_see(marker="composer", retries=WAIT_RETRIES)
    assert element(user, "composer").enabled and not recontact_button(user).visible
    await eventually(lambda: not element(user, "composer").enabled, timeout=8)  # closed, no reload
    assert "reply window has closed" in element(user, "window").text and recontact_button(user).visible
    user.find(marker="recontact").click()
    await eventually(lambda: Message.exists(interaction_id=interaction_id, sender="System", kind="template"))
    await receive(browsers, phone, "yes, still here", "Lia Conte", account="meta-demo")
    await eventually(lambda: element(user, "composer").enabled)  # the customer wrote: the window is open again
    assert not recontact_button(user).visible and "closes in 23 h" in element(user, "window").text


async def test_a_contact_in_a_list_the_agent_may_not_see_is_no_contact_to_them(browsers: Browsers) -> None:
    admin = await browsers.principal("admin")
    hidden, phone = f"Hidden {new_phone()}", new_phone()
    await ContactList.create(name=hidden)
    await browsers.services.contacts.create(admin, {"list": hidden, "first_name": "Secret", "phones": [phone]})
    user = await browsers.signed_in("agent4")
    await go_online(browsers, user, "agent4")
    await _check_in_dialog(user, phone)
    await user.should_see("This number is not a contact yet: start with a template.", retries=WAIT_RETRIES)


async def _check_in_dialog(user, phone: str) -> None:
    """The desk's "+": the sandbox account and `phone` checked for what may be sent."""
    user.find(marker="new-conversation").click()
    await user.should_see(marker="outbound-phone", retries=WAIT_RETRIES)
    element(user, "outbound-account").set_value("sandbox")
    element(user, "outbound-phone").set_value(phone)
    user.find(marker="outbound-check").click()
