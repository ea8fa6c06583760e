"""The agent desktop through NiceGUI's simulated user: sign in and out, state, offers, chat, notes,
unread badges, close & dispose (SPEC D1-D9)."""
from __future__ import annotations

import asyncio
import time

from nicegui import ui

from server.connectors.delivery import InboundMessage
from tests.ui.conftest import WAIT_RETRIES, Browsers, accepted, badge, element, eventually, go_online, new_phone, receive


async def test_signing_in_wrong_and_right_then_out(browsers: Browsers) -> None:
    user = browsers.first
    await user.open("/")
    await user.should_see("Sign in")  # not signed in: the desk sends you to the login page
    user.find("Username").type("agent1")
    user.find("Password").type("wrong")
    user.find(kind=ui.button, content="Sign in").click()
    await user.should_see("Wrong username or password.", retries=WAIT_RETRIES)
    user.find("Password").type("demo")
    user.find(kind=ui.button, content="Sign in").click()
    await user.should_see("Conversations", retries=WAIT_RETRIES)
    await user.should_see("WhatsAppConn1 · 0 waiting")
    await user.open("/logout")
    await user.should_see("Sign in")
    await user.open("/")
    await user.should_see("Sign in")





async def test_going_online_an_offer_pops_up_and_accepting_opens_the_chat(browsers: Browsers) -> None:
    user = await browsers.signed_in("agent1")
    await go_online(browsers, user, "agent1")
    phone = new_phone()
    interaction_id = await receive(browsers, phone, "Hello, is my parcel lost?", "Marta Neri")
    await user.should_see("New conversation", retries=WAIT_RETRIES)
    await user.should_see("Marta Neri")
    await user.should_see("WhatsAppConn1 · 1 waiting")
    user.find(marker="accept").click()
    await user.should_see(marker="message-in", retries=WAIT_RETRIES)
    assert "Hello, is my parcel lost?" in element(user, "message-in").content
    await user.should_not_see("New conversation")
    await user.should_see(marker=f"tab-{interaction_id}")
    await user.should_see("WhatsAppConn1 · 0 waiting")

    user.find(marker="composer").type("We are on it, Marta.")
    user.find(marker="send").click()
    await user.should_see(marker="message-out", retries=WAIT_RETRIES)
    assert "We are on it, Marta." in element(user, "message-out").content

    user.find(marker="note-switch").click()
    user.find(marker="composer").type("Customer called twice already")
    user.find(marker="send").click()
    await user.should_see(marker="message-note", retries=WAIT_RETRIES)
    note = element(user, "message-note").content
    assert "Internal note" in note and "Customer called twice already" in note
    stored = await browsers.services.interactions.messages(await browsers.principal("supervisor"), interaction_id)
    assert [m["direction"] for m in stored] == ["in", "out", "note"]


async def test_rejecting_an_offer_removes_it(browsers: Browsers) -> None:
    user = await browsers.signed_in("agent2")
    await go_online(browsers, user, "agent2")
    await receive(browsers, new_phone(), "anyone there?")
    await user.should_see("New conversation", retries=WAIT_RETRIES)
    user.find(marker="reject").click()
    await user.should_not_see("New conversation", retries=WAIT_RETRIES)




async def test_the_unread_badge_counts_while_the_tab_is_not_in_view(browsers: Browsers) -> None:
    user = await browsers.signed_in("agent3")
    await go_online(browsers, user, "agent3")
    first_phone, second_phone = new_phone(), new_phone()
    first = await accepted(browsers, user, first_phone, "first customer", "Ada")
    second = await accepted(browsers, user, second_phone, "second customer", "Bea")
    user.find(marker=f"tab-{first}").click()
    await user.should_see(marker=f"chat-{first}", retries=WAIT_RETRIES)  # the first in view, the second not
    await eventually(lambda: not badge(user, first).visible)
    await receive(browsers, second_phone, "are you there?")
    await receive(browsers, second_phone, "hello??")
    await eventually(lambda: badge(user, second).visible and badge(user, second).text == "2")
    assert element(user, "unread-total").text == "2 unread"
    await receive(browsers, first_phone, "thanks!")  # the conversation in view: read at once
    await user.should_see("thanks!", retries=WAIT_RETRIES)
    await eventually(lambda: not badge(user, first).visible)
    user.find(marker=f"tab-{second}").click()
    await eventually(lambda: not badge(user, second).visible)
    principal = await browsers.principal("agent3")
    assert (await browsers.services.interactions.get(principal, second))["unread"] == 0


