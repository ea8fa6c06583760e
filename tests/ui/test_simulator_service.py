"""The customer simulator's service (SPEC W6): an administrator writes as a customer of a sandbox account, sees the
conversation as the customer's phone shows it (never the internal notes) and reports the agent's messages
delivered and read."""
from __future__ import annotations

import random

import pytest

from server.domain.events import MessageStatusChanged
from server.domain.phone import normalize_phone
from server.errors import Forbidden, Invalid, NotFound
from server.persistence.db import close_database, open_database
from server.persistence.models import Account, Interaction, Message, Queue, Setting, User
from server.services.auth import Principal
from server.services.simulator import random_customer_phone
from tests.actors.harness import Core
from tests.actors.test_races import wait_until

PHONE = "+39 333 1234567"
E164 = "+393331234567"


@pytest.fixture
def core(tmp_path):
    core = Core(tmp_path)
    [core.agent] = core.workspace(1)

    async def accounts() -> None:
        await open_database(core.settings.resolved_database_url)
        queue = await Queue.get(name="Q1")
        await Account.create(key="sim", provider="sandbox", queue=queue)
        await Account.create(key="sim-other", provider="sandbox", queue=queue)
        await Account.create(key="meta-x", provider="meta", queue=queue,
                             credentials={"phone_number_id": "1", "access_token": "t"})
        admin = await User.create(username="tester", password_hash="-", role="admin")
        await Setting.create(key="simulator", value={"enabled": True})
        await close_database()
        return Principal(admin.id, admin.username, "admin", "")

    core.admin = core.call(accounts())
    core.start()
    core.call(core.services.agents.set_state(core.agent, "online", None))
    core.sim = core.services.simulator
    yield core
    core.close()


def accepted(core, account: str = "sim", phone: str = PHONE, text: str = "hello") -> int:
    """The customer writes and the agent takes the interaction."""
    interaction_id = core.call(core.sim.send(core.admin, account, phone, text, name="Lia"))["interaction_id"]
    wait_until(lambda: any(o["interaction_id"] == interaction_id
                           for o in core.call(core.services.agents.offers(core.agent))))
    core.call(core.services.agents.accept(core.agent, interaction_id))
    return interaction_id


def reply(core, interaction_id: int, text: str = "how can I help?") -> int:
    """The agent answers; returns the message once the sandbox has sent it."""
    message_id = core.call(core.services.interactions.send_text(core.agent, interaction_id, text))["id"]
    wait_until(lambda: core.call(Message.get(id=message_id)).status == "sent", timeout=10)
    return message_id


def status(core, message_id: int) -> str:
    return core.call(Message.get(id=message_id)).status


def test_only_sandbox_accounts_are_offered(core):
    assert core.call(core.sim.accounts(core.admin)) == ["sandbox-q1", "sim", "sim-other"]


def test_a_customer_message_is_stored_as_inbound_and_routed_to_the_online_agent(core):
    sent = core.call(core.sim.send(core.admin, "sim", PHONE, "I need help", name="  Lia Rossi "))
    message = core.call(Message.get(id=sent["message_id"]))
    assert (message.interaction_id, message.direction, message.text) == (sent["interaction_id"], "in", "I need help")
    assert message.external_key.startswith(f"{core.call(Account.get(key='sim')).id}:sim-")
    interaction = core.call(Interaction.get(id=sent["interaction_id"]))
    assert (interaction.customer_phone, interaction.customer_name, interaction.status) == (E164, "Lia Rossi", "open")
    wait_until(lambda: [o["interaction_id"] for o in core.call(core.services.agents.offers(core.agent))]
               == [sent["interaction_id"]])
    again = core.call(core.sim.send(core.admin, "sim", E164, "are you there?"))
    assert again["interaction_id"] == sent["interaction_id"] and again["message_id"] != sent["message_id"]


