"""The customer simulator page and the composer's rules, through NiceGUI's simulated user (SPEC W6, D6, T1)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from nicegui import ui
from nicegui.elements.upload_files import SmallFileUpload

from server.errors import Forbidden, Invalid, NotFound
from server.persistence.models import Contact, ContactList, ContactTrigger, Interaction, ListPermission
from server.persistence.queries import InteractionFilter
from server.services import contact_card
from tests.ui.conftest import WAIT_RETRIES, Browsers, accepted, element, eventually, go_online, new_phone, receive


async def test_the_simulator_talks_to_the_agent_and_never_shows_a_note(browsers: Browsers) -> None:
    agent = await browsers.signed_in("agent1")
    await go_online(browsers, agent, "agent1")
    customer = await browsers.new()
    await customer.open("/simulator")
    await customer.should_see("Sign in")  # the simulator needs a signed-in administrator
    await browsers.signed_in("admin", customer)
    await customer.open("/simulator")
    await customer.should_see("Customer simulator", retries=WAIT_RETRIES)
    customer.find(marker="sim-text").type("Hi, I would like to change my booking")
    customer.find(marker="sim-send").click()
    await customer.should_see(marker="sim-in", retries=WAIT_RETRIES)
    await agent.should_see(marker="accept", retries=WAIT_RETRIES)
    agent.find(marker="accept").click()
    await agent.should_see(marker="composer", retries=WAIT_RETRIES)
    agent.find(marker="composer").type("Of course: to which date?")
    agent.find(marker="send").click()
    await agent.should_see(marker="message-out", retries=WAIT_RETRIES)
    agent.find(marker="note-switch").click()
    agent.find(marker="composer").type("secret remark")
    agent.find(marker="send").click()
    await customer.should_see("Of course: to which date?", retries=WAIT_RETRIES)
    await agent.should_see(marker="message-note", retries=WAIT_RETRIES)
    await customer.should_not_see("secret remark")

    supervisor = await browsers.principal("supervisor")
    [interaction] = (await browsers.services.interactions.list(supervisor, _all()))[0][:1]

    async def agent_message_status() -> str:
        messages = await browsers.services.interactions.messages(supervisor, interaction["id"])
        return next(m["status"] for m in messages if m["direction"] == "out")

    assert await eventually(lambda: _is(agent_message_status, "delivered"))
    customer.find(marker="sim-text").type("the 3rd of December")  # typing: the customer has read it
    customer.find(marker="sim-send").click()
    assert await eventually(lambda: _is(agent_message_status, "read"))
    await agent.should_see("the 3rd of December", retries=WAIT_RETRIES)


async def test_the_simulator_is_for_administrators_while_it_is_switched_on(browsers: Browsers) -> None:
    """An agent on /simulator could read and write any sandbox customer's conversation: only administrators
    get the phone, and nobody while the setting is off."""
    for username in ("agent1", "supervisor"):
        player = await browsers.signed_in(username)
        await player.open("/simulator")
        await player.should_see("Only administrators can use the customer simulator.", retries=WAIT_RETRIES)
        await player.should_not_see(marker="sim-send")
    admin = await browsers.principal("admin")
    await browsers.services.admin.update_settings(admin, {"simulator": {"enabled": False}})
    player = await browsers.signed_in("admin")
    await player.open("/simulator")
    await player.should_see("The customer simulator is switched off", retries=WAIT_RETRIES)
    await player.should_not_see(marker="sim-send")
    await player.open("/")
    await player.should_see(marker="user-menu", retries=WAIT_RETRIES)
    player.find(marker="user-menu").click()
    await player.should_see(marker="logout", retries=WAIT_RETRIES)
    await player.should_not_see("Customer simulator")  # the menu offers it only while it is on
    await browsers.services.admin.update_settings(admin, {"simulator": {"enabled": True}})
    await player.open("/simulator")
    await player.should_see(marker="sim-send", retries=WAIT_RETRIES)


async def _is(status, expected: str) -> bool:
    return await status() == expected


def _all() -> InteractionFilter:
    return InteractionFilter(status="open")


async def test_once_the_window_closed_free_text_is_off_and_a_template_still_goes(browsers: Browsers) -> None:
    user = await browsers.signed_in("agent2")
    await go_online(browsers, user, "agent2")
    phone = new_phone()
    interaction_id = await receive(browsers, phone, "hello from Meta", account="meta-demo")
    await Interaction.filter(id=interaction_id).update(
        last_inbound_at=datetime.now(timezone.utc) - timedelta(hours=25))
    await user.should_see(marker="accept", retries=WAIT_RETRIES)
    user.find(marker="accept").click()
    await user.should_see(marker="window", retries=WAIT_RETRIES)
    assert "window has closed" in element(user, "window").text
    assert not element(user, "composer").enabled and not element(user, "send").enabled
    user.find(marker="template").click()
    await user.should_see(marker="template-send", retries=WAIT_RETRIES)
    for field in user.find(kind=ui.input, marker="template-variable").elements:
        field.set_value("Ada")
    user.find(marker="template-send").click()
    principal = await browsers.principal("agent2")

    async def template_sent() -> bool:
        messages = await browsers.services.interactions.messages(principal, interaction_id)
        return any(m["kind"] == "template" for m in messages)

    await eventually(template_sent)


async def test_the_customer_is_saved_as_a_contact_and_edited_from_the_sidebar(browsers: Browsers) -> None:
    await ContactTrigger.all().delete()  # without one, the customer is saved by hand
    user = await browsers.signed_in("agent4")
    await go_online(browsers, user, "agent4")
    phone = new_phone()
    interaction_id = await accepted(browsers, user, phone, "hello", "Lucia Maria Gallo")
    await user.should_see("Not saved in a contact list yet.", retries=WAIT_RETRIES)
    user.find(marker="contact-new").click()
    await user.should_see(marker="contact-first_name", retries=WAIT_RETRIES)
    assert element(user, "contact-first_name").value == "Lucia Maria"  # the last word is the last name
    assert element(user, "contact-last_name").value == "Gallo"
    element(user, "contact-email").set_value("not-an-email")
    user.find(marker="contact-save").click()
    await eventually(lambda: user.notify.contains("'not-an-email' is not a valid email address."))
    element(user, "contact-email").set_value("lucia@example.com")
    user.find(marker="contact-save").click()
    await eventually(lambda: Contact.exists(first_name="Lucia Maria"))
    await user.should_see(marker="contact-edit", retries=WAIT_RETRIES)
    contact = await Contact.get(first_name="Lucia Maria").prefetch_related("phones", "list")
    assert contact.list.name == "Customers" and [p.phone for p in contact.phones] == [phone]
    assert (contact.last_name, contact.email) == ("Gallo", "lucia@example.com")
    assert (await Interaction.get(id=interaction_id)).contact_id == contact.id
    user.find(marker="contact-edit").click()
    await user.should_see(marker="contact-save", retries=WAIT_RETRIES)
    user.find(marker="contact-save").click()
    await eventually(lambda: user.notify.contains("Nothing to save."))
    element(user, "contact-company").set_value("Gallo & Figli")
    user.find(marker="contact-save").click()
    await eventually(lambda: Contact.exists(company="Gallo & Figli"))
    await user.should_see(marker="contact-edit", retries=WAIT_RETRIES)


async def test_contacts_follow_list_permissions_and_masking(browsers: Browsers) -> None:
    services = browsers.services
    await ContactTrigger.all().delete()
    agent = await browsers.principal("agent5")
    await services.agents.set_state(agent, "online", None)
    interaction_id = await receive(browsers, new_phone(), "hi", "Nina Costa")
    await eventually(lambda: services.agents.offers(agent))
    await services.agents.accept(agent, interaction_id)
    private = await ContactList.create(name="Private")
    with pytest.raises(Invalid):  # a list the agent may not see is no list for them
        await contact_card.save(services.contacts, agent, interaction_id, {"first_name": "Nina"}, "Private")
    card = await contact_card.save(services.contacts, agent, interaction_id, {"first_name": "Nina"}, "Customers")
    await Contact.filter(id=card["contact"]["id"]).update(list_id=private.id)
    with pytest.raises(NotFound):  # no right on that list: to this agent, no such contact
        await contact_card.save(services.contacts, agent, interaction_id, {"company": "X"})
    hidden = await contact_card.card(services.contacts, agent, interaction_id)
    assert hidden["contact"] is None and hidden["saved"] and not hidden["can_edit"]  # not even seen
    await ListPermission.create(list=private, user_id=agent.id, can_view=True, can_add=False, can_edit=False)
    seen = await contact_card.card(services.contacts, agent, interaction_id)
    assert seen["contact"]["first_name"] == "Nina" and not seen["can_edit"]
    with pytest.raises(Forbidden):  # seen, not editable
        await contact_card.save(services.contacts, agent, interaction_id, {"company": "X"})
    await Contact.filter(id=card["contact"]["id"]).update(list_id=(await ContactList.get(name="Customers")).id)
    await services.settings.update({"masking": {"name": "full", "phone": "partial", "email": "none"}})
    masked = await contact_card.card(services.contacts, agent, interaction_id)
    assert masked["contact"]["first_name"] == "•••" and "•••" in masked["contact"]["phones"][0]
    with pytest.raises(Forbidden):  # a hidden field cannot be overwritten blind
        await contact_card.save(services.contacts, agent, interaction_id, {"first_name": "Someone"})
    await contact_card.save(services.contacts, agent, interaction_id, {"company": "Costa SpA"})
    supervisor = await browsers.principal("supervisor")
    assert (await contact_card.card(services.contacts, supervisor, interaction_id))["contact"]["first_name"] == "Nina"


async def test_an_attachment_goes_out_with_the_typed_caption_and_a_refused_one_says_why(browsers: Browsers) -> None:
    user = await browsers.signed_in("agent1")
    await go_online(browsers, user, "agent1")
    interaction_id = await accepted(browsers, user, new_phone(), "send me the invoice")
    [upload] = user.find(kind=ui.upload).elements
    user.find(marker="composer").type("Here is your invoice")
    with user:
        await upload.handle_uploads([SmallFileUpload("invoice.pdf", "application/pdf", b"%PDF-1.4 invoice")])
    principal = await browsers.principal("agent1")

    async def sent() -> dict | None:
        messages = await browsers.services.interactions.messages(principal, interaction_id)
        return next((m for m in messages if m["attachment"]), None)

    message = await eventually(sent)
    assert message["kind"] == "document" and message["text"] == "Here is your invoice"
    assert message["attachment"]["filename"] == "invoice.pdf"
    await eventually(lambda: element(user, "composer").value == "")
    with user:
        await upload.handle_uploads([SmallFileUpload("tool.exe", "application/x-msdownload", b"MZ")])
    await eventually(lambda: user.notify.contains("WhatsApp cannot carry application/x-msdownload files."))


async def test_with_attachments_disabled_the_button_says_so_and_the_server_refuses(browsers: Browsers) -> None:
    await browsers.services.settings.update({"attachments": {"enabled": False}})
    user = await browsers.signed_in("agent2")
    await go_online(browsers, user, "agent2")
    await accepted(browsers, user, new_phone(), "can I send you a photo?")
    attach = element(user, "attach")
    assert not attach.enabled and attach.props["title"] == "Attachments are disabled"
    [upload] = user.find(kind=ui.upload).elements
    with user:
        await upload.handle_uploads([SmallFileUpload("a.png", "image/png", b"\x89PNG")])
    await eventually(lambda: user.notify.contains("Attachments are disabled by the administrator."))


async def test_the_owner_tags_the_conversation_from_the_details_tab(browsers: Browsers) -> None:
    user = await browsers.signed_in("agent3")
    await go_online(browsers, user, "agent3")
    interaction_id = await accepted(browsers, user, new_phone(), "I'd like to buy", "Ugo Sala")
    element(user, "sidebar-tabs").set_value("details")
    await user.should_see(marker="details-edit", retries=WAIT_RETRIES)
    user.find(marker="details-edit").click()
    await user.should_see(marker="edit-tags", retries=WAIT_RETRIES)
    element(user, "edit-tags").set_value(["Sales"])
    element(user, "edit-disposition").set_value("Sale")
    user.find(marker="edit-save").click()
    await eventually(lambda: user.notify.contains("Saved."))
    saved = await browsers.services.interactions.get(await browsers.principal("agent3"), interaction_id)
    assert saved["tags"] == ["Sales"] and saved["disposition"] == "Sale"
    await user.should_see("Sale", retries=WAIT_RETRIES)  # the details tab shows what was saved


async def test_the_journey_joins_a_contacts_conversations_only_for_who_may_see_the_contact(browsers: Browsers) -> None:
    services = browsers.services
    secret = await ContactList.create(name="Secret")
    first, second = new_phone(), new_phone()
    admin = await browsers.principal("admin")
    await services.contacts.create(admin, {"list": "Secret", "first_name": "Hidden", "phones": [first, second]})
    agent = await browsers.principal("agent5")
    await services.agents.set_state(agent, "online", None)
    earlier = await receive(browsers, first, "about the old order", "Hidden One")
    await eventually(lambda: services.agents.offers(agent))
    await services.agents.accept(agent, earlier)
    await services.interactions.close(agent, earlier)
    later = await receive(browsers, second, "from my other number", "Hidden One")
    await eventually(lambda: services.agents.offers(agent))
    await services.agents.accept(agent, later)
    assert (await Interaction.get(id=later)).contact_id == (await Interaction.get(id=earlier)).contact_id
    assert [v["id"] for v in await services.interactions.journey(agent, later)] == [later]  # not the hidden one's
    assert {v["id"] for v in await services.interactions.journey(admin, later)} == {earlier, later}
    await ListPermission.create(list=secret, user_id=agent.id, can_view=True)
    assert {v["id"] for v in await services.interactions.journey(agent, later)} == {earlier, later}