async def test_a_message_that_comes_while_a_new_tab_is_read_counts_on_its_badge(browsers: Browsers,
                                                                                   monkeypatch) -> None:
    """An accept elsewhere (the API) adds the tab from a read of the conversation; a message that comes after
    that read and before the tab is shown still counts on the tab's badge."""
    user = await browsers.signed_in("agent2", await browsers.new())
    await go_online(browsers, user, "agent2")
    await accepted(browsers, user, new_phone(), "In view", "Una")  # one in view: the next is not shown at once
    phone = new_phone()
    interaction_id = await receive(browsers, phone, "first", "Tea")
    await user.should_see(marker="accept", retries=WAIT_RETRIES)
    interactions = browsers.services.interactions
    read_once, release = asyncio.Event(), asyncio.Event()
    unpatched = interactions.get

    async def held_read(principal, read_id):
        interaction = await unpatched(principal, read_id)
        if read_id == interaction_id and not read_once.is_set():
            read_once.set()
            await release.wait()  # read, no tab yet
        return interaction

    monkeypatch.setattr(interactions, "get", held_read)
    principal = await browsers.principal("agent2")
    await browsers.services.agents.accept(principal, interaction_id)
    await eventually(read_once.is_set)
    await receive(browsers, phone, "second")
    await eventually(lambda: element(user, "unread-total").text == "2 unread")  # the count reached the page
    release.set()
    await eventually(lambda: badge(user, interaction_id).visible and badge(user, interaction_id).text == "2")


async def test_close_and_dispose_ends_the_conversation_with_its_disposition(browsers: Browsers) -> None:
    user = await browsers.signed_in("agent4")
    await go_online(browsers, user, "agent4")
    interaction_id = await accepted(browsers, user, new_phone(), "I am done, thanks")
    user.find(marker="chat-menu").click()
    user.find(marker="close-dispose").click()
    await user.should_see(marker="disposition", retries=WAIT_RETRIES)
    element(user, "disposition").set_value("Resolved")
    user.find(marker="close-confirm").click()
    await user.should_not_see(marker=f"tab-{interaction_id}", retries=WAIT_RETRIES)
    await user.should_see("Accept an offer, or pick a conversation on the left.")
    details = await browsers.services.interactions.get(await browsers.principal("supervisor"), interaction_id)
    assert details["status"] == "closed" and details["disposition"] == "Resolved"


async def test_two_agents_race_and_the_loser_sees_the_offer_go(browsers: Browsers) -> None:
    first = await browsers.signed_in("agent1")
    await go_online(browsers, first, "agent1")
    second = await browsers.signed_in("agent2")
    await go_online(browsers, second, "agent2")
    interaction_id = await receive(browsers, new_phone(), "who takes me?")
    await first.should_see(marker="accept", retries=WAIT_RETRIES)
    await second.should_see(marker="accept", retries=WAIT_RETRIES)
    first.find(marker="accept").click()
    second.find(marker="accept").click()
    supervisor = await browsers.principal("supervisor")

    async def owner() -> str | None:
        return (await browsers.services.interactions.get(supervisor, interaction_id))["owner"]

    winner_name = await eventually(owner)
    winner, loser = (first, second) if winner_name == "agent1" else (second, first)
    await winner.should_see(marker=f"tab-{interaction_id}", retries=WAIT_RETRIES)
    await loser.should_not_see(marker="accept", retries=WAIT_RETRIES)
    await loser.should_not_see(marker=f"tab-{interaction_id}")