def test_the_conversation_shows_both_sides_but_never_internal_notes(core):
    assert core.call(core.sim.conversation(core.admin, "sim", PHONE)) == (None, [])
    interaction_id = accepted(core)
    answer = reply(core, interaction_id)
    note = core.call(core.services.interactions.add_note(core.agent, interaction_id, "VIP, be quick"))
    core.call(core.sim.send(core.admin, "sim", PHONE, "thanks"))

    found, messages = core.call(core.sim.conversation(core.admin, "sim", E164))
    assert found == interaction_id
    assert [(m["direction"], m["text"]) for m in messages] == [
        ("in", "hello"), ("out", "how can I help?"), ("in", "thanks")]
    assert note["id"] not in {m["id"] for m in messages}
    assert all("VIP" not in str(m) for m in messages)
    shown = messages[1]
    assert shown["id"] == answer and shown["status"] == "sent" and shown["kind"] == "text"
    assert shown["attachment"] is None and shown["created_at"].endswith("Z")
    assert set(shown) == {"id", "direction", "text", "status", "created_at", "kind", "attachment"}

    _, last = core.call(core.sim.conversation(core.admin, "sim", PHONE, limit=2))
    assert [m["text"] for m in last] == ["how can I help?", "thanks"]  # the limit counts visible messages only
    assert core.call(core.sim.conversation(core.admin, "sim-other", PHONE)) == (None, [])  # a conversation is per account


def test_the_latest_open_interaction_is_shown_else_the_latest_closed_one(core):
    first = accepted(core)
    core.call(core.services.interactions.close(core.agent, first))
    assert core.call(core.sim.conversation(core.admin, "sim", PHONE))[0] == first
    second = core.call(core.sim.send(core.admin, "sim", PHONE, "me again"))["interaction_id"]
    assert second != first
    found, messages = core.call(core.sim.conversation(core.admin, "sim", PHONE))
    assert found == second and [m["text"] for m in messages] == ["me again"]


def test_the_phone_moves_agent_messages_to_delivered_then_read_and_never_back(core):
    interaction_id = accepted(core)
    answer = reply(core, interaction_id)
    inbound_id = core.call(core.sim.conversation(core.admin, "sim", PHONE))[1][0]["id"]

    assert core.call(core.sim.mark_seen(core.admin, "sim", [answer], "delivered")) == 1
    assert status(core, answer) == "delivered"
    wait_until(lambda: core.events_of(MessageStatusChanged, lambda e: e.message_id == answer
                                      and e.status == "delivered" and e.interaction_id == interaction_id))
    assert core.call(core.sim.mark_seen(core.admin, "sim", [answer, inbound_id], "read")) == 1
    assert status(core, answer) == "read"
    assert core.call(core.sim.mark_seen(core.admin, "sim", [answer], "delivered")) == 0
    assert status(core, answer) == "read"
    assert core.call(Message.get(id=inbound_id)).status == "received"  # the customer's own message is untouched
    wait_until(lambda: core.events_of(MessageStatusChanged, lambda e: e.message_id == answer and e.status == "read"))
    assert [e.status for e in core.events_of(MessageStatusChanged, lambda e: e.message_id == answer)] == [
        "sent", "delivered", "read"]


def test_the_phone_of_one_account_cannot_touch_another_accounts_messages(core):
    elsewhere = accepted(core, account="sim-other")
    answer = reply(core, elsewhere)
    assert core.call(core.sim.mark_seen(core.admin, "sim", [answer], "read")) == 0
    assert core.call(core.sim.mark_seen(core.admin, "sandbox-q1", [answer], "delivered")) == 0
    assert status(core, answer) == "sent"
    assert core.call(core.sim.mark_seen(core.admin, "sim-other", [answer], "read")) == 1


def test_a_message_still_queued_or_unknown_changes_nothing(core):
    assert core.call(core.sim.mark_seen(core.admin, "sim", [], "read")) == 0
    assert core.call(core.sim.mark_seen(core.admin, "sim", [999_999], "read")) == 0


@pytest.mark.parametrize("phone, text", [("12", "hi"), ("", "hi"), ("+39 333", "hi"), ("not a number", "hi"),
                                         (PHONE, ""), (PHONE, "   \n"), (PHONE, "x" * 4097)])
def test_a_bad_number_or_text_is_refused_and_nothing_is_stored(core, phone, text):
    with pytest.raises(Invalid):
        core.call(core.sim.send(core.admin, "sim", phone, text))
    assert core.call(Message.all().count()) == 0


def test_the_longest_text_whatsapp_allows_is_taken(core):
    sent = core.call(core.sim.send(core.admin, "sim", PHONE, "x" * 4096))
    assert len(core.call(Message.get(id=sent["message_id"])).text) == 4096


@pytest.mark.parametrize("account", ["meta-x", "nope", ""])
def test_only_a_sandbox_account_can_be_played(core, account):
    with pytest.raises(NotFound):
        core.call(core.sim.send(core.admin, account, PHONE, "hi"))
    with pytest.raises(NotFound):
        core.call(core.sim.conversation(core.admin, account, PHONE))
    with pytest.raises(NotFound):
        core.call(core.sim.mark_seen(core.admin, account, [1], "read"))
    assert core.call(Message.all().count()) == 0


def test_a_meta_account_known_to_the_webhooks_is_still_not_playable(core):
    core.call(core.services.inbound.account("meta-x", "meta"))  # now in the inbound service's cache
    with pytest.raises(NotFound):
        core.call(core.sim.send(core.admin, "meta-x", PHONE, "hi"))


def test_bad_reports_and_limits_are_refused(core):
    for bad_status in ("sent", "failed", "played", ""):
        with pytest.raises(Invalid):
            core.call(core.sim.mark_seen(core.admin, "sim", [1], bad_status))
    with pytest.raises(Invalid):
        core.call(core.sim.mark_seen(core.admin, "sim", ["1"], "read"))
    with pytest.raises(Invalid):
        core.call(core.sim.conversation(core.admin, "sim", PHONE, limit=0))
    with pytest.raises(Invalid):
        core.call(core.sim.conversation(core.admin, "sim", "bad"))
    with pytest.raises(Invalid, match="NUL"):
        core.call(core.sim.send(core.admin, "sim", PHONE, "a\x00b"))


def test_new_customers_get_valid_italian_mobile_numbers():
    rng = random.Random(7)
    for _ in range(200):
        number = random_customer_phone(rng)
        assert number.startswith("+39 333 ") and normalize_phone(number).startswith("+39333")


def test_only_administrators_may_play_a_customer(core):
    """An agent typing another agent's customer's number would read that conversation unmasked and write into
    it as the customer: the simulator refuses everyone but administrators, before reading anything."""
    interaction_id = accepted(core)
    reply(core, interaction_id, "your order ships today")
    supervisor = Principal(core.admin.id + 1000, "someone", "supervisor", "")
    for player in (core.agent, supervisor):
        with pytest.raises(Forbidden, match="Only administrators"):
            core.call(core.sim.send(player, "sim", PHONE, "I am the customer now"))
        with pytest.raises(Forbidden):
            core.call(core.sim.conversation(player, "sim", PHONE))
        with pytest.raises(Forbidden):
            core.call(core.sim.mark_seen(player, "sim", [1], "read"))
        with pytest.raises(Forbidden):
            core.call(core.sim.accounts(player))
    assert [m.text for m in core.call(Message.filter(interaction_id=interaction_id).order_by("id"))] == [
        "hello", "your order ships today"]


def test_the_simulator_is_off_until_an_administrator_switches_it_on(core):
    admin = core.admin
    core.call(core.services.admin.update_settings(admin, {"simulator": {"enabled": False}}))
    with pytest.raises(Forbidden, match="switched off") as refused:
        core.call(core.sim.send(admin, "sim", PHONE, "hi"))
    assert refused.value.code == "simulator_off"
    with pytest.raises(Forbidden):
        core.call(core.sim.conversation(admin, "sim", PHONE))
    assert core.call(Message.all().count()) == 0
    core.call(core.services.admin.update_settings(admin, {"simulator": {"enabled": True}}))
    assert core.call(core.sim.send(admin, "sim", PHONE, "hi"))["message_id"]
    with pytest.raises(Invalid, match="simulator.enabled"):
        core.call(core.services.admin.update_settings(admin, {"simulator": {"enabled": "yes"}}))