async def test_a_transfer_is_offered_to_the_chosen_agent_who_takes_it(browsers: Browsers) -> None:
    sender = await browsers.signed_in("agent1")
    await go_online(browsers, sender, "agent1")
    interaction_id = await accepted(browsers, sender, new_phone(), "please pass me on")
    receiver = await browsers.signed_in("agent5")
    await go_online(browsers, receiver, "agent5")
    sender.find(marker="chat-menu").click()
    sender.find(marker="transfer").click()
    await sender.should_see(marker="transfer-target", retries=WAIT_RETRIES)
    target = element(sender, "transfer-target")
    assert "agent:agent5" in target.options and "queue:WhatsAppConn1" in target.options
    target.set_value("agent:agent5")
    sender.find(marker="transfer-confirm").click()
    await receiver.should_see("↪ Transfer from Alice Agent", retries=WAIT_RETRIES)
    receiver.find(marker="accept").click()
    await receiver.should_see(marker=f"tab-{interaction_id}", retries=WAIT_RETRIES)
    await sender.should_not_see(marker=f"tab-{interaction_id}", retries=WAIT_RETRIES)


async def test_pausing_asks_for_a_reason(browsers: Browsers) -> None:
    user = await browsers.signed_in("agent2")
    element(user, "state").set_value("paused")
    await user.should_see("Pause: why?", retries=WAIT_RETRIES)
    user.find("Lunch").click()
    user.find(kind=ui.button, content="Pause").click()
    principal = await browsers.principal("agent2")

    async def paused() -> bool:
        me = await browsers.services.agents.me(principal)
        return me["state"] == "paused" and me["reason"] == "Lunch"

    await eventually(paused)
    await user.should_see("Lunch")


async def test_canned_answers_are_searched_and_filled_with_the_customers_name(browsers: Browsers) -> None:
    user = await browsers.signed_in("agent3")
    await go_online(browsers, user, "agent3")
    await accepted(browsers, user, new_phone(), "hi", "Carla Bruni")
    user.find(marker="canned").click()
    await user.should_see(marker="canned-search", retries=WAIT_RETRIES)
    user.find(marker="canned-search").type("good")
    await user.should_see("Thank you for writing to us, Carla. Have a good day!", retries=WAIT_RETRIES)
    await user.should_not_see("Greeting")
    user.find(marker="canned-answer").click()
    await eventually(lambda: element(user, "composer").value == "Thank you for writing to us, Carla. Have a good day!")


async def test_the_admins_tab_limit_refuses_one_more_conversation(browsers: Browsers) -> None:
    await browsers.services.settings.update({"max_tabs": 1})
    user = await browsers.signed_in("agent5")
    await go_online(browsers, user, "agent5")
    await accepted(browsers, user, new_phone(), "first")
    await receive(browsers, new_phone(), "second")
    await user.should_see(marker="accept", retries=WAIT_RETRIES)
    user.find(marker="accept").click()
    await eventually(lambda: user.notify.contains(
        "You have the most open conversations allowed (1): close one first."))


async def test_a_state_set_elsewhere_is_shown_and_not_asked_again(browsers: Browsers) -> None:
    user = await browsers.signed_in("agent3")
    principal = await browsers.principal("agent3")
    await browsers.services.agents.set_state(principal, "paused", "Meeting")
    await user.should_see("Meeting", retries=WAIT_RETRIES)
    assert element(user, "state").value == "paused"
    await user.should_not_see("Pause: why?")
    assert (await browsers.services.agents.me(principal))["reason"] == "Meeting"


async def test_with_names_masked_canned_answers_keep_the_placeholder_and_the_customer_gets_the_name(
        browsers: Browsers) -> None:
    services = browsers.services
    await services.settings.update({"masking": {"name": "full", "phone": "partial", "email": "none"}})
    user = await browsers.signed_in("agent4")
    await go_online(browsers, user, "agent4")
    interaction_id = await accepted(browsers, user, new_phone(), "hi", "Carla Bruni")
    user.find(marker="canned").click()
    await user.should_see(marker="canned-search", retries=WAIT_RETRIES)
    user.find(marker="canned-search").type("good")
    await user.should_see("Thank you for writing to us, {first_name}. Have a good day!", retries=WAIT_RETRIES)
    user.find(marker="canned-answer").click()
    user.find(marker="send").click()
    agent, supervisor = await browsers.principal("agent4"), await browsers.principal("supervisor")

    async def sent_text(viewer) -> str | None:
        messages = await services.interactions.messages(viewer, interaction_id)
        return next((m["text"] for m in messages if m["direction"] == "out"), None)

    await eventually(lambda: sent_text(supervisor))
    assert await sent_text(supervisor) == "Thank you for writing to us, Carla. Have a good day!"
    assert await sent_text(agent) == "Thank you for writing to us, •••. Have a good day!"
    await user.should_see(marker="message-out", retries=WAIT_RETRIES)
    assert "Carla" not in element(user, "message-out").content


async def test_a_change_told_while_its_message_is_being_read_for_the_chat_is_shown(browsers: Browsers,
                                                                                    monkeypatch) -> None:
    """The race behind a reaction that never showed: the chat reads a new message, the customer reacts to it
    before the read's result is shown (the change's event finds no bubble yet), then the bubble is made from
    what was read before the reaction. The chat reads it again once its reads end."""
    user = await browsers.signed_in("agent1", await browsers.new())
    await go_online(browsers, user, "agent1")
    phone = new_phone()
    await accepted(browsers, user, phone, "Hello", "Ivo")
    await eventually(lambda: len(user.find(marker="message-in").elements) == 1)
    interactions = browsers.services.interactions
    read_once, release = asyncio.Event(), asyncio.Event()
    unpatched = interactions.message

    async def held_read(*args, **kwargs):
        message = await unpatched(*args, **kwargs)
        read_once.set()
        await release.wait()  # read, not shown yet
        return message

    monkeypatch.setattr(interactions, "message", held_read)
    await receive(browsers, phone, "The second one", "Ivo")
    await eventually(read_once.is_set)
    monkeypatch.setattr(interactions, "message", unpatched)
    inbound = browsers.services.inbound
    account = await inbound.account("sandbox", "sandbox")
    await inbound.receive_all(account, [InboundMessage(f"reaction-{phone}", phone, "Ivo", "reaction", "👍",
                                                       refers_to=f"m-{phone}-The second one")])
    release.set()

    def second() -> str:
        bubbles = [e.content for e in user.find(marker="message-in").elements if "The second one" in e.content]
        assert bubbles, "the second message is not shown yet"
        return bubbles[0]

    await eventually(lambda: "👍" in second())


async def test_the_customers_edit_and_reaction_show_at_once_and_a_late_message_takes_its_place(
        browsers: Browsers) -> None:
    user = await browsers.signed_in("agent1", await browsers.new())
    await go_online(browsers, user, "agent1")
    phone = new_phone()
    await accepted(browsers, user, phone, "Is it in stock?", "Dora")
    inbound = browsers.services.inbound
    account = await inbound.account("sandbox", "sandbox")
    original = f"m-{phone}-Is it in stock?"
    await inbound.receive_all(account, [
        InboundMessage(f"edit-{phone}", phone, "Dora", "edit", "Is it in stock in blue?", refers_to=original),
        InboundMessage(f"reaction-{phone}", phone, "Dora", "reaction", "👍", refers_to=original)])
    await eventually(lambda: "👍" in element(user, "message-in").content
                     and "Is it in stock in blue?" in element(user, "message-in").content)
    assert "Earlier versions" in element(user, "message-in").content
    await inbound.receive_all(account, [InboundMessage(f"late-{phone}", phone, "Dora", "text", "Good morning!",
                                                       sent_at=time.time() - 3600)])
    await eventually(lambda: len(user.find(marker="message-in").elements) == 2)
    found = user.find(marker="message-in").elements
    chat = [e.content for e in next(iter(found)).parent_slot.children if e in found]
    assert "Good morning!" in chat[0] and "in blue" in chat[1]  # written an hour earlier: above the first one
